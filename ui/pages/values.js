import { get, post } from '../api.js';
import { age, badge, h, mount, notice, num } from '../dom.js';

export async function valuesPage(view, { args, session }) {
  const { devices } = await get('/api/ui/devices');
  const id = args[0] || devices[0]?.id;
  const picker = h('select', { 'aria-label': 'device', id: 'values-device' }, devices.map((d) => h('option', { value: d.id, selected: d.id === id }, d.id)));
  picker.addEventListener('change', () => {
    location.hash = `#/values/${encodeURIComponent(picker.value)}`;
  });
  const body = h('tbody');
  const msg = h('div');
  const draw = async () => {
    if (!id) return;
    const v = await get(`/api/ui/values/${encodeURIComponent(id)}`);
    // Keep what the technician is typing in a write box.
    if (body.contains(document.activeElement)) return;
    mount(
      body,
      v.points.map((p) =>
        h(
          'tr',
          { dataset: { point: p.name } },
          h('td', { 'data-label': 'point' }, h('code', {}, p.name)),
          h('td', { 'data-label': 'value', class: 'num' }, num(p.value), p.unit ? h('span', { class: 'muted' }, ` ${p.unit}`) : null),
          h('td', { 'data-label': 'quality' }, p.quality ? badge(p.quality) : '—', p.error ? h('div', { class: 'small error-text' }, p.error) : null),
          h('td', { 'data-label': 'age' }, age(p.ageMs)),
          h('td', { 'data-label': 'write' }, p.writable && session.can('technician') ? writeBox(id, p, msg) : null),
        ),
      ),
    );
  };
  mount(
    view,
    h('div', { class: 'row' }, h('h1', {}, 'Live values'), picker),
    msg,
    h('table', { class: 'list-table', id: 'values' }, h('thead', {}, h('tr', {}, ['point', 'value', 'quality', 'age', ''].map((t) => h('th', {}, t)))), body),
  );
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 2000);
  return () => clearInterval(timer);
}

function writeBox(device, p, msg) {
  const limits = [p.writable.min !== undefined ? `≥ ${p.writable.min}` : '', p.writable.max !== undefined ? `≤ ${p.writable.max}` : ''].filter(Boolean).join(', ');
  const input = h('input', { type: 'text', inputmode: 'decimal', size: 6, placeholder: limits || 'value', 'aria-label': `new value for ${p.name}` });
  const form = h('form', { class: 'inline' }, input, h('button', { type: 'submit' }, 'Write'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const raw = input.value.trim();
    const value = raw === 'true' ? true : raw === 'false' ? false : Number.isFinite(Number(raw)) && raw !== '' ? Number(raw) : raw;
    if (!confirm(`Write ${JSON.stringify(value)} ${p.unit || ''} to ${device}/${p.name}? This changes the device.`)) return;
    try {
      await post(`/api/ui/values/${encodeURIComponent(device)}/${encodeURIComponent(p.name)}`, { value, confirm: true });
      notice(msg, 'ok', `Wrote ${value} to ${p.name}.`);
      input.value = '';
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  });
  return form;
}
