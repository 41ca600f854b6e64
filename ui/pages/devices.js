import { del, get, post, put, untilSettled } from '../api.js';
import { badge, h, mount, notice, num, problemList, since } from '../dom.js';
import { schemaForm, showProblems } from '../schema-form.js';

export async function devicesPage(view, { args, session }) {
  if (args[0] === 'new' || args[0] === 'edit') return deviceForm(view, args[0] === 'edit' ? args[1] : undefined, session);
  const { devices } = await get('/api/ui/devices');
  const filter = h('input', { type: 'search', placeholder: 'filter: id, name, zone, status…', 'aria-label': 'filter', id: 'device-filter' });
  const body = h('tbody');
  const draw = () => {
    const q = filter.value.toLowerCase();
    const rows = devices.filter((d) => !q || [d.id, d.name, d.zone, d.status, d.driver, d.kind].some((x) => String(x ?? '').toLowerCase().includes(q)));
    mount(
      body,
      rows.map((d) =>
        h(
          'tr',
          { dataset: { device: d.id } },
          h('td', { 'data-label': 'device' }, h('strong', {}, d.id), d.name ? h('div', { class: 'muted small' }, d.name) : null),
          h('td', { 'data-label': 'status' }, badge(d.enabled ? d.status : 'disabled'), d.reason ? h('div', { class: 'small error-text' }, d.reason) : null),
          h('td', { 'data-label': 'last seen' }, since(d.lastSeen)),
          h('td', { 'data-label': 'driver' }, `${d.driver} · ${d.kind}`),
          h('td', { 'data-label': 'zone' }, d.zone || '—'),
          h(
            'td',
            { class: 'actions' },
            h('a', { href: `#/values/${encodeURIComponent(d.id)}` }, 'values'),
            session.can('technician') ? h('a', { href: `#/devices/edit/${encodeURIComponent(d.id)}` }, 'edit') : null,
          ),
        ),
      ),
    );
  };
  filter.addEventListener('input', draw);
  mount(
    view,
    h('div', { class: 'row' }, h('h1', {}, `Devices (${devices.length})`), session.can('technician') ? h('a', { class: 'button primary', href: '#/devices/new', id: 'add-device' }, 'Add device') : null),
    filter,
    h('table', { class: 'list-table', id: 'devices' }, h('thead', {}, h('tr', {}, ['device', 'status', 'last seen', 'driver', 'zone', ''].map((t) => h('th', {}, t)))), body),
  );
  draw();
  const timer = setInterval(async () => {
    const fresh = await get('/api/ui/devices').catch(() => undefined);
    if (!fresh) return;
    devices.splice(0, devices.length, ...fresh.devices);
    draw();
  }, 5000);
  return () => clearInterval(timer);
}

async function deviceForm(view, id, session) {
  const schema = await get('/api/ui/schema/device');
  const current = id ? (await get(`/api/ui/devices/${encodeURIComponent(id)}`)).device : { kind: 'modbus', driver: 'modbus' };
  const msg = h('div', { id: 'device-msg' });
  const testOut = h('div', { id: 'test-result' });
  const form = schemaForm(schema, current, { initial: current.driver });
  const reason = h('input', { name: 'reason', placeholder: 'reason for the change (shown in the history)' });
  const read = () => {
    try {
      return form.read();
    } catch (err) {
      notice(msg, 'error', err.message);
      return undefined;
    }
  };
  const test = async () => {
    const device = read();
    if (!device) return;
    notice(msg, 'info', 'Testing the device…');
    testOut.replaceChildren();
    try {
      const r = await post('/api/ui/devices/test', { device });
      showProblems(form.el, []);
      notice(msg, r.ok ? 'ok' : 'error', r.ok ? `Test passed in ${r.tookMs} ms.` : `Test failed: ${r.errors.join('; ')}`);
      mount(
        testOut,
        h(
          'div',
          { class: 'card test' },
          h('h3', {}, 'Test result'),
          r.status ? h('p', {}, 'status: ', badge(r.status.status), r.status.error ? ` ${r.status.error}` : '') : null,
          r.status?.meta ? h('pre', { class: 'small' }, JSON.stringify(r.status.meta, null, 2)) : null,
          r.reading
            ? h('p', { class: 'reading' }, 'read ', h('code', {}, r.reading.point), ' = ', h('strong', { id: 'test-value' }, num(r.reading.value)), ` ${r.reading.unit || ''} `, badge(r.reading.quality))
            : null,
          r.seen?.length ? h('p', { class: 'small muted' }, `last values seen: ${r.seen.map((s) => `${s.point}=${num(s.value)}${s.unit ? ` ${s.unit}` : ''}`).join(', ')}`) : null,
          r.snapshot ? h('img', { class: 'preview', src: r.snapshot, alt: 'snapshot preview' }) : null,
        ),
      );
    } catch (err) {
      notice(msg, 'error', err.message);
      const rest = showProblems(form.el, err.body?.error?.problems);
      if (rest.length) testOut.replaceChildren(problemList(rest));
    }
  };
  const save = async (e) => {
    e.preventDefault();
    const device = read();
    if (!device) return;
    try {
      const r = id ? await put(`/api/ui/devices/${encodeURIComponent(id)}`, { device, reason: reason.value }) : await post('/api/ui/devices', { device, reason: reason.value });
      showProblems(form.el, []);
      notice(msg, 'info', `Saved as configuration version ${r.version.version}; applying…`);
      const v = await untilSettled(r.version.version);
      if (v.status === 'applied') {
        notice(msg, 'ok', `Configuration version ${v.version} applied.`);
        location.hash = '#/devices';
      } else notice(msg, 'error', `Version ${v.version} failed to apply and was rolled back: ${v.error}`);
    } catch (err) {
      notice(msg, 'error', err.message);
      const rest = showProblems(form.el, err.body?.error?.problems);
      if (rest.length) msg.append(problemList(rest));
    }
  };
  const remove = async () => {
    if (!confirm(`Remove device ${id}? Its history stays on the platform.`)) return;
    try {
      const r = await del(`/api/ui/devices/${encodeURIComponent(id)}`);
      const v = await untilSettled(r.version.version);
      notice(msg, v.status === 'applied' ? 'ok' : 'error', v.status === 'applied' ? 'Removed.' : v.error);
      if (v.status === 'applied') location.hash = '#/devices';
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  };
  const el = h(
    'form',
    { class: 'card', id: 'device-form', novalidate: true },
    h('h1', {}, id ? `Edit ${id}` : 'Add a device'),
    form.el,
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'Reason'), reason),
    msg,
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'button', id: 'test-device', onclick: test }, 'Test before saving'),
      h('button', { type: 'submit', class: 'primary', id: 'save-device', disabled: !session.can('technician') }, 'Save and apply'),
      id ? h('button', { type: 'button', class: 'danger', onclick: remove }, 'Remove') : null,
      h('a', { href: '#/devices', class: 'button' }, 'Cancel'),
    ),
    testOut,
  );
  el.addEventListener('submit', save);
  mount(view, el);
}
