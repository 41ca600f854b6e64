import { get, post, put, untilSettled } from '../api.js';
import { badge, h, mount, notice, problemList } from '../dom.js';

export async function configPage(view, { session }) {
  const [{ versions, current }, cur] = await Promise.all([get('/api/ui/config/versions'), get('/api/ui/config/current')]);
  const admin = session.can('admin');
  const msg = h('div', { id: 'config-msg' });
  const detail = h('div', { id: 'version-detail' });
  const apply = async (promise, what) => {
    try {
      const r = await promise;
      notice(msg, 'info', `${what}: saved as version ${r.version.version}, applying…`);
      const v = await untilSettled(r.version.version);
      if (v.status === 'applied') notice(msg, 'ok', `${what}: version ${v.version} applied.`);
      else notice(msg, 'error', `${what}: version ${v.version} failed to apply and the previous one was restored: ${v.error}`);
      setTimeout(() => {
        if (location.hash.startsWith('#/config')) configPage(view, { session });
      }, 800);
    } catch (err) {
      notice(msg, 'error', err.message);
      if (err.body?.error?.problems) msg.append(problemList(err.body.error.problems));
    }
  };

  const text = h('textarea', { rows: 10, spellcheck: 'false', id: 'import-text', placeholder: 'paste a configuration (YAML or JSON), or choose a file' });
  const file = h('input', { type: 'file', accept: '.yaml,.yml,.json,text/yaml,application/json' });
  file.addEventListener('change', async () => {
    text.value = (await file.files[0]?.text()) ?? '';
  });
  const previewOut = h('div', { id: 'import-preview' });
  const preview = async () => {
    try {
      const r = await post('/api/ui/config/preview', { text: text.value });
      mount(previewOut, r.ok ? h('p', { class: 'notice ok' }, 'Valid.') : h('div', {}, h('p', { class: 'notice error' }, 'Not valid:'), problemList(r.problems)), diffTable(r.diff));
      return r.ok;
    } catch (err) {
      mount(previewOut, h('p', { class: 'notice error' }, err.message));
      return false;
    }
  };
  const reason = h('input', { placeholder: 'reason (shown in the history)', id: 'import-reason', class: 'wide' });

  const pw = h('input', { type: 'password', autocomplete: 'new-password', placeholder: 'new broker password' });

  const rows = versions.map((v) =>
    h(
      'tr',
      { dataset: { version: v.version } },
      h('td', { 'data-label': 'version' }, h('strong', {}, `v${v.version}`), v.version === current ? h('span', { class: 'badge s-online' }, 'running') : null),
      h('td', { 'data-label': 'when' }, new Date(v.at).toLocaleString()),
      h('td', { 'data-label': 'who' }, v.by),
      h('td', { 'data-label': 'what' }, v.reason, v.restores ? h('span', { class: 'muted' }, ` (restores v${v.restores})`) : null, v.error ? h('div', { class: 'small error-text' }, v.error) : null,
        v.applied?.restartRequired?.length ? h('div', { class: 'small error-text' }, `needs a restart of gridgate: ${v.applied.restartRequired.join(', ')}`) : null,
        v.applied?.changed?.length ? h('div', { class: 'small muted' }, v.applied.changed.join('; ')) : null,
      ),
      h('td', { 'data-label': 'status' }, badge(v.status)),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', class: 'link', onclick: () => showVersion(v.version, detail) }, 'changes'),
        admin && v.version !== current
          ? h(
              'button',
              {
                type: 'button',
                class: 'link rollback',
                onclick: () => {
                  const why = prompt(`Roll back to version ${v.version}? Say why:`, `roll back to v${v.version}`);
                  if (why !== null) apply(post('/api/ui/config/rollback', { version: v.version, reason: why }), 'Rollback');
                },
              },
              'roll back to this',
            )
          : null,
      ),
    ),
  );

  mount(
    view,
    h('h1', {}, 'Configuration'),
    msg,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, `Running: version ${current}`),
      h('p', {}, `by ${cur.version.by}, ${new Date(cur.version.at).toLocaleString()}: ${cur.version.reason}`),
      h(
        'p',
        { class: 'buttons' },
        session.can('technician') ? h('a', { class: 'button', href: '/api/ui/config/export', download: '' }, 'Export YAML') : null,
        session.can('technician') ? h('a', { class: 'button', href: '/api/ui/config/export?format=json', download: '' }, 'Export JSON') : null,
        h('span', { class: 'muted small' }, 'Exports hold secret references only, never passwords.'),
      ),
      cur.secrets.length ? h('p', { class: 'small muted' }, `Stored secrets (encrypted): ${cur.secrets.map((s) => s.name).join(', ')}`) : null,
    ),
    h('section', { class: 'card' }, h('h2', {}, 'History'), h('table', { class: 'list-table', id: 'versions' }, h('thead', {}, h('tr', {}, ['version', 'when', 'who', 'what', 'status', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows)), detail),
    admin
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Import'),
          file,
          text,
          reason,
          h(
            'div',
            { class: 'buttons' },
            h('button', { type: 'button', onclick: preview }, 'Check and show changes'),
            h(
              'button',
              {
                type: 'button',
                class: 'primary',
                onclick: async () => {
                  if ((await preview()) && confirm('Apply this configuration now?')) apply(post('/api/ui/config/import', { text: text.value, reason: reason.value }), 'Import');
                },
              },
              'Import and apply',
            ),
          ),
          previewOut,
        )
      : null,
    admin
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Platform broker password'),
          h('p', { class: 'small muted' }, 'Write-only: stored encrypted on this box; the configuration keeps a reference.'),
          h('form', { class: 'inline', onsubmit: (e) => {
            e.preventDefault();
            if (pw.value) apply(put('/api/ui/config/platform-password', { value: pw.value }), 'Broker password');
            pw.value = '';
          } }, pw, h('button', { type: 'submit' }, 'Set')),
        )
      : null,
  );
}

async function showVersion(n, el) {
  const r = await get(`/api/ui/config/versions/${n}`);
  mount(el, h('h3', {}, `Version ${n}: changes from the one before`), diffTable(r.diffFromPrevious), h('details', {}, h('summary', {}, 'Whole document'), h('pre', { class: 'small' }, JSON.stringify(r.doc, null, 2))));
}

function diffTable(diff) {
  if (!diff?.length) return h('p', { class: 'muted' }, 'No changes.');
  const show = (v) => (v === undefined ? '' : JSON.stringify(v));
  return h(
    'table',
    { class: 'diff' },
    h('thead', {}, h('tr', {}, h('th', {}, 'setting'), h('th', {}, 'before'), h('th', {}, 'after'))),
    h('tbody', {}, diff.map((d) => h('tr', { class: `d-${d.kind}` }, h('td', {}, h('code', {}, d.path)), h('td', { class: 'before' }, show(d.before)), h('td', { class: 'after' }, show(d.after))))),
  );
}
