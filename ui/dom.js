// Building the page with DOM nodes (never innerHTML with data): text stays text.
import { reading, t, tx } from './i18n.js';

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

/** "12 s ago", "3 min ago" — ages a technician reads at a glance, in the user's language. */
export function age(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return t('age.s', { n: s });
  if (s < 5400) return t('age.min', { n: Math.round(s / 60) });
  if (s < 172800) return t('age.h', { n: Math.round(s / 3600) });
  return t('age.d', { n: Math.round(s / 86400) });
}

/** A reading for people: at most 6 significant digits (no 19.900000000000002). */
export const num = reading;

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

/** A status word (online, critical, applied…) in the user's language; the class keeps the contract value. */
export function badge(status) {
  return h('span', { class: `badge s-${String(status).replace(/\s+/g, '-')}`, dataset: { value: status } }, tx('status', status));
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
      h(
        'li',
        {},
        h('code', {}, p.field || p.path),
        ': ',
        problemText(p.message),
        p.example !== undefined ? h('span', { class: 'muted' }, ` ${t('problem.example', { example: JSON.stringify(p.example) })}`) : null,
      ),
    ),
  );
}

/**
 * A validation message from the server (zod's and the schema's English) in the user's language.
 * The server's words are matched to a key with its parameters; a message with no key yet is shown
 * as sent, so nothing is lost.
 */
const PROBLEM_PATTERNS = [
  [/^Too big: expected (?:number|int) to be <=?\s*(-?[\d.]+)/, 'problem.max', (m) => ({ max: m[1] })],
  [/^Too small: expected (?:number|int) to be >=?\s*(-?[\d.]+)/, 'problem.min', (m) => ({ min: m[1] })],
  [/^Too big: expected string to have <=?\s*(\d+) characters/, 'problem.maxLength', (m) => ({ max: m[1] })],
  [/^Too small: expected string to have >=?\s*(\d+) characters/, 'problem.minLength', (m) => ({ min: m[1] })],
  [/^Too small: expected array to have >=?\s*(\d+) items?/, 'problem.minItems', (m) => ({ min: m[1] })],
  [/^Invalid input: expected (\w+), received (\w+)/, 'problem.type', (m) => ({ expected: tx('type', m[1]), received: tx('type', m[2]) })],
  [/^is required \((\w+)\)/, 'problem.required', (m) => ({ expected: tx('type', m[1]) })],
  [/^must be one of (.+)$/, 'problem.oneOf', (m) => ({ values: m[1] })],
  [/^unknown settings? (.+)$/, 'problem.unknown', (m) => ({ keys: m[1] })],
  [/^Invalid (?:input|option)/, 'problem.invalid', () => ({})],
  [/^must be HH:MM/, 'problem.hhmm', () => ({})],
  [/^must be lower-case letters, digits and dashes/, 'problem.slug', () => ({})],
  [/^device id "(.+)" is already used by/, 'problem.duplicate', (m) => ({ id: m[1] })],
  [/^is not an IANA time zone/, 'problem.timeZone', () => ({})],
];
export function problemText(message) {
  const text = String(message ?? '');
  for (const [re, key, params] of PROBLEM_PATTERNS) {
    const m = re.exec(text);
    if (m) return t(key, params(m));
  }
  return text;
}
