// Building the page with DOM nodes (never innerHTML with data): text stays text.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** "12 s ago", "3 min ago" — ages a technician reads at a glance. */
export function age(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A reading for people: at most 6 significant digits (no 19.900000000000002). */
export function num(v) {
  if (typeof v !== 'number') return v === null || v === undefined ? '—' : String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

export function since(iso) {
  return iso ? age(Date.now() - Date.parse(iso)) : '—';
}

export function bytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function badge(status) {
  return h('span', { class: `badge s-${String(status).replace(/\s+/g, '-')}` }, status);
}

/** A message line (info, error, ok) that replaces the previous one. */
export function notice(el, kind, text) {
  mount(el, text ? h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text) : null);
}

/** Problems from the server: a list with the field, what is wrong, and an example. */
export function problemList(problems) {
  return h(
    'ul',
    { class: 'problems' },
    (problems || []).map((p) =>
      h('li', {}, h('code', {}, p.field || p.path), ': ', p.message, p.example !== undefined ? h('span', { class: 'muted' }, ` (e.g. ${JSON.stringify(p.example)})`) : null),
    ),
  );
}
