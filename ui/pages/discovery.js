import { post, untilSettled } from '../api.js';
import { badge, h, mount, notice, problemList } from '../dom.js';

export async function discoveryPage(view) {
  const msg = h('div', { id: 'discovery-msg' });
  const results = h('div', { id: 'discovery-results' });
  const scan = async () => {
    notice(msg, 'info', 'Scanning the network (WS-Discovery)…');
    try {
      const { found } = await post('/api/ui/discovery/scan', { timeoutMs: 3000 });
      notice(msg, 'ok', `${found.length} device(s) answered.`);
      draw(found);
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  };
  const draw = (found) => {
    const user = h('input', { name: 'username', placeholder: 'camera user', autocomplete: 'off', value: 'admin' });
    const pass = h('input', { name: 'password', type: 'password', placeholder: 'camera password', autocomplete: 'new-password' });
    const rows = found.map((f, i) =>
      h(
        'tr',
        { dataset: { identity: f.identity } },
        h('td', {}, f.configured ? null : h('input', { type: 'checkbox', 'aria-label': `select ${f.name || f.address}`, dataset: { i } })),
        h('td', { 'data-label': 'device' }, h('strong', {}, f.name || f.model || f.identity), h('div', { class: 'small muted' }, f.model || '')),
        h('td', { 'data-label': 'address' }, h('code', {}, f.address)),
        h('td', { 'data-label': 'configured' }, f.configured ? badge(`configured as ${f.configured}`) : badge('new')),
        h('td', { 'data-label': 'id' }, f.configured ? null : h('input', { class: 'new-id', dataset: { i }, value: suggestId(f, i), 'aria-label': 'device id' })),
      ),
    );
    const add = async () => {
      const picked = [...results.querySelectorAll('input[type=checkbox]:checked')].map((c) => Number(c.dataset.i));
      if (!picked.length) return notice(msg, 'error', 'Select at least one device.');
      for (const i of picked) {
        const f = found[i];
        const id = results.querySelector(`input.new-id[data-i="${i}"]`).value;
        const device = { id, name: f.name, kind: f.meta?.channels > 1 ? 'nvr' : 'camera', driver: f.driver, url: f.address, username: user.value, password: { $secret: pass.value } };
        try {
          const r = await post('/api/ui/devices', { device, reason: `added from discovery (${f.identity})` });
          notice(msg, 'info', `Adding ${id}…`);
          const v = await untilSettled(r.version.version);
          notice(msg, v.status === 'applied' ? 'ok' : 'error', v.status === 'applied' ? `Added ${id}.` : `Adding ${id} failed and was rolled back: ${v.error}`);
        } catch (err) {
          notice(msg, 'error', `${id}: ${err.message}`);
          if (err.body?.error?.problems) msg.append(problemList(err.body.error.problems));
          return;
        }
      }
      scan();
    };
    mount(
      results,
      h('table', { class: 'list-table' }, h('thead', {}, h('tr', {}, ['', 'device', 'address', 'status', 'new id'].map((t) => h('th', {}, t)))), h('tbody', {}, rows)),
      found.some((f) => !f.configured) ? h('div', { class: 'card' }, h('h2', {}, 'Add the selected devices'), h('div', { class: 'row' }, user, pass), h('button', { type: 'button', class: 'primary', id: 'add-selected', onclick: add }, 'Add selected')) : null,
    );
  };
  mount(view, h('div', { class: 'row' }, h('h1', {}, 'Discovery'), h('button', { type: 'button', class: 'primary', id: 'scan', onclick: scan }, 'Scan')), msg, results);
}

function suggestId(f, i) {
  const base = String(f.name || f.model || 'cam')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return base || `cam-${String(i + 1).padStart(3, '0')}`;
}
