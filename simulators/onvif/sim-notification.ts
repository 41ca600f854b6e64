import { TOPIC_DIALECT_CONCRETE_SET } from '../../drivers/onvif/soap/namespaces.js';
import { xmlEscape } from '../../drivers/onvif/xml/xml-escape.js';

/** One notification a simulated camera raises (ONVIF Core §9.2 tt:Message). */
export interface SimNotification {
  topicNs: string;
  /** Path below the namespace, e.g. `RuleEngine/CellMotionDetector/Motion`. */
  topicPath: string;
  source: Record<string, string>;
  data: Record<string, string>;
  /** A property event (has state that SetSynchronizationPoint replays), else a pulse. */
  property: boolean;
  /** Device time, ms. */
  utcTime: number;
  /** Core §9.2.2.1 PropertyOperation: `Initialized` for a SetSynchronizationPoint replay. */
  operation?: 'Initialized' | 'Changed';
}

/** Canonical `{uri}Path` form, as the driver's topic resolver produces. */
export function canonicalOf(n: SimNotification): string {
  return `{${n.topicNs}}${n.topicPath}`;
}

/** Identity of a property instance (topic + source) for the SetSynchronizationPoint replay. */
export function propertyKey(n: SimNotification): string {
  return `${canonicalOf(n)}|${Object.entries(n.source)
    .map(([k, v]) => `${k}=${v}`)
    .join('&')}`;
}

/**
 * A wsnt:NotificationMessage. `prefixFor` picks the prefix the camera uses for a topic namespace;
 * cameras differ (`tns1`, `ns1`, `onvif`...), which is the point of varying it.
 */
export function notificationXml(n: SimNotification, prefixFor: (ns: string) => string): string {
  const prefix = prefixFor(n.topicNs);
  const items = (rec: Record<string, string>) =>
    Object.entries(rec)
      .map(([k, v]) => `<tt:SimpleItem Name="${xmlEscape(k)}" Value="${xmlEscape(v)}"/>`)
      .join('');
  const op = n.property ? ` PropertyOperation="${n.operation ?? 'Changed'}"` : '';
  return (
    `<wsnt:NotificationMessage><wsnt:Topic Dialect="${TOPIC_DIALECT_CONCRETE_SET}" xmlns:${prefix}="${xmlEscape(n.topicNs)}">${prefix}:${xmlEscape(n.topicPath)}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${new Date(n.utcTime).toISOString()}"${op}>` +
    `<tt:Source>${items(n.source)}</tt:Source><tt:Data>${items(n.data)}</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`
  );
}
