import { get, post } from '../api.js';
import { badge, bytes, h, mount, notice, since } from '../dom.js';
import { dateTime, t, tx } from '../i18n.js';
import { overloadCard } from './overload-card.js';
import { zoneTile } from './zone-parts.js';

export async function dashboardPage(view, { session }) {
  let timer;
  const draw = async () => {
    const [d, z] = await Promise.all([get('/api/ui/dashboard'), get('/api/ui/zones').catch(() => ({ zones: [] }))]);
    const lanes = Object.entries(d.outbox.lanes);
    const msg = h('div');
    const modeForm = session.can('technician')
      ? h(
          'form',
          { class: 'inline', id: 'mode-form' },
          h(
            'select',
            { name: 'mode', 'aria-label': t('dashboard.newMode') },
            d.modes.map((m) => h('option', { value: m, selected: m === d.mode }, tx('mode', m))),
          ),
          h('input', { name: 'reason', required: true, minlength: 3, placeholder: t('dashboard.reasonRequired'), 'aria-label': t('common.reason') }),
          h('button', { type: 'submit' }, t('dashboard.switchMode')),
        )
      : null;
    modeForm?.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(modeForm);
      if (!confirm(t('dashboard.confirmMode', { mode: tx('mode', f.get('mode')) }))) return;
      try {
        await post('/api/ui/mode', { mode: f.get('mode'), reason: f.get('reason') });
        await draw();
      } catch (err) {
        notice(msg, 'error', err.message);
      }
    });
    mount(
      view,
      h('h1', {}, t('dashboard.title')),
      // First on the screen while it lasts: the gateway cannot keep up and is shedding load.
      overloadCard(d.overload, d.outbox.lanes),
      z.zones.length
        ? h(
            'div',
            { class: 'tiles zones', id: 'zone-tiles' },
            z.zones.map((zone) => zoneTile(zone)),
          )
        : null,
      h(
        'div',
        { class: 'tiles' },
        h(
          'section',
          { class: `card tile ${d.uplink.connected ? 'ok' : 'bad'}`, id: 'tile-uplink' },
          h('h2', {}, t('dashboard.uplink')),
          h(
            'p',
            { class: 'big', dataset: { value: d.uplink.connected ? 'connected' : 'disconnected' } },
            d.uplink.connected ? t('dashboard.connected') : t('dashboard.disconnected'),
          ),
          h('p', {}, t('dashboard.since', { when: dateTime(d.uplink.since), age: since(d.uplink.since) })),
          !d.uplink.connected && d.uplink.lastError ? h('p', { class: 'error-text' }, t('dashboard.lastError', { error: d.uplink.lastError })) : null,
          // Contract: while the gateway's retained state says offline, the platform treats every device state as stale.
          !d.uplink.connected ? h('p', { class: 'small muted', id: 'uplink-stale-note' }, t('dashboard.statesStale')) : null,
        ),
        h(
          'section',
          { class: `card tile mode-${d.mode}`, id: 'tile-mode' },
          h('h2', {}, t('dashboard.mode')),
          h('p', { class: 'big', dataset: { value: d.mode } }, tx('mode', d.mode)),
          modeForm,
          msg,
        ),
        h(
          'section',
          { class: 'card tile', id: 'tile-outbox' },
          h('h2', {}, t('dashboard.outbox')),
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'compact' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', {}, t('dashboard.lane')),
                  h('th', {}, t('dashboard.depth')),
                  h('th', {}, t('dashboard.oldest')),
                  h('th', {}, t('dashboard.drops')),
                ),
              ),
              h(
                'tbody',
                {},
                lanes.map(([name, l]) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, tx('lane', name)),
                    h('td', { title: bytes(l.bytes) }, String(l.count)),
                    h('td', {}, l.count ? t('unit.seconds', { n: l.oldestAgeSeconds }) : '—'),
                    h('td', { class: l.dropped ? 'error-text' : '' }, String(l.dropped)),
                  ),
                ),
              ),
            ),
          ),
          h(
            'p',
            { class: 'muted small' },
            t('dashboard.used', { used: bytes(lanes.reduce((n, [, l]) => n + l.bytes, 0)), capacity: bytes(d.outbox.capacityBytes) }),
          ),
        ),
        h(
          'section',
          { class: 'card tile', id: 'tile-box' },
          h('h2', {}, t('dashboard.box')),
          h('p', {}, t('dashboard.clock'), ' ', h('strong', {}, dateTime(d.now))),
          h(
            'p',
            {},
            t('dashboard.disk'),
            ' ',
            d.disk.error ? d.disk.error : h('strong', {}, t('dashboard.diskFree', { free: bytes(d.disk.freeBytes), total: bytes(d.disk.totalBytes) })),
          ),
          h(
            'div',
            { class: 'pairs' },
            t('dashboard.devices'),
            ' ',
            Object.entries(d.devices).map(([k, n]) => h('span', { class: 'pair' }, badge(k), ` ${n}`)),
          ),
          h('p', { class: 'muted small' }, t('dashboard.version', { version: d.version, config: d.configVersion })),
        ),
      ),
      h(
        'section',
        { class: 'card', id: 'alerts' },
        h(
          'div',
          { class: 'row' },
          h('h2', {}, t('dashboard.activeAlerts', { count: d.alerts.length })),
          h('a', { href: '#/events/active' }, t('events.activeTab')),
        ),
        d.alerts.length
          ? h(
              'ul',
              { class: 'list' },
              d.alerts.map((a) =>
                h(
                  'li',
                  {},
                  badge(a.severity),
                  ' ',
                  h('strong', {}, tx('eventType', a.type)),
                  ' ',
                  a.source.device || a.source.zone || '',
                  h('span', { class: 'muted' }, ` ${since(a.ts)}`),
                ),
              ),
            )
          : h('p', { class: 'muted' }, t('dashboard.noAlerts')),
      ),
    );
  };
  await draw();
  // Refresh unless the technician is typing a reason.
  timer = setInterval(() => {
    if (!view.isConnected) return clearInterval(timer);
    if (!view.contains(document.activeElement) || document.activeElement === document.body) draw().catch(() => {});
  }, 5000);
  return () => clearInterval(timer);
}
