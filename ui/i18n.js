// Language and locale: i18next (served from this box) with the two resource files; dates in the
// site's time zone, numbers in the user's locale. Keys are flat ("nav.dashboard"); a key missing
// in the language in use is logged as a console error (the Chromium tests fail on it).
import i18next from '/ui/vendor/lib/i18next.js';
import en from './locales/en.js';
import zh from './locales/zh-CN.js';

export const LANGUAGES = { 'zh-CN': '中文', en: 'English' };
const STORE = 'gridgate.lang';
let timeZone;
let user = '';

/** The language remembered for this user on this browser, else the browser's. */
function preferred() {
  const saved = localStorage.getItem(user ? `${STORE}.${user}` : STORE) || localStorage.getItem(STORE);
  if (saved && saved in LANGUAGES) return saved;
  const browser = navigator.languages?.length ? navigator.languages : [navigator.language];
  return browser.some((l) => String(l).toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

export async function initI18n() {
  await i18next.init({
    lng: preferred(),
    // No fallback: a key missing in Chinese must show up, not quietly print English.
    fallbackLng: false,
    resources: { en: { translation: en }, 'zh-CN': { translation: zh } },
    keySeparator: false,
    nsSeparator: false,
    // Text is always put in text nodes, never HTML: no escaping needed (and none wanted: "<" stays "<").
    interpolation: { escapeValue: false },
    saveMissing: true,
    // biome-ignore lint/suspicious/noConsole: the Chromium tests fail on console errors, so a missing key fails them.
    missingKeyHandler: (lngs, _ns, key) => console.error(`i18n: missing key "${key}" in ${lngs.join(', ')}`),
    returnNull: false,
  });
  applyDocumentLanguage();
}

function applyDocumentLanguage() {
  document.documentElement.lang = i18next.language;
  document.title = t('app.title');
}

export const t = (key, options) => i18next.t(key, options);
/** A key built from data (an event type, a status): its translation if there is one, else the value itself. */
export const tx = (prefix, value, fallback = value) => (i18next.exists(`${prefix}.${value}`) ? i18next.t(`${prefix}.${value}`) : String(fallback ?? ''));
export const lang = () => i18next.language;

/**
 * The user logged in: the language kept for them on the box (`saved`) wins, then the one
 * remembered on this browser, then the browser's.
 */
export async function setUser(name, saved) {
  if (name === user && !saved) return false;
  user = name || '';
  if (saved && saved in LANGUAGES && user) localStorage.setItem(`${STORE}.${user}`, saved);
  const want = preferred();
  if (want === i18next.language) return false;
  await i18next.changeLanguage(want);
  applyDocumentLanguage();
  return true;
}

export async function setLanguage(l) {
  localStorage.setItem(STORE, l);
  if (user) localStorage.setItem(`${STORE}.${user}`, l);
  await i18next.changeLanguage(l);
  applyDocumentLanguage();
}

export function setTimeZone(tz) {
  timeZone = tz || undefined;
  formats.clear();
}

const formats = new Map();
function fmt(kind, options) {
  const key = `${i18next.language}|${kind}`;
  let f = formats.get(key);
  if (!f) {
    f = kind.startsWith('n') ? new Intl.NumberFormat(i18next.language, options) : new Intl.DateTimeFormat(i18next.language, { ...options, timeZone });
    formats.set(key, f);
  }
  return f;
}

const toDate = (v) => (v instanceof Date ? v : new Date(typeof v === 'number' ? v : Date.parse(v)));
/** Date and time in the site's time zone, the user's order of fields ("2026/11/29 20:41:07"). */
export const dateTime = (v) =>
  v
    ? fmt('dt', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(
        toDate(v),
      )
    : '—';
export const timeOnly = (v) => (v ? fmt('t', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(toDate(v)) : '—');
export const hourMinute = (v) => fmt('hm', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(toDate(v));
/** A count of people or things: grouped (50,000). */
export const count = (n) => (typeof n === 'number' ? fmt('n-count', { maximumFractionDigits: 1 }).format(n) : '—');
/** A reading: at most 6 significant digits, no grouping (a technician copies it). */
export const reading = (n) => {
  if (typeof n !== 'number') return n === null || n === undefined ? '—' : String(n);
  return Number.isInteger(n)
    ? fmt('n-int', { useGrouping: false, maximumFractionDigits: 0 }).format(n)
    : fmt('n-read', { useGrouping: false, maximumSignificantDigits: 6 }).format(n);
};
export const siteTimeZone = () => timeZone;
