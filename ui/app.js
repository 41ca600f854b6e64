// The single page: a hash router, the session, and the navigation.
import { get, post, setCsrf } from './api.js';
import { h, mount } from './dom.js';
import { camerasPage } from './pages/cameras.js';
import { configPage } from './pages/config.js';
import { dashboardPage } from './pages/dashboard.js';
import { devicesPage } from './pages/devices.js';
import { discoveryPage } from './pages/discovery.js';
import { eventsPage } from './pages/events.js';
import { loginPage, setupPage } from './pages/login.js';
import { logsPage } from './pages/logs.js';
import { usersPage } from './pages/users.js';
import { valuesPage } from './pages/values.js';

const ROLES = ['viewer', 'technician', 'admin'];
const pages = {
  dashboard: dashboardPage,
  devices: devicesPage,
  values: valuesPage,
  cameras: camerasPage,
  discovery: discoveryPage,
  events: eventsPage,
  config: configPage,
  logs: logsPage,
  users: usersPage,
};

export const session = { user: undefined, role: 'viewer', can: (role) => ROLES.indexOf(session.role) >= ROLES.indexOf(role) };
let cleanup;
let generation = 0;

async function refreshSession() {
  const s = await get('/api/ui/session');
  setCsrf(s.csrf);
  session.user = s.user;
  session.role = s.role || 'viewer';
  document.getElementById('site').textContent = s.site ? `${s.site} · ${s.gateway}` : '';
  document.getElementById('who').textContent = s.user ? `${s.user} (${s.role})` : '';
  for (const a of document.querySelectorAll('#nav [data-role]')) a.hidden = !session.can(a.dataset.role);
  return s;
}

async function route() {
  cleanup?.();
  cleanup = undefined;
  const gen = ++generation;
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
  nav.hidden = window.matchMedia('(max-width: 760px)').matches && !nav.classList.contains('open');
  const page = pages[name] || dashboardPage;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.getAttribute('href') === `#/${name || 'dashboard'}`);
  mount(view, h('p', { class: 'muted' }, 'Loading…'));
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
document.getElementById('nav').addEventListener('click', (e) => {
  if (e.target.tagName === 'A' && window.matchMedia('(max-width: 760px)').matches) {
    const nav = document.getElementById('nav');
    nav.classList.remove('open');
    nav.hidden = true;
  }
});
window.addEventListener('hashchange', route);
route();
