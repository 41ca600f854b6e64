import { del, get, post } from '../api.js';
import { badge, h, mount, notice } from '../dom.js';
import { dateTime, t, tx } from '../i18n.js';

export async function usersPage(view, { session }) {
  const [{ users, roles }, { entries }] = await Promise.all([get('/api/ui/users'), get('/api/ui/audit?limit=100')]);
  const msg = h('div');
  const form = h(
    'form',
    { class: 'inline' },
    h('input', { name: 'name', required: true, placeholder: t('login.user'), 'aria-label': t('login.user'), autocapitalize: 'off' }),
    h(
      'select',
      { name: 'role', 'aria-label': t('users.role') },
      roles.map((r) => h('option', { value: r }, tx('role', r))),
    ),
    h('input', {
      name: 'password',
      type: 'password',
      required: true,
      minlength: 10,
      placeholder: t('users.passwordPlaceholder'),
      'aria-label': t('login.password'),
      autocomplete: 'new-password',
    }),
    h('button', { type: 'submit' }, t('users.addOrUpdate')),
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
    h('h1', {}, t('users.title')),
    msg,
    h(
      'table',
      { class: 'list-table' },
      h(
        'tbody',
        {},
        users.map((u) =>
          h(
            'tr',
            {},
            h('td', {}, h('strong', {}, u.name)),
            h('td', {}, badge(u.role)),
            h('td', { class: 'small muted' }, t('users.passwordSet', { when: dateTime(u.passwordChangedAt) })),
            h(
              'td',
              {},
              u.name === session.user
                ? null
                : h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      onclick: async () => {
                        if (confirm(t('users.confirmRemove', { name: u.name }))) {
                          await del(`/api/ui/users/${encodeURIComponent(u.name)}`);
                          usersPage(view, { session });
                        }
                      },
                    },
                    t('users.remove'),
                  ),
            ),
          ),
        ),
      ),
    ),
    h('section', { class: 'card' }, h('h2', {}, t('users.addTitle')), form),
    h('h2', {}, t('users.audit')),
    h(
      'table',
      { class: 'list-table small', id: 'audit' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('audit.when'), t('audit.who'), t('audit.what'), t('audit.outcome'), t('audit.details')].map((x) => h('th', {}, x)),
        ),
      ),
      h(
        'tbody',
        {},
        entries.map((e) =>
          h(
            'tr',
            {},
            h('td', {}, dateTime(e.ts)),
            h('td', {}, e.who, e.address ? h('div', { class: 'muted' }, e.address) : null),
            h('td', {}, tx('action', e.action), ' ', h('code', { class: 'small' }, e.action), e.target ? h('span', { class: 'data' }, ` ${e.target}`) : ''),
            h('td', {}, badge(e.outcome)),
            h(
              'td',
              {},
              h('span', { class: 'data' }, e.reason || ''),
              e.diff ? h('details', {}, h('summary', {}, t('audit.changes')), h('pre', {}, JSON.stringify(e.diff, null, 1))) : null,
            ),
          ),
        ),
      ),
    ),
  );
}
