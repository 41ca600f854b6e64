import { del, get, post } from '../api.js';
import { badge, h, mount, notice } from '../dom.js';

export async function usersPage(view, { session }) {
  const [{ users, roles }, { entries }] = await Promise.all([get('/api/ui/users'), get('/api/ui/audit?limit=100')]);
  const msg = h('div');
  const form = h(
    'form',
    { class: 'inline' },
    h('input', { name: 'name', required: true, placeholder: 'user name', autocapitalize: 'off' }),
    h('select', { name: 'role' }, roles.map((r) => h('option', { value: r }, r))),
    h('input', { name: 'password', type: 'password', required: true, minlength: 10, placeholder: 'password (10+)', autocomplete: 'new-password' }),
    h('button', { type: 'submit' }, 'Add or update'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      await post('/api/ui/users', { name: f.get('name'), role: f.get('role'), password: f.get('password') });
      usersPage(view, { session });
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  });
  mount(
    view,
    h('h1', {}, 'Users'),
    msg,
    h(
      'table',
      { class: 'list-table' },
      h('tbody', {}, users.map((u) => h('tr', {}, h('td', {}, h('strong', {}, u.name)), h('td', {}, badge(u.role)), h('td', { class: 'small muted' }, `password set ${new Date(u.passwordChangedAt).toLocaleString()}`), h('td', {}, u.name === session.user ? null : h('button', { type: 'button', class: 'link', onclick: async () => {
        if (confirm(`Remove ${u.name}?`)) {
          await del(`/api/ui/users/${encodeURIComponent(u.name)}`);
          usersPage(view, { session });
        }
      } }, 'remove'))))),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Add a user, or set a password and role'), form),
    h('h2', {}, 'Audit log'),
    h(
      'table',
      { class: 'list-table small', id: 'audit' },
      h('thead', {}, h('tr', {}, ['when', 'who', 'what', 'outcome', 'details'].map((t) => h('th', {}, t)))),
      h('tbody', {}, entries.map((e) => h('tr', {}, h('td', {}, new Date(e.ts).toLocaleString()), h('td', {}, e.who, e.address ? h('div', { class: 'muted' }, e.address) : null), h('td', {}, e.action, e.target ? ` ${e.target}` : ''), h('td', {}, badge(e.outcome)), h('td', {}, e.reason || '', e.diff ? h('details', {}, h('summary', {}, 'changes'), h('pre', {}, JSON.stringify(e.diff, null, 1))) : null)))),
    ),
  );
}
