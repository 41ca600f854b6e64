// The single page: a hash router, the session, the language, and the navigation.
import { get, post, put, setCsrf } from './api.js';
import { h, mount } from './dom.js';
import { initI18n, LANGUAGES, lang, setLanguage, setTimeZone, setUser, t, tx } from './i18n.js';
import { camerasPage } from './pages/cameras.js';
import { configPage } from './pages/config.js';
import { dashboardPage } from './pages/dashboard.js';
import { devicesPage } from './pages/devices.js';
import { discoveryPage } from './pages/discovery.js';
import { eventsPage } from './pages/events.js';
import { loginPage, setupPage } from './pages/login.js';
import { logsPage } from './pages/logs.js';
import { reportPage } from './pages/report.js';
import { usersPage } from './pages/users.js';
import { valuesPage } from './pages/values.js';
import { zonesPage } from './pages/zones.js';

const ROLES = ['viewer', 'technician', 'admin'];
const pages = {
  dashboard: dashboardPage,
  zones: zonesPage,
  devices: devicesPage,
  values: valuesPage,
  cameras: camerasPage,
  discovery: discoveryPage,
  events: eventsPage,
  config: configPage,
  logs: logsPage,
  users: usersPage,
  report: reportPage,
};

export const session = { user: undefined, role: 'viewer', can: (role) => ROLES.indexOf(session.role) >= ROLES.indexOf(role) };
let cleanup;
let generation = 0;
let siteKnown = false;
const phone = () => window.matchMedia('(max-width: 760px)').matches;

/** The fixed parts of the page (menu, buttons) in the current language. */
function translateStatic() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.getElementById('menu').setAttribute('aria-label', t('nav.menu'));
  const select = document.getElementById('lang');
  if (!select.options.length) for (const [value, label] of Object.entries(LANGUAGES)) select.append(h('option', { value }, label));
  select.value = lang();
  document.getElementById('who').textContent = session.user ? `${session.user} (${tx('role', session.role)})` : '';
}

async function refreshSession() {
  const s = await get('/api/ui/session');
  setCsrf(s.csrf);
  session.user = s.user;
  session.role = s.role || 'viewer';
  // A new user: their language as kept on the box (it follows them from phone to laptop).
  const prefs = s.user && s.user !== session.known ? await get('/api/ui/prefs').catch(() => ({})) : {};
  session.known = s.user;
  await setUser(s.user, prefs.lang);
  if (s.user && !siteKnown) {
    const site = await get('/api/ui/site').catch(() => undefined);
    if (site) {
      setTimeZone(site.timeZone);
      siteKnown = true;
    }
  }
  if (!s.user) siteKnown = false;
  document.getElementById('site').textContent = s.site ? `${s.site} · ${s.gateway}` : '';
  for (const a of document.querySelectorAll('#nav [data-role]')) a.hidden = !session.can(a.dataset.role);
  translateStatic();
  return s;
}

function closeMenu() {
  const nav = document.getElementById('nav');
  nav.classList.remove('open');
  nav.hidden = phone();
  document.getElementById('menu').setAttribute('aria-expanded', 'false');
}

async function route() {
  cleanup?.();
  cleanup = undefined;
  const gen = ++generation;
  // On a phone the menu closes on every navigation, whatever started it (a link, back, a redirect).
  closeMenu();
  // Each route renders into a fresh container: a late answer for a page already left lands in a
  // detached element and is never seen.
  const view = h('div');
  const [name, ...args] = location.hash.replace(/^#\/?/, '').split('/');
  const s = await refreshSession().catch(() => ({}));
  if (gen !== generation) return;
  mount(document.getElementById('view'), view);
  const nav = document.getElementById('nav');
  if (s.setupNeeded) {
    nav.hidden = true;
    cleanup = setupPage(view, { done: onLogin });
    return;
  }
  if (!s.user) {
    nav.hidden = true;
    cleanup = loginPage(view, { done: onLogin });
    return;
  }
  closeMenu();
  const page = pages[name] || dashboardPage;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.getAttribute('href') === `#/${name || 'dashboard'}`);
  mount(view, h('p', { class: 'muted' }, t('common.loading')));
  try {
    const done = await page(view, { args: args.map(decodeURIComponent), session });
    if (gen === generation) cleanup = done;
    else done?.();
  } catch (err) {
    mount(view, h('p', { class: 'notice error' }, err.message));
  }
}

function onLogin(s) {
  setCsrf(s.csrf);
  location.hash = '#/dashboard';
  route();
}

async function start() {
  await initI18n();
  translateStatic();
  document.getElementById('logout').addEventListener('click', async () => {
    await post('/api/ui/logout').catch(() => {});
    setCsrf('');
    location.hash = '#/login';
    route();
  });
  document.getElementById('menu').addEventListener('click', () => {
    const nav = document.getElementById('nav');
    const open = !nav.classList.contains('open');
    nav.classList.toggle('open', open);
    nav.hidden = !open;
    document.getElementById('menu').setAttribute('aria-expanded', String(open));
  });
  // A tap on the current page's link changes no hash: close the menu anyway.
  document.getElementById('nav').addEventListener('click', (e) => {
    if (e.target.closest('a')) closeMenu();
  });
  document.getElementById('lang').addEventListener('change', async (e) => {
    await setLanguage(e.target.value);
    if (session.user) await put('/api/ui/prefs', { lang: e.target.value }).catch(() => {});
    route();
  });
  window.addEventListener('hashchange', route);
  await route();
}

start().catch((err) => {
  document.getElementById('view').textContent = String(err?.message ?? err);
});
