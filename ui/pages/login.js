import { post } from '../api.js';
import { h, mount, notice } from '../dom.js';
import { dateTime, t } from '../i18n.js';

export function setupPage(view, { done }) {
  const msg = h('div');
  const form = h(
    'form',
    { class: 'card narrow', id: 'setup-form' },
    h('h1', {}, t('setup.title')),
    h('p', {}, t('setup.intro'), ' ', h('code', {}, 'journalctl -u gridgate')),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('setup.code')),
      h('input', { name: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters', placeholder: 'XXXX-XXXX-XXXX' }),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('login.user')),
      h('input', { name: 'user', required: true, autocomplete: 'username', autocapitalize: 'off', value: 'admin' }),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('setup.password')),
      h('input', { name: 'password', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' }),
    ),
    msg,
    h('button', { type: 'submit', class: 'primary' }, t('setup.create')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      done(await post('/api/ui/setup', { code: f.get('code'), user: f.get('user'), password: f.get('password') }));
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  });
  mount(view, form);
}

export function loginPage(view, { done }) {
  const msg = h('div');
  const form = h(
    'form',
    { class: 'card narrow', id: 'login-form' },
    h('h1', {}, t('login.title')),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('login.user')),
      h('input', { name: 'user', required: true, autocomplete: 'username', autocapitalize: 'off' }),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('login.password')),
      h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' }),
    ),
    msg,
    h('button', { type: 'submit', class: 'primary' }, t('login.submit')),
    h('p', { class: 'muted small' }, t('login.forgot'), ' ', h('code', {}, 'gridgate passwd USER --config FILE')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      const r = await post('/api/ui/login', { user: f.get('user'), password: f.get('password') });
      const failed = r.failedSinceLastLogin;
      if (!failed) return done(r);
      // Wrong passwords were tried for this user since the last login: say so before going on.
      mount(
        view,
        h(
          'div',
          { class: 'card narrow', id: 'failed-logins' },
          h('h1', {}, t('login.failedTitle')),
          h('p', { class: 'notice error' }, t('login.failedText', { count: failed.count, address: failed.lastAddress, at: dateTime(failed.lastAt) })),
          h('button', { type: 'button', class: 'primary', onclick: () => done(r) }, t('login.continue')),
        ),
      );
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  });
  mount(view, form);
}
