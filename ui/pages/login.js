import { post } from '../api.js';
import { h, mount, notice } from '../dom.js';

export function setupPage(view, { done }) {
  const msg = h('div');
  const form = h(
    'form',
    { class: 'card narrow', id: 'setup-form' },
    h('h1', {}, 'First start: create the administrator'),
    h('p', {}, 'Enter the one-time setup code printed by the gateway at start (', h('code', {}, 'journalctl -u gridgate'), '), then choose the administrator’s name and password. There is no default password.'),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'Setup code'), h('input', { name: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters', placeholder: 'XXXX-XXXX-XXXX' })),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'User name'), h('input', { name: 'user', required: true, autocomplete: 'username', autocapitalize: 'off', value: 'admin' })),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'Password (at least 10 characters)'), h('input', { name: 'password', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' })),
    msg,
    h('button', { type: 'submit', class: 'primary' }, 'Create administrator'),
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
    h('h1', {}, 'Log in'),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'User name'), h('input', { name: 'user', required: true, autocomplete: 'username', autocapitalize: 'off' })),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'Password'), h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
    msg,
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
    h('p', { class: 'muted small' }, 'Forgot the password? On the gateway: ', h('code', {}, 'gridgate passwd USER --config FILE')),
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
          h('h1', {}, 'Failed login attempts'),
          h('p', { class: 'notice error' }, `${failed.count} wrong password(s) were tried for ${r.user} since the last login, the last from ${failed.lastAddress} at ${new Date(failed.lastAt).toLocaleString()}. If that was not you, tell the administrator (the audit log has each attempt).`),
          h('button', { type: 'button', class: 'primary', onclick: () => done(r) }, 'Continue'),
        ),
      );
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  });
  mount(view, form);
}
