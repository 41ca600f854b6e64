import { get, post } from '../api.js';
import { badge, h, mount, notice, since } from '../dom.js';
import { t, tx } from '../i18n.js';
import { deviceNames, eventText, sourceText, thumbnail, when } from './event-parts.js';

const MAX_ROWS = 500;
const SEVERITIES = ['critical', 'major', 'minor', 'info'];

export async function eventsPage(view, { args, session }) {
  const { devices } = await get('/api/ui/devices');
  const names = deviceNames(devices);
  const tabs = h(
    'div',
    { class: 'segmented', role: 'tablist' },
    h('a', { href: '#/events/active', class: args[0] === 'active' ? 'on' : '', id: 'tab-active' }, t('events.activeTab')),
    h('a', { href: '#/events', class: args[0] === 'active' ? '' : 'on', id: 'tab-history' }, t('events.historyTab')),
  );
  if (args[0] === 'active') return activeAlarms(view, tabs, names, session);
  return history(view, tabs, names, devices);
}

async function activeAlarms(view, tabs, names, session) {
  const list = h('div', { id: 'alarms' });
  const msg = h('div');
  const draw = async () => {
    if (list.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
    const { alarms } = await get('/api/ui/alarms');
    mount(
      list,
      alarms.length
        ? h(
            'ul',
            { class: 'list alarms' },
            alarms.map((a) => {
              const note = h('input', { name: 'note', placeholder: t('events.ackNote'), 'aria-label': t('events.ackNote'), maxlength: 500 });
              const ack = async (ev) => {
                ev.preventDefault();
                try {
                  await post('/api/ui/alarms/ack', { key: a.alarmKey, note: note.value || undefined });
                  notice(msg, 'ok', t('events.acked'));
                  await draw();
                } catch (err) {
                  notice(msg, 'error', err.message);
                }
              };
              return h(
                'li',
                { class: `alarm ${a.ack ? 'acked' : 'unacked'}`, dataset: { key: a.alarmKey, type: a.type } },
                h(
                  'div',
                  { class: 'row tight' },
                  badge(a.severity),
                  h('strong', {}, tx('eventType', a.type)),
                  h('span', {}, sourceText(a, names)),
                  when(a),
                  h('span', { class: 'small muted' }, since(a.ts)),
                ),
                h('div', {}, eventText(a)),
                a.picture ? thumbnail(a) : null,
                a.ack
                  ? h(
                      'p',
                      { class: 'small ack' },
                      t('events.ackedBy', { who: a.ack.by, when: new Date(a.ack.at).getTime() ? since(a.ack.at) : '' }),
                      a.ack.note ? h('span', { class: 'data' }, ` — ${a.ack.note}`) : null,
                    )
                  : session.can('technician')
                    ? h('form', { class: 'inline ack-form', onsubmit: ack }, note, h('button', { type: 'submit', class: 'primary' }, t('events.ack')))
                    : h('p', { class: 'small muted' }, t('events.notAcked')),
              );
            }),
          )
        : h('p', { class: 'muted' }, t('events.noActive')),
    );
  };
  mount(view, h('div', { class: 'row' }, h('h1', {}, t('events.activeTitle')), tabs), h('p', { class: 'muted small' }, t('events.ackExplain')), msg, list);
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

async function history(view, tabs, names, devices) {
  const list = h('ul', { class: 'list events', id: 'events' });
  const state = h('span', { class: 'muted small', id: 'feed-state' }, t('events.connecting'));
  const all = [];
  const seen = new Set();
  const select = (name, label, options) =>
    h(
      'select',
      { name, 'aria-label': label, id: `filter-${name}` },
      h('option', { value: '' }, label),
      options.map(([v, text]) => h('option', { value: v }, text)),
    );
  const zones = [...new Set(devices.map((d) => d.zone).filter(Boolean))].sort();
  const typeSelect = select('type', t('events.allTypes'), []);
  const filters = {
    severity: select(
      'severity',
      t('events.allSeverities'),
      SEVERITIES.map((s) => [s, tx('status', s)]),
    ),
    type: typeSelect,
    device: select(
      'device',
      t('events.allDevices'),
      devices.map((d) => [d.id, d.name ? `${d.name} (${d.id})` : d.id]),
    ),
    zone: select(
      'zone',
      t('events.allZones'),
      zones.map((z) => [z, z]),
    ),
  };
  const text = h('input', { type: 'search', placeholder: t('events.search'), 'aria-label': t('events.search') });
  let paused = false;
  const pause = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        paused = !paused;
        pause.textContent = paused ? t('events.resume') : t('events.pause');
        if (!paused) redraw();
      },
    },
    t('events.pause'),
  );
  const matches = (e) => {
    const f = Object.fromEntries(Object.entries(filters).map(([k, el]) => [k, el.value]));
    if (f.severity && e.severity !== f.severity) return false;
    if (f.type && e.type !== f.type) return false;
    if (f.device && e.source?.device !== f.device) return false;
    if (f.zone && e.source?.zone !== f.zone) return false;
    const q = text.value.toLowerCase();
    return (
      !q ||
      [e.type, tx('eventType', e.type), e.source?.device, names.get(e.source?.device), e.source?.zone, e.message].some((x) =>
        String(x ?? '')
          .toLowerCase()
          .includes(q),
      )
    );
  };
  const row = (e) =>
    h(
      'li',
      { dataset: { type: e.type, id: e.id } },
      h(
        'div',
        { class: 'event-main' },
        when(e),
        ' ',
        badge(e.severity),
        ' ',
        h('strong', {}, tx('eventType', e.type)),
        e.state !== 'pulse' ? h('span', { class: 'muted' }, ` (${tx('state', e.state)})`) : null,
        ' ',
        h('span', { class: 'source' }, sourceText(e, names)),
        h('div', { class: 'small' }, eventText(e)),
      ),
      e.picture || e.snapshot ? thumbnail(e) : null,
    );
  const addType = (type) => {
    if (seen.has(type)) return;
    seen.add(type);
    typeSelect.append(h('option', { value: type }, tx('eventType', type)));
  };
  const redraw = () => mount(list, all.filter(matches).slice(0, 300).map(row));
  const add = (events, skipped) => {
    for (const e of events) {
      all.unshift(e);
      addType(e.type);
    }
    if (all.length > MAX_ROWS) all.length = MAX_ROWS;
    if (paused) return;
    const frag = document.createDocumentFragment();
    for (const e of events) if (matches(e)) frag.prepend(row(e));
    if (skipped) frag.prepend(h('li', { class: 'muted' }, t('events.skipped', { count: skipped })));
    list.prepend(frag);
    while (list.childElementCount > 300) list.lastElementChild.remove();
  };
  for (const el of [...Object.values(filters), text]) el.addEventListener(el === text ? 'input' : 'change', redraw);
  mount(
    view,
    h('div', { class: 'row' }, h('h1', {}, t('events.title')), tabs, state),
    h('div', { class: 'row filters' }, Object.values(filters), text, pause),
    list,
  );
  const { events: recent } = await get('/api/ui/events/recent');
  add([...recent].reverse());
  const known = new Set(recent.map((e) => e.id));
  let ws;
  let closed = false;
  let retry = 1000;
  const connect = () => {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ui/ws/events`);
    ws.onopen = () => {
      state.textContent = t('events.live');
      retry = 1000;
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      // The feed starts with the recent events the list already has.
      const fresh = msg.events.filter((e) => !known.has(e.id));
      for (const e of fresh) known.add(e.id);
      if (known.size > 5000) known.clear();
      add(fresh, msg.skipped);
    };
    ws.onclose = (e) => {
      if (closed) return;
      state.textContent = e.code === 4401 ? t('events.loginAgain') : t('events.retrying', { s: retry / 1000 });
      if (e.code !== 4401) setTimeout(connect, retry);
      retry = Math.min(30_000, retry * 2);
    };
  };
  connect();
  return () => {
    closed = true;
    ws?.close();
  };
}
