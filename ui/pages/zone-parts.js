// Pieces the dashboard and the zones screen share: a zone's tile and its occupancy chart.
import { get } from '../api.js';
import { h } from '../dom.js';
import { count, hourMinute, siteTimeZone, t, tx } from '../i18n.js';

/** The zone's crowd level: the most serious active one (level 1 is the most serious), or "normal". */
export function levelBadge(zone) {
  if (zone.level === undefined || zone.level === null) return h('span', { class: 'badge level s-ok', dataset: { level: '' } }, t('zones.levelNone'));
  return h(
    'span',
    { class: `badge level s-${zone.levelSeverity || 'major'}`, dataset: { level: zone.level } },
    tx('level', zone.level, t('zones.level', { level: zone.level })),
  );
}

export function thresholdList(thresholds) {
  if (!thresholds?.length) return h('p', { class: 'muted small' }, t('zones.noThresholds'));
  return h(
    'ul',
    { class: 'thresholds small' },
    [...thresholds]
      .sort((a, b) => b.level - a.level)
      .map((l) =>
        h(
          'li',
          { class: `s-${l.severity}` },
          tx('level', l.level, t('zones.level', { level: l.level })),
          ' ≥ ',
          h('strong', {}, count(l.at)),
          ' ',
          t('unit.people'),
        ),
      ),
  );
}

export function zoneTile(zone, { link = true } = {}) {
  const active = zone.level !== undefined && zone.level !== null;
  return h(
    'section',
    { class: `card tile zone ${active ? `level-on s-${zone.levelSeverity || 'major'}` : 'ok'}`, dataset: { zone: zone.zone } },
    h(
      'div',
      { class: 'row tight' },
      h('h2', {}, link ? h('a', { href: `#/zones/${encodeURIComponent(zone.zone)}` }, zone.name || zone.zone) : zone.name || zone.zone),
      levelBadge(zone),
    ),
    h('p', { class: 'big headcount' }, count(zone.occupancy), h('span', { class: 'unit' }, ` ${t('unit.people')}`)),
    h(
      'p',
      { class: 'flow' },
      h('span', { class: 'in' }, t('zones.inflow', { n: count(zone.inflow) })),
      ' · ',
      h('span', { class: 'out' }, t('zones.outflow', { n: count(zone.outflow) })),
    ),
    h('div', { class: 'small muted' }, t('zones.thresholdsOf', { mode: tx('mode', zone.mode) })),
    thresholdList(zone.thresholds),
  );
}

/**
 * The occupancy of the last hour or day with the crowd levels drawn as lines; returns the chart
 * element and the time uPlot took to draw it (ms).
 */
export async function occupancyChart(container, zone, range) {
  const [{ default: uPlot }, data] = await Promise.all([
    import('/ui/vendor/lib/uplot.js'),
    get(`/api/ui/zones/${encodeURIComponent(zone)}/history?range=${range}`),
  ]);
  return drawChart(uPlot, container, data);
}

const LEVEL_COLOURS = { critical: '#c62828', major: '#e65100', minor: '#9a6700', warning: '#9a6700', info: '#1a7f37' };

export function drawChart(uPlot, container, data) {
  const started = performance.now();
  container.replaceChildren();
  if (!data.t.length) {
    container.append(h('p', { class: 'muted small no-data' }, t('zones.noHistory')));
    return { ms: performance.now() - started };
  }
  const top = Math.max(1, ...data.max, ...data.thresholds.map((l) => l.at));
  const tz = siteTimeZone();
  const width = Math.max(260, Math.min(container.clientWidth || 600, 1100));
  const plot = new uPlot(
    {
      width,
      height: 220,
      tzDate: tz ? (ts) => uPlot.tzDate(new Date(ts * 1000), tz) : undefined,
      scales: { x: { time: true }, y: { range: [0, Math.ceil(top * 1.1)] } },
      series: [
        { label: t('zones.chartTime'), value: (_u, v) => (v === null || v === undefined ? '—' : hourMinute(v * 1000)) },
        {
          label: t('zones.chartHeadcount'),
          stroke: '#0b6bcb',
          width: 2,
          fill: 'rgba(11,107,203,0.08)',
          value: (_u, v) => (v === null || v === undefined ? '—' : count(v)),
        },
      ],
      axes: [
        { values: (_u, splits) => splits.map((v) => hourMinute(v * 1000)), stroke: 'currentColor' },
        { values: (_u, splits) => splits.map((v) => count(v)), size: 60, stroke: 'currentColor' },
      ],
      legend: { show: true },
      hooks: {
        // Each crowd level of the current mode as a dashed horizontal line with its name.
        draw: [
          (u) => {
            const c = u.ctx;
            c.save();
            c.setLineDash([6, 4]);
            c.lineWidth = 1.5;
            c.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
            for (const l of data.thresholds) {
              const y = u.valToPos(l.at, 'y', true);
              c.strokeStyle = LEVEL_COLOURS[l.severity] || '#c62828';
              c.fillStyle = c.strokeStyle;
              c.beginPath();
              c.moveTo(u.bbox.left, y);
              c.lineTo(u.bbox.left + u.bbox.width, y);
              c.stroke();
              // The name at the right end, above the line: clear of the axis labels on the left.
              const label = `${tx('level', l.level, String(l.level))} ${count(l.at)}`;
              c.fillText(label, u.bbox.left + u.bbox.width - c.measureText(label).width - 4, y - 4);
            }
            c.restore();
          },
        ],
      },
    },
    [data.t, data.max],
    container,
  );
  const ms = performance.now() - started;
  container.dataset.renderMs = ms.toFixed(1);
  container.dataset.points = String(data.t.length);
  return { plot, ms };
}
