// How an event reads for a technician: its type's name, where it came from, what happened.
import { h } from '../dom.js';
import { count, dateTime, t, tx } from '../i18n.js';

/** Device id → name, for lists that show devices. */
export function deviceNames(devices) {
  return new Map(devices.map((d) => [d.id, d.name || d.id]));
}

export function sourceText(e, names) {
  const s = e.source || {};
  const parts = [];
  if (s.device) parts.push(`${names?.get(s.device) ?? s.device}${s.channel !== undefined ? ` #${s.channel}` : ''}`);
  if (s.zone) parts.push(t('events.inZone', { zone: s.zone }));
  if (s.point) parts.push(s.point);
  return parts.join(' · ');
}

/**
 * The event's sentence in the user's language when its data allows (crowd levels, mode changes,
 * sensor thresholds); else the gateway's own message, marked as data.
 */
export function eventText(e) {
  const d = e.data || {};
  if (e.type === 'crowd.threshold' && d.level !== undefined) {
    const level = tx('level', d.level, String(d.level));
    return e.state === 'cleared'
      ? t('eventMsg.crowdCleared', { zone: e.source?.zone, level, occupancy: count(d.occupancy) })
      : t('eventMsg.crowdActive', { zone: e.source?.zone, level, occupancy: count(d.occupancy), threshold: count(d.threshold) });
  }
  if (e.type === 'mode.changed' && d.mode)
    return t('eventMsg.modeChanged', { from: tx('mode', d.previous), to: tx('mode', d.mode), by: d.by ?? '', reason: d.reason ?? '' });
  return e.message ? h('span', { class: 'data' }, e.message) : '';
}

export function when(e) {
  return h('time', { datetime: e.ts, class: 'small muted' }, dateTime(e.ts));
}

/** A picture thumbnail that opens large on a tap (the image comes with the session cookie). */
export function thumbnail(e) {
  const src = `/api/ui/events/${encodeURIComponent(e.id)}/picture`;
  const img = h('img', { class: 'event-thumb', src, alt: t('events.picture'), loading: 'lazy' });
  img.addEventListener('click', () => openPicture(src));
  img.addEventListener('error', () => img.replaceWith(h('span', { class: 'small muted' }, t('events.pictureGone'))));
  return img;
}

function openPicture(src) {
  const close = () => box.remove();
  const box = h(
    'div',
    { class: 'lightbox', role: 'dialog', 'aria-label': t('events.picture'), onclick: close },
    h('img', { src, alt: t('events.picture') }),
    h('button', { type: 'button', class: 'close', onclick: close }, t('common.close')),
  );
  document.body.append(box);
}
