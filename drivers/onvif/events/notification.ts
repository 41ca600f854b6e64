import { NS } from '../soap/namespaces.js';
import { attr, child, childrenOf, path, type XmlElement } from '../xml/xml-element.js';
import { topicOf } from './topic.js';

/** One ONVIF notification, flattened (ONVIF Core §9.2 message format, tt:Message). */
export interface Notification {
  /** Canonical topic `{uri}Path`, or undefined when the topic could not be resolved. */
  topic: string | undefined;
  rawTopic: string;
  /** tt:Message/@UtcTime in ms, when present and valid. */
  utcTime: number | undefined;
  /** Initialized | Changed | Deleted for property events (Core §9.2.2.1); undefined for pulses. */
  propertyOperation: string | undefined;
  source: Record<string, string>;
  key: Record<string, string>;
  data: Record<string, string>;
}

/** The notifications in a PullMessagesResponse (Core §9.1.3 / WS-BaseNotification §3.2). */
export function parseNotifications(container: XmlElement): Notification[] {
  const out: Notification[] = [];
  for (const nm of childrenOf(container, NS.wsnt, 'NotificationMessage')) {
    const topicEl = child(nm, NS.wsnt, 'Topic');
    const msg = path(nm, [NS.wsnt, 'Message'], [NS.tt, 'Message']);
    const time = msg ? Date.parse(attr(msg, 'UtcTime') ?? '') : Number.NaN;
    out.push({
      topic: topicEl ? topicOf(topicEl) : undefined,
      rawTopic: topicEl?.text ?? '',
      utcTime: Number.isNaN(time) ? undefined : time,
      propertyOperation: msg ? attr(msg, 'PropertyOperation') : undefined,
      source: items(child(msg, NS.tt, 'Source')),
      key: items(child(msg, NS.tt, 'Key')),
      data: items(child(msg, NS.tt, 'Data')),
    });
  }
  return out;
}

/** tt:SimpleItem Name/Value pairs (Core §9.2.2, ItemList). ElementItems are kept by name with their text. */
function items(list: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const si of childrenOf(list, NS.tt, 'SimpleItem')) {
    const name = attr(si, 'Name');
    if (name) out[name] = attr(si, 'Value') ?? '';
  }
  for (const ei of childrenOf(list, NS.tt, 'ElementItem')) {
    const name = attr(ei, 'Name');
    if (name && !(name in out)) out[name] = ei.children[0]?.local ?? ei.text;
  }
  return out;
}
