import { get } from '../api.js';
import { h, mount } from '../dom.js';

const NAMES = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export async function logsPage(view) {
  const level = h('select', { 'aria-label': 'level' }, ['debug', 'info', 'warn', 'error'].map((l) => h('option', { value: l, selected: l === 'info' }, `${l} and above`)));
  const text = h('input', { type: 'search', placeholder: 'text', 'aria-label': 'text filter' });
  const out = h('div', { id: 'log-lines' });
  const load = async () => {
    const r = await get(`/api/ui/logs?level=${level.value}&text=${encodeURIComponent(text.value)}`);
    mount(
      out,
      r.note ? h('p', { class: 'muted' }, r.note) : null,
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
              h('td', { class: 'small' }, time ? new Date(time).toLocaleTimeString() : ''),
              h('td', {}, NAMES[lv] || ''),
              h('td', {}, component || ''),
              h('td', {}, msg || '', Object.keys(rest).length ? h('div', { class: 'small muted' }, JSON.stringify(rest)) : null),
            );
          }),
        ),
      ),
    );
  };
  level.addEventListener('change', load);
  text.addEventListener('change', load);
  mount(view, h('div', { class: 'row' }, h('h1', {}, 'Logs'), level, text, h('button', { type: 'button', onclick: load }, 'Refresh')), h('p', { class: 'muted small' }, 'Newest first; passwords, tokens and URL credentials are redacted.'), out);
  await load();
}
