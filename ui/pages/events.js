import { badge, h, mount } from '../dom.js';

const MAX_ROWS = 300;

export async function eventsPage(view) {
  const list = h('ul', { class: 'list events', id: 'events' });
  const state = h('span', { class: 'muted small', id: 'feed-state' }, 'connecting…');
  const filter = h('input', { type: 'search', placeholder: 'filter: type, device, severity…', 'aria-label': 'filter' });
  let paused = false;
  const pause = h('button', { type: 'button', onclick: () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
  } }, 'Pause');
  mount(view, h('div', { class: 'row' }, h('h1', {}, 'Events'), state), h('div', { class: 'row' }, filter, pause), list);
  const matches = (e) => {
    const q = filter.value.toLowerCase();
    return !q || [e.type, e.source?.device, e.severity, e.message, e.state].some((x) => String(x ?? '').toLowerCase().includes(q));
  };
  const add = (events, skipped) => {
    if (paused) return;
    const frag = document.createDocumentFragment();
    for (const e of events) {
      if (!matches(e)) continue;
      frag.prepend(
        h(
          'li',
          { dataset: { type: e.type } },
          h('span', { class: 'muted small' }, new Date(e.ts).toLocaleTimeString()),
          ' ',
          badge(e.severity),
          ' ',
          h('strong', {}, e.type),
          e.state !== 'pulse' ? h('span', { class: 'muted' }, ` (${e.state})`) : null,
          ' ',
          e.source?.device ? h('code', {}, `${e.source.device}${e.source.channel !== undefined ? `#${e.source.channel}` : ''}`) : null,
          ' ',
          e.message || '',
        ),
      );
    }
    if (skipped) frag.prepend(h('li', { class: 'muted' }, `${skipped} events skipped (the page could not keep up)`));
    list.prepend(frag);
    while (list.childElementCount > MAX_ROWS) list.lastElementChild.remove();
  };
  let ws;
  let closed = false;
  let retry = 1000;
  const connect = () => {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ui/ws/events`);
    ws.onopen = () => {
      state.textContent = 'live';
      retry = 1000;
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      add(msg.events, msg.skipped);
    };
    ws.onclose = (e) => {
      if (closed) return;
      state.textContent = e.code === 4401 ? 'log in again' : `disconnected, retrying in ${retry / 1000} s`;
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
