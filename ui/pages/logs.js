import { get } from '../api.js';
import { h, mount } from '../dom.js';
import { t, timeOnly } from '../i18n.js';

const NAMES = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const PAGE = 100;

/** The gateway's recent log lines: filter, pages of 100, follow (refresh every 2 s), download as JSON lines. */
export async function logsPage(view) {
  const level = h(
    'select',
    { 'aria-label': t('logs.level'), id: 'log-level' },
    ['debug', 'info', 'warn', 'error'].map((l) => h('option', { value: l, selected: l === 'info' }, t('logs.andAbove', { level: t(`logs.level.${l}`) }))),
  );
  const text = h('input', { type: 'search', placeholder: t('logs.text'), 'aria-label': t('logs.text') });
  const follow = h('input', { type: 'checkbox', id: 'log-follow' });
  const out = h('div', { id: 'log-lines' });
  const pager = h('div', { class: 'row pager', id: 'log-pager' });
  let lines = [];
  let page = 0;
  let note = '';
  const draw = () => {
    const pages = Math.max(1, Math.ceil(lines.length / PAGE));
    page = Math.min(page, pages - 1);
    mount(
      out,
      note ? h('p', { class: 'muted' }, t('logs.notConnected')) : null,
      h(
        'table',
        { class: 'logs' },
        h(
          'tbody',
          {},
          lines.slice(page * PAGE, (page + 1) * PAGE).map((l) => {
            const { time, level: lv, msg, component, name: _n, pid: _p, hostname: _h, ...rest } = l;
            return h(
              'tr',
              { class: `l-${NAMES[lv] || 'info'}` },
              h('td', { class: 'small' }, time ? timeOnly(time) : ''),
              h('td', {}, NAMES[lv] ? t(`logs.level.${NAMES[lv]}`) : ''),
              h('td', { class: 'data' }, component || ''),
              h('td', { class: 'data' }, msg || '', Object.keys(rest).length ? h('div', { class: 'small muted' }, JSON.stringify(rest)) : null),
            );
          }),
        ),
      ),
    );
    mount(
      pager,
      h('button', { type: 'button', disabled: page === 0, onclick: () => turn(-1) }, t('logs.newer')),
      h('span', { class: 'muted small', id: 'log-page' }, t('logs.page', { page: page + 1, pages, count: lines.length })),
      h('button', { type: 'button', disabled: page >= pages - 1, onclick: () => turn(1) }, t('logs.older')),
    );
  };
  const turn = (by) => {
    page += by;
    if (page > 0) follow.checked = false;
    draw();
  };
  const load = async () => {
    const r = await get(`/api/ui/logs?level=${level.value}&text=${encodeURIComponent(text.value)}&limit=1000`);
    lines = r.lines;
    note = r.note || '';
    draw();
  };
  const download = () => {
    // The lines as shown (filtered, redacted), one JSON object per line, named by the time of download.
    const blob = new Blob([lines.map((l) => JSON.stringify(l)).join('\n')], { type: 'application/x-ndjson' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `gridgate-log-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };
  level.addEventListener('change', load);
  text.addEventListener('change', load);
  follow.addEventListener('change', () => {
    if (follow.checked) {
      page = 0;
      load().catch(() => {});
    }
  });
  mount(
    view,
    h(
      'div',
      { class: 'row' },
      h('h1', {}, t('logs.title')),
      level,
      text,
      h('label', { class: 'field check' }, follow, h('span', {}, t('logs.follow'))),
      h('button', { type: 'button', onclick: load }, t('common.refresh')),
      h('button', { type: 'button', id: 'log-download', onclick: download }, t('logs.download')),
    ),
    h('p', { class: 'muted small' }, t('logs.explain')),
    out,
    pager,
  );
  await load();
  // Follow: the newest page again every 2 s, until the technician turns a page or unticks it.
  const timer = setInterval(() => {
    if (follow.checked && page === 0) load().catch(() => {});
  }, 2000);
  return () => clearInterval(timer);
}
