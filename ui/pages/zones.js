import { get } from '../api.js';
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';
import { occupancyChart, zoneTile } from './zone-parts.js';

/** Every zone: headcount, flow, current crowd level, thresholds of the mode, and its occupancy chart. */
export async function zonesPage(view, { args }) {
  let range = args[1] === 'day' ? 'day' : 'hour';
  const only = args[0] || undefined;
  const list = h('div', { class: 'zones-list', id: 'zones' });
  const switcher = h(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': t('zones.range') },
    ['hour', 'day'].map((r) =>
      h('button', { type: 'button', class: r === range ? 'on' : '', dataset: { range: r }, onclick: () => show(r) }, t(`zones.range.${r}`)),
    ),
  );
  const charts = new Map();
  const show = (r) => {
    range = r;
    draw(true).catch(() => {});
  };
  const draw = async (rangeChanged = false) => {
    const { zones } = await get('/api/ui/zones');
    const shown = only ? zones.filter((z) => z.zone === only) : zones;
    for (const b of switcher.children) b.classList.toggle('on', b.dataset.range === range);
    if (!shown.length) return mount(list, h('p', { class: 'muted' }, only ? t('zones.unknown', { zone: only }) : t('zones.none')));
    if (rangeChanged || list.querySelectorAll('.zone-card').length !== shown.length) {
      charts.clear();
      mount(
        list,
        shown.map((z) => {
          const chart = h('div', { class: 'chart', dataset: { chart: z.zone } });
          charts.set(z.zone, chart);
          return h('div', { class: 'zone-card', dataset: { zone: z.zone } }, h('div', { class: 'zone-tile-slot' }, zoneTile(z, { link: !only })), chart);
        }),
      );
    } else {
      for (const z of shown) list.querySelector(`.zone-card[data-zone="${CSS.escape(z.zone)}"] .zone-tile-slot`)?.replaceChildren(zoneTile(z, { link: !only }));
    }
    await Promise.all(shown.map((z) => occupancyChart(charts.get(z.zone), z.zone, range)));
  };
  mount(
    view,
    h('div', { class: 'row' }, h('h1', {}, only ? t('zones.titleOne', { zone: only }) : t('zones.title')), switcher),
    only ? h('p', {}, h('a', { href: '#/zones' }, t('zones.all'))) : null,
    list,
  );
  await draw(true);
  const timer = setInterval(() => {
    if (!view.isConnected) return clearInterval(timer);
    draw().catch(() => {});
  }, 10_000);
  return () => clearInterval(timer);
}
