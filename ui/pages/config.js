import { get, post, put, untilSettled } from '../api.js';
import { badge, h, mount, notice, problemList } from '../dom.js';
import { dateTime, t } from '../i18n.js';

export async function configPage(view, { session }) {
  const [{ versions, current }, cur] = await Promise.all([get('/api/ui/config/versions'), get('/api/ui/config/current')]);
  const admin = session.can('admin');
  const msg = h('div', { id: 'config-msg' });
  const detail = h('div', { id: 'version-detail' });
  const apply = async (promise, what) => {
    try {
      const r = await promise;
      notice(msg, 'info', `${what}: ${t('config.savedApplying', { version: r.version.version })}`);
      const v = await untilSettled(r.version.version);
      if (v.status === 'applied') notice(msg, 'ok', `${what}: ${t('config.applied', { version: v.version })}`);
      else notice(msg, 'error', `${what}: ${t('config.rolledBack', { version: v.version, error: v.error })}`);
      setTimeout(() => {
        if (location.hash.startsWith('#/config')) configPage(view, { session });
      }, 800);
    } catch (err) {
      notice(msg, 'error', err.message);
      if (err.body?.error?.problems) msg.append(problemList(err.body.error.problems));
    }
  };

  const text = h('textarea', { rows: 10, spellcheck: 'false', id: 'import-text', placeholder: t('config.pastePlaceholder'), 'aria-label': t('config.import') });
  const file = h('input', { type: 'file', accept: '.yaml,.yml,.json,text/yaml,application/json' });
  file.addEventListener('change', async () => {
    text.value = (await file.files[0]?.text()) ?? '';
  });
  const previewOut = h('div', { id: 'import-preview' });
  const preview = async () => {
    try {
      const r = await post('/api/ui/config/preview', { text: text.value });
      mount(
        previewOut,
        r.ok
          ? h('p', { class: 'notice ok' }, t('config.valid'))
          : h('div', {}, h('p', { class: 'notice error' }, t('config.notValid')), problemList(r.problems)),
        diffTable(r.diff),
      );
      return r.ok;
    } catch (err) {
      mount(previewOut, h('p', { class: 'notice error' }, err.message));
      return false;
    }
  };
  const reason = h('input', { placeholder: t('config.reasonPlaceholder'), 'aria-label': t('common.reason'), id: 'import-reason', class: 'wide' });

  const pw = h('input', {
    type: 'password',
    autocomplete: 'new-password',
    placeholder: t('config.newBrokerPassword'),
    'aria-label': t('config.newBrokerPassword'),
  });

  const rows = versions.map((v) =>
    h(
      'tr',
      { dataset: { version: v.version } },
      h(
        'td',
        { 'data-label': t('config.version') },
        h('strong', {}, `v${v.version}`),
        v.version === current ? h('span', { class: 'badge s-online' }, t('config.running')) : null,
      ),
      h('td', { 'data-label': t('audit.when') }, dateTime(v.at)),
      h('td', { 'data-label': t('audit.who') }, v.by),
      h(
        'td',
        { 'data-label': t('audit.what') },
        h('span', { class: 'data' }, v.reason),
        v.restores ? h('span', { class: 'muted' }, ` ${t('config.restores', { version: v.restores })}`) : null,
        v.error ? h('div', { class: 'small error-text data' }, v.error) : null,
        v.applied?.restartRequired?.length
          ? h('div', { class: 'small error-text' }, t('config.needsRestart', { what: v.applied.restartRequired.join(', ') }))
          : null,
        v.applied?.changed?.length ? h('div', { class: 'small muted data' }, v.applied.changed.join('; ')) : null,
      ),
      h('td', { 'data-label': t('devices.status') }, badge(v.status)),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', class: 'link', onclick: () => showVersion(v.version, detail) }, t('audit.changes')),
        admin && v.version !== current
          ? h(
              'button',
              {
                type: 'button',
                class: 'link rollback',
                onclick: () => {
                  const why = prompt(t('config.rollbackPrompt', { version: v.version }), t('config.rollbackReason', { version: v.version }));
                  if (why !== null) apply(post('/api/ui/config/rollback', { version: v.version, reason: why }), t('config.rollback'));
                },
              },
              t('config.rollbackButton'),
            )
          : null,
      ),
    ),
  );

  mount(
    view,
    h('h1', {}, t('config.title')),
    msg,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('config.runningVersion', { version: current })),
      h('p', {}, t('config.byWhen', { by: cur.version.by, when: dateTime(cur.version.at) }), ' ', h('span', { class: 'data' }, cur.version.reason)),
      h(
        'p',
        { class: 'buttons' },
        session.can('technician') ? h('a', { class: 'button', href: '/api/ui/config/export', download: '' }, t('config.exportYaml')) : null,
        session.can('technician') ? h('a', { class: 'button', href: '/api/ui/config/export?format=json', download: '' }, t('config.exportJson')) : null,
        h('span', { class: 'muted small' }, t('config.exportNote')),
      ),
      cur.secrets.length ? h('p', { class: 'small muted' }, t('config.storedSecrets'), ' ', h('code', {}, cur.secrets.map((s) => s.name).join(', '))) : null,
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('config.history')),
      h(
        'table',
        { class: 'list-table', id: 'versions' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [t('config.version'), t('audit.when'), t('audit.who'), t('audit.what'), t('devices.status'), ''].map((x) => h('th', {}, x)),
          ),
        ),
        h('tbody', {}, rows),
      ),
      detail,
    ),
    admin
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, t('config.import')),
          file,
          text,
          reason,
          h(
            'div',
            { class: 'buttons' },
            h('button', { type: 'button', onclick: preview }, t('config.check')),
            h(
              'button',
              {
                type: 'button',
                class: 'primary',
                onclick: async () => {
                  if ((await preview()) && confirm(t('config.confirmImport')))
                    apply(post('/api/ui/config/import', { text: text.value, reason: reason.value }), t('config.import'));
                },
              },
              t('config.importApply'),
            ),
          ),
          previewOut,
        )
      : null,
    admin
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, t('config.brokerPassword')),
          h('p', { class: 'small muted' }, t('config.brokerPasswordNote')),
          h(
            'form',
            {
              class: 'inline',
              onsubmit: (e) => {
                e.preventDefault();
                if (pw.value) apply(put('/api/ui/config/platform-password', { value: pw.value }), t('config.brokerPassword'));
                pw.value = '';
              },
            },
            pw,
            h('button', { type: 'submit' }, t('config.set')),
          ),
        )
      : null,
  );
}

async function showVersion(n, el) {
  const r = await get(`/api/ui/config/versions/${n}`);
  mount(
    el,
    h('h3', {}, t('config.versionChanges', { version: n })),
    diffTable(r.diffFromPrevious),
    h('details', {}, h('summary', {}, t('config.wholeDocument')), h('pre', { class: 'small' }, JSON.stringify(r.doc, null, 2))),
  );
}

function diffTable(diff) {
  if (!diff?.length) return h('p', { class: 'muted' }, t('config.noChanges'));
  const show = (v) => (v === undefined ? '' : JSON.stringify(v));
  return h(
    'table',
    { class: 'diff' },
    h('thead', {}, h('tr', {}, h('th', {}, t('config.setting')), h('th', {}, t('config.before')), h('th', {}, t('config.after')))),
    h(
      'tbody',
      {},
      diff.map((d) =>
        h(
          'tr',
          { class: `d-${d.kind}` },
          h('td', {}, h('code', {}, d.path)),
          h('td', { class: 'before' }, show(d.before)),
          h('td', { class: 'after' }, show(d.after)),
        ),
      ),
    ),
  );
}
