import { get, post } from '../api.js';
import { badge, bytes, h, mount, notice, since } from '../dom.js';

export async function dashboardPage(view, { session }) {
  let timer;
  const draw = async () => {
    const d = await get('/api/ui/dashboard');
    const lanes = Object.entries(d.outbox.lanes);
    const msg = h('div');
    const modeForm = session.can('technician')
      ? h(
          'form',
          { class: 'inline', id: 'mode-form' },
          h('select', { name: 'mode', 'aria-label': 'new mode' }, d.modes.map((m) => h('option', { value: m, selected: m === d.mode }, m))),
          h('input', { name: 'reason', required: true, minlength: 3, placeholder: 'reason (required)', 'aria-label': 'reason' }),
          h('button', { type: 'submit' }, 'Switch mode'),
        )
      : null;
    modeForm?.addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = new FormData(modeForm);
      if (!confirm(`Switch the site to ${f.get('mode')}?`)) return;
      try {
        await post('/api/ui/mode', { mode: f.get('mode'), reason: f.get('reason') });
        await draw();
      } catch (err) {
        notice(msg, 'error', err.message);
      }
    });
    mount(
      view,
      h('h1', {}, 'Dashboard'),
      h(
        'div',
        { class: 'tiles' },
        h(
          'section',
          { class: `card tile ${d.uplink.connected ? 'ok' : 'bad'}`, id: 'tile-uplink' },
          h('h2', {}, 'Uplink'),
          h('p', { class: 'big' }, d.uplink.connected ? 'connected' : 'disconnected'),
          h('p', {}, `since ${new Date(d.uplink.since).toLocaleString()} (${since(d.uplink.since)})`),
          !d.uplink.connected && d.uplink.lastError ? h('p', { class: 'error-text' }, `last error: ${d.uplink.lastError}`) : null,
        ),
        h(
          'section',
          { class: `card tile mode-${d.mode}`, id: 'tile-mode' },
          h('h2', {}, 'Site mode'),
          h('p', { class: 'big' }, d.mode),
          modeForm,
          msg,
        ),
        h(
          'section',
          { class: 'card tile', id: 'tile-outbox' },
          h('h2', {}, 'Outbox'),
          h(
            'div',
            { class: 'table-wrap' },
            h(
            'table',
            { class: 'compact' },
            h('thead', {}, h('tr', {}, h('th', {}, 'lane'), h('th', {}, 'depth'), h('th', {}, 'oldest'), h('th', {}, 'drops'))),
            h(
              'tbody',
              {},
              lanes.map(([name, l]) => h('tr', {}, h('td', {}, name), h('td', { title: bytes(l.bytes) }, String(l.count)), h('td', {}, l.count ? `${l.oldestAgeSeconds} s` : '—'), h('td', { class: l.dropped ? 'error-text' : '' }, String(l.dropped)))),
            ),
          ),
          ),
          h('p', { class: 'muted small' }, `${bytes(lanes.reduce((n, [, l]) => n + l.bytes, 0))} used of ${bytes(d.outbox.capacityBytes)}`),
        ),
        h(
          'section',
          { class: 'card tile', id: 'tile-box' },
          h('h2', {}, 'This box'),
          h('p', {}, 'clock: ', h('strong', {}, new Date(d.now).toLocaleString())),
          h('p', {}, 'disk free: ', d.disk.error ? d.disk.error : h('strong', {}, `${bytes(d.disk.freeBytes)} of ${bytes(d.disk.totalBytes)}`)),
          h('div', { class: 'pairs' }, 'devices: ', Object.entries(d.devices).map(([k, n]) => h('span', { class: 'pair' }, badge(k), ` ${n}`))),
          h('p', { class: 'muted small' }, `gridgate ${d.version} · configuration v${d.configVersion}`),
        ),
      ),
      h(
        'section',
        { class: 'card', id: 'alerts' },
        h('h2', {}, `Active alerts (${d.alerts.length})`),
        d.alerts.length
          ? h('ul', { class: 'list' }, d.alerts.map((a) => h('li', {}, badge(a.severity), ' ', h('strong', {}, a.type), ' ', a.source.device || '', ' — ', a.message || '', h('span', { class: 'muted' }, ` ${since(a.ts)}`))))
          : h('p', { class: 'muted' }, 'No active alerts.'),
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
