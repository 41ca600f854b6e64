import { del, get, post, put, untilSettled } from '../api.js';
import { badge, h, mount, notice, num, problemList, since } from '../dom.js';
import { t, tx } from '../i18n.js';
import { schemaForm, showProblems } from '../schema-form.js';

export async function devicesPage(view, { args, session }) {
  if (args[0] === 'new' || args[0] === 'edit') return deviceForm(view, args[0] === 'edit' ? args[1] : undefined, session);
  const { devices } = await get('/api/ui/devices');
  const filter = h('input', { type: 'search', placeholder: t('devices.filter'), 'aria-label': t('devices.filter'), id: 'device-filter' });
  const body = h('tbody');
  const draw = () => {
    const q = filter.value.toLowerCase();
    const rows = devices.filter(
      (d) =>
        !q ||
        [d.id, d.name, d.zone, d.status, tx('status', d.status), d.driver, d.kind, tx('kind', d.kind)].some((x) =>
          String(x ?? '')
            .toLowerCase()
            .includes(q),
        ),
    );
    mount(
      body,
      rows.map((d) =>
        h(
          'tr',
          { dataset: { device: d.id } },
          h(
            'td',
            { 'data-label': t('devices.device'), class: 'c-name' },
            h('strong', {}, d.name || d.id),
            d.name ? h('div', { class: 'muted small' }, h('code', {}, d.id)) : null,
          ),
          h(
            'td',
            { 'data-label': t('devices.status'), class: 'c-status' },
            badge(d.enabled ? d.status : 'disabled'),
            d.reason ? h('div', { class: 'small error-text data reason' }, d.reason) : null,
            refusals(d.rejected),
          ),
          h('td', { 'data-label': t('devices.lastSeen'), class: 'c-seen' }, since(d.lastSeen)),
          h('td', { 'data-label': t('devices.kind'), class: 'c-kind' }, tx('kind', d.kind), h('span', { class: 'muted small' }, ` · ${d.driver}`)),
          h('td', { 'data-label': t('devices.zone'), class: 'c-zone' }, d.zone || '—'),
          h(
            'td',
            { class: 'actions' },
            h('a', { href: `#/values/${encodeURIComponent(d.id)}` }, t('devices.values')),
            session.can('technician') ? h('a', { href: `#/devices/edit/${encodeURIComponent(d.id)}` }, t('devices.edit')) : null,
          ),
        ),
      ),
    );
  };
  filter.addEventListener('input', draw);
  mount(
    view,
    h(
      'div',
      { class: 'row' },
      h('h1', {}, t('devices.title', { count: devices.length })),
      session.can('technician') ? h('a', { class: 'button primary', href: '#/devices/new', id: 'add-device' }, t('devices.add')) : null,
    ),
    filter,
    h(
      'table',
      { class: 'list-table compact-phone', id: 'devices' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('devices.device'), t('devices.status'), t('devices.lastSeen'), t('devices.kind'), t('devices.zone'), ''].map((x) => h('th', {}, x)),
        ),
      ),
      body,
    ),
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

/** What the gateway refused from this device since it started, by reason (nothing when nothing was refused). */
function refusals(rejected) {
  const entries = Object.entries(rejected ?? {}).filter(([, n]) => n > 0);
  if (!entries.length) return null;
  return h(
    'div',
    { class: 'small muted refused', dataset: { refused: entries.map(([r, n]) => `${r}=${n}`).join(' ') } },
    t('devices.refused', { list: entries.map(([r, n]) => `${tx('reject', r)} ${num(n)}`).join(t('list.separator')) }),
  );
}

/**
 * The profile field as a picker: each profile of the device's driver with its description and
 * points, instead of a name to type. The schema form's own input stays (hidden) and carries the value.
 */
function profilePicker(formEl, profiles) {
  const input = formEl.querySelector('input[data-path="profile"]');
  const driver = formEl.querySelector('select[data-path="driver"]')?.value;
  if (!input) return;
  const mine = profiles.filter((p) => !driver || p.driver === driver);
  if (!mine.length) return;
  const select = h(
    'select',
    { id: 'profile-picker', 'aria-label': t('devices.profile') },
    h('option', { value: '' }, t('devices.profileNone')),
    mine.map((p) => h('option', { value: p.name }, p.name)),
  );
  const about = h('div', { class: 'profile-about small', id: 'profile-about' });
  const show = () => {
    input.value = select.value;
    const p = mine.find((x) => x.name === select.value);
    mount(
      about,
      p
        ? [
            p.description ? h('p', { class: 'data' }, p.description) : null,
            h('p', { class: 'muted' }, t('devices.profilePoints', { count: p.points.length })),
            h(
              'ul',
              { class: 'points' },
              p.points.map((x) =>
                h(
                  'li',
                  {},
                  h('code', {}, x.name),
                  x.unit ? h('span', { class: 'muted' }, ` ${x.unit}`) : null,
                  x.writable ? h('span', { class: 'badge s-minor' }, t('devices.writable')) : null,
                ),
              ),
            ),
          ]
        : null,
    );
  };
  select.value = mine.some((p) => p.name === input.value) ? input.value : '';
  if (input.value && !select.value) select.append(h('option', { value: input.value, selected: true }, input.value));
  select.addEventListener('change', show);
  input.hidden = true;
  input.after(select, about);
  show();
}

