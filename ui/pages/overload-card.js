// The overload card on the dashboard (gateway/pipeline/overload-guard.ts, docs/performance.md
// "Overload"): shown only while the gateway is overloaded, gone when it is over.
import { h, since } from '../dom.js';
import { count, dateTime, t } from '../i18n.js';

/** At most this many devices are named per list; the rest are counted ("and 480 more"). */
const NAMED = 20;

/** What cannot keep up, in the user's language, with its figure. */
function causeText(c) {
  switch (c?.code) {
    case 'uplink':
      return t('overload.cause.uplink', { seconds: count(c.value) });
    case 'storage':
      return t('overload.cause.storage', { percent: count(c.value) });
    case 'cpu':
      return t('overload.cause.cpu', { ms: count(c.value) });
    case 'memory':
      return t('overload.cause.memory', { used: count(c.value), limit: count(c.limit) });
    case 'outbox-full':
      return t('overload.cause.outbox-full', { percent: count(c.value) });
    default:
      return t('overload.cause.unknown');
  }
}

const deviceName = (d) => (d.name ? `${d.name} (${d.device})` : d.device);

/** Names the first devices as data (never translated), each with `text` after it; counts the rest. */
function devices(list, text) {
  const shown = list.slice(0, NAMED);
  return [
    h(
      'ul',
      { class: 'list' },
      shown.map((d) => h('li', { dataset: { device: d.device } }, h('span', { class: 'data' }, deviceName(d)), text ? ` ${text(d)}` : null)),
    ),
    list.length > NAMED ? h('p', { class: 'muted small' }, t('overload.more', { count: count(list.length - NAMED) })) : null,
  ];
}

/** The card, or null when the gateway is not overloaded. `lanes` is the outbox per lane (the backlog). */
export function overloadCard(o, lanes) {
  if (!o?.overloaded) return null;
  const tel = lanes.telemetry;
  const ev = lanes.events;
  const dropped = o.thinned.reduce((n, d) => n + d.dropped, 0);
  return h(
    'section',
    { class: 'card overload', id: 'overload', role: 'alert', dataset: { cause: o.cause?.code ?? '', factor: String(o.keepOneIn) } },
    h('h2', {}, t('overload.title')),
    h('p', { class: 'since' }, t('overload.since', { when: dateTime(o.since), age: since(o.since) })),
    h('p', { class: 'cause' }, causeText(o.cause)),
    h(
      'p',
      { class: 'backlog', id: 'overload-backlog' },
      tel.count || ev.count
        ? t('overload.backlog', { readings: count(tel.count), events: count(ev.count), age: t('unit.seconds', { n: count(tel.oldestAgeSeconds) }) })
        : t('overload.noBacklog'),
    ),
    h('h3', {}, t('overload.doing')),
    h(
      'div',
      { id: 'overload-stretched' },
      h('p', {}, o.stretched.length ? t('overload.stretched', { factor: count(o.keepOneIn), count: count(o.stretched.length) }) : t('overload.stretchedNone')),
      devices(o.stretched),
    ),
    h(
      'div',
      { id: 'overload-thinned' },
      h(
        'p',
        {},
        o.thinned.length
          ? t('overload.thinned', { percent: count(Math.round(100 / Math.max(1, o.keepOneIn))), count: count(o.thinned.length), dropped: count(dropped) })
          : t('overload.thinnedNone'),
      ),
      devices(o.thinned, (d) => t('overload.deviceDropped', { count: count(d.dropped) })),
    ),
    h('p', { class: 'muted small', id: 'overload-shed' }, t('overload.shedTotal', { count: count(o.shed) })),
    h('p', { class: 'muted small' }, t('overload.protected')),
  );
}
