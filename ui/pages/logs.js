import { get } from '../api.js';
import { h, mount } from '../dom.js';
import { t, timeOnly } from '../i18n.js';

const NAMES = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export async function logsPage(view) {
  const level = h('select', { 'aria-label': t('logs.level') }, ['debug', 'info', 'warn', 'error'].map((l) => h('option', { value: l, selected: l === 'info' }, t('logs.andAbove', { level: t(`logs.level.${l}`) }))));
  const text = h('input', { type: 'search', placeholder: t('logs.text'), 'aria-label': t('logs.text') });
  const out = h('div', { id: 'log-lines' });
  const load = async () => {
    const r = await get(`/api/ui/logs?level=${level.value}&text=${encodeURIComponent(text.value)}`);
    mount(
      out,
      r.note ? h('p', { class: 'muted' }, t('logs.notConnected')) : null,
      h(
        'table',
        { class: 'logs' },
        h(
          'tbody',
          {},
          r.lines.map((l) => {
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
  };
  level.addEventListener('change', load);
  text.addEventListener('change', load);
  mount(view, h('div', { class: 'row' }, h('h1', {}, t('logs.title')), level, text, h('button', { type: 'button', onclick: load }, t('common.refresh'))), h('p', { class: 'muted small' }, t('logs.explain')), out);
  await load();
}