/** The kind a new device of a driver usually is (the technician may still choose another). */
const DRIVER_KIND = { onvif: 'camera', modbus: 'modbus', mqtt: 'mqtt' };

async function deviceForm(view, id, session) {
  const [schema, { profiles }] = await Promise.all([get('/api/ui/schema/device'), get('/api/ui/profiles').catch(() => ({ profiles: [] }))]);
  const current = id ? (await get(`/api/ui/devices/${encodeURIComponent(id)}`)).device : { kind: 'modbus', driver: 'modbus' };
  const msg = h('div', { id: 'device-msg' });
  const testOut = h('div', { id: 'test-result' });
  const form = schemaForm(schema, current, {
    initial: current.driver,
    onVariant: (driver) => {
      // A camera driver's device is a camera, not the kind left from the driver chosen before.
      const kind = form.el.querySelector('select[data-path="kind"]');
      if (kind && DRIVER_KIND[driver] && [...kind.options].some((o) => o.value === DRIVER_KIND[driver])) kind.value = DRIVER_KIND[driver];
      profilePicker(form.el, profiles);
    },
  });
  profilePicker(form.el, profiles);
  const reason = h('input', { name: 'reason', placeholder: t('devices.reasonPlaceholder') });
  // How long the test waits for the device's first word: a sensor may publish only every 30 s.
  const wait = h(
    'select',
    { id: 'test-wait', 'aria-label': t('devices.testWait') },
    [5, 15, 30, 60].map((sec) => h('option', { value: String(sec * 1000) }, t('devices.testWaitSeconds', { count: sec }))),
  );
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
    notice(msg, 'info', t('devices.testing'));
    testOut.replaceChildren();
    try {
      const r = await post('/api/ui/devices/test', { device, waitMs: Number(wait.value) });
      showProblems(form.el, []);
      notice(msg, r.ok ? 'ok' : 'error', r.ok ? t('devices.testPassed', { ms: r.tookMs }) : t('devices.testFailed', { errors: r.errors.join('; ') }));
      mount(
        testOut,
        h(
          'div',
          { class: 'card test' },
          h('h3', {}, t('devices.testResult')),
          r.status
            ? h('p', {}, t('devices.status'), ': ', badge(r.status.status), r.status.error ? h('span', { class: 'data' }, ` ${r.status.error}`) : '')
            : null,
          r.status?.meta ? h('pre', { class: 'small' }, JSON.stringify(r.status.meta, null, 2)) : null,
          r.reading
            ? h(
                'p',
                { class: 'reading' },
                t('devices.read'),
                ' ',
                h('code', {}, r.reading.point),
                ' = ',
                h('strong', { id: 'test-value' }, num(r.reading.value)),
                ` ${r.reading.unit || ''} `,
                badge(r.reading.quality),
              )
            : null,
          r.seen?.length
            ? h(
                'p',
                { class: 'small muted' },
                t('devices.lastSeenValues'),
                ' ',
                h('code', {}, r.seen.map((s) => `${s.point}=${num(s.value)}${s.unit ? ` ${s.unit}` : ''}`).join(', ')),
              )
            : null,
          r.snapshot ? h('img', { class: 'preview', src: r.snapshot, alt: t('devices.snapshotPreview') }) : null,
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
      const r = id
        ? await put(`/api/ui/devices/${encodeURIComponent(id)}`, { device, reason: reason.value })
        : await post('/api/ui/devices', { device, reason: reason.value });
      showProblems(form.el, []);
      notice(msg, 'info', t('config.savedApplying', { version: r.version.version }));
      const v = await untilSettled(r.version.version);
      if (v.status === 'applied') {
        notice(msg, 'ok', t('config.applied', { version: v.version }));
        location.hash = '#/devices';
      } else notice(msg, 'error', t('config.rolledBack', { version: v.version, error: v.error }));
    } catch (err) {
      notice(msg, 'error', err.message);
      const rest = showProblems(form.el, err.body?.error?.problems);
      if (rest.length) msg.append(problemList(rest));
    }
  };
  const remove = async () => {
    if (!confirm(t('devices.confirmRemove', { id }))) return;
    try {
      const r = await del(`/api/ui/devices/${encodeURIComponent(id)}`);
      const v = await untilSettled(r.version.version);
      notice(msg, v.status === 'applied' ? 'ok' : 'error', v.status === 'applied' ? t('devices.removed') : v.error);
      if (v.status === 'applied') location.hash = '#/devices';
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  };
  const el = h(
    'form',
    { class: 'card', id: 'device-form', novalidate: true },
    h('h1', {}, id ? t('devices.editTitle', { id }) : t('devices.addTitle')),
    form.el,
    h('label', { class: 'field' }, h('span', { class: 'label' }, t('common.reason')), reason),
    msg,
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'button', id: 'test-device', onclick: test }, t('devices.test')),
      wait,
      h('button', { type: 'submit', class: 'primary', id: 'save-device', disabled: !session.can('technician') }, t('devices.save')),
      id ? h('button', { type: 'button', class: 'danger', onclick: remove }, t('devices.remove')) : null,
      h('a', { href: '#/devices', class: 'button' }, t('common.cancel')),
    ),
    testOut,
  );
  el.addEventListener('submit', save);
  mount(view, el);
}
