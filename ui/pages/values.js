import { get, post } from '../api.js';
import { age, badge, h, mount, notice, num } from '../dom.js';
import { t } from '../i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

export async function valuesPage(view, { args, session }) {
  const { devices } = await get('/api/ui/devices');
  const id = args[0] || devices[0]?.id;
  const picker = h(
    'select',
    { 'aria-label': t('values.device'), id: 'values-device' },
    devices.map((d) => h('option', { value: d.id, selected: d.id === id }, d.name ? `${d.name} (${d.id})` : d.id)),
  );
  picker.addEventListener('change', () => {
    location.hash = `#/values/${encodeURIComponent(picker.value)}`;
  });
  const body = h('tbody');
  const msg = h('div', { id: 'values-msg' });
  /** The value a write left on the device, read back through the running driver. */
  const confirmed = new Map();
  const draw = async () => {
    if (!id) return;
    const [v, trend] = await Promise.all([
      get(`/api/ui/values/${encodeURIComponent(id)}`),
      get(`/api/ui/values/${encodeURIComponent(id)}/trend`).catch(() => ({ points: {} })),
    ]);
    // Keep what the technician is typing in a write box (a focused button is not typing).
    if (document.activeElement?.tagName === 'INPUT' && body.contains(document.activeElement)) return;
    mount(
      body,
      v.points.map((p) => {
        const c = confirmed.get(p.name);
        // A newer poll replaces the read-back value; until then the row shows what the device confirmed.
        const shown = c && (!p.ts || Date.parse(p.ts) <= Date.parse(c.ts)) ? c : p;
        return h(
          'tr',
          { dataset: { point: p.name } },
          h('td', { 'data-label': t('values.point') }, h('code', {}, p.name)),
          h(
            'td',
            { 'data-label': t('values.value'), class: 'num' },
            h('span', { class: 'value' }, num(shown.value)),
            p.unit ? h('span', { class: 'muted' }, ` ${p.unit}`) : null,
            c && shown === c ? h('span', { class: 'small ok-text confirmed' }, ` ✓ ${t('values.confirmed')}`) : null,
          ),
          h('td', { 'data-label': t('values.trend') }, sparkline(trend.points[p.name])),
          h(
            'td',
            { 'data-label': t('values.quality') },
            p.quality ? badge(p.quality) : '—',
            p.error ? h('div', { class: 'small error-text data' }, p.error) : null,
          ),
          h('td', { 'data-label': t('values.age') }, age(p.ageMs)),
          h('td', { 'data-label': t('values.write') }, p.writable && session.can('technician') ? writeBox(id, p, msg, confirmed, draw) : null),
        );
      }),
    );
  };
  mount(
    view,
    h('div', { class: 'row' }, h('h1', {}, t('values.title')), picker),
    msg,
    h(
      'table',
      { class: 'list-table', id: 'values' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('values.point'), t('values.value'), t('values.trend'), t('values.quality'), t('values.age'), ''].map((x) => h('th', {}, x)),
        ),
      ),
      body,
    ),
  );
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 2000);
  return () => clearInterval(timer);
}

/**
 * The last minutes of a point as a tiny line. Hand-drawn SVG: 60 samples in a 96×24 box need no
 * chart library (uPlot draws the zone charts, where axes and legends matter).
 */
function sparkline(pairs) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 96 24');
  svg.setAttribute('role', 'img');
  if (!pairs || pairs.length < 2) return svg;
  const t0 = pairs[0][0];
  const t1 = pairs[pairs.length - 1][0];
  let lo = Infinity;
  let hi = -Infinity;
  for (const [, v] of pairs) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || 1;
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute(
    'points',
    pairs.map(([ts, v]) => `${(((ts - t0) / (t1 - t0 || 1)) * 94 + 1).toFixed(1)},${(22 - ((v - lo) / span) * 20).toFixed(1)}`).join(' '),
  );
  svg.append(line);
  svg.setAttribute('aria-label', `${num(lo)} – ${num(hi)}`);
  svg.dataset.samples = String(pairs.length);
  return svg;
}

function writeBox(device, p, msg, confirmed, redraw) {
  const limits = [p.writable.min !== undefined ? `≥ ${p.writable.min}` : '', p.writable.max !== undefined ? `≤ ${p.writable.max}` : '']
    .filter(Boolean)
    .join(', ');
  const input = h('input', {
    type: 'text',
    inputmode: 'decimal',
    size: 6,
    placeholder: limits || t('values.newValue'),
    'aria-label': t('values.newValueFor', { point: p.name }),
  });
  const form = h('form', { class: 'inline' }, input, h('button', { type: 'submit' }, t('values.writeButton')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const raw = input.value.trim();
    const value = raw === 'true' ? true : raw === 'false' ? false : Number.isFinite(Number(raw)) && raw !== '' ? Number(raw) : raw;
    if (!confirm(t('values.confirmWrite', { value: JSON.stringify(value), unit: p.unit || '', target: `${device}/${p.name}` }))) return;
    try {
      await post(`/api/ui/values/${encodeURIComponent(device)}/${encodeURIComponent(p.name)}`, { value, confirm: true });
      input.value = '';
      notice(msg, 'info', t('values.wroteReading', { value, point: p.name }));
    } catch (err) {
      notice(msg, 'error', err.message);
      return;
    }
    // Read the point back through the running driver: the row shows what the device now holds.
    try {
      const { reading } = await post(`/api/ui/values/${encodeURIComponent(device)}/${encodeURIComponent(p.name)}/read`);
      confirmed.set(p.name, reading);
      const same =
        reading.value === value ||
        (typeof value === 'number' && typeof reading.value === 'number' && Math.abs(reading.value - value) <= Math.abs(value) * 1e-6 + 1e-9);
      notice(
        msg,
        same ? 'ok' : 'error',
        same
          ? t('values.readBackOk', { wrote: value, value: num(reading.value), unit: p.unit || '', point: p.name })
          : t('values.readBackDiffers', { wrote: value, value: num(reading.value), unit: p.unit || '', point: p.name }),
      );
    } catch (err) {
      notice(msg, 'error', t('values.readBackFailed', { point: p.name, error: err.message }));
    }
    redraw().catch(() => {});
  });
  return form;
}
