import { canonicalTopic } from './topic.js';

/**
 * A ConcreteSet topic expression (ONVIF Core §9.6.3, WS-Topics §7.2): alternatives joined by
 * `|`, each a concrete topic or a topic followed by `//.` meaning "it and all below it".
 * Used by the simulator to filter, and by the driver to build its subscription filter.
 */
export interface TopicFilter {
  matches(canonical: string): boolean;
}

export function parseTopicFilter(expression: string, resolve: (prefix: string) => string | undefined): TopicFilter | undefined {
  const alternatives: Array<{ topic: string; subtree: boolean }> = [];
  for (const raw of expression.split('|')) {
    const alt = raw.trim();
    if (!alt) continue;
    const subtree = alt.endsWith('//.');
    const topic = canonicalTopic(subtree ? alt.slice(0, -3) : alt, resolve);
    if (!topic) return undefined;
    alternatives.push({ topic, subtree });
  }
  if (alternatives.length === 0) return undefined;
  return {
    matches: (canonical) => alternatives.some((a) => canonical === a.topic || (a.subtree && canonical.startsWith(`${a.topic}/`))),
  };
}

/** The driver's default filter: the standard ONVIF analytic/video-source trees and the registry's vendor trees. */
export const DEFAULT_TOPIC_FILTER = {
  expression: 'tns1:RuleEngine//.|tns1:VideoSource//.|tns1:UserAlarm//.|tnsaxis:CameraApplicationPlatform//.',
  namespaces: { tns1: 'http://www.onvif.org/ver10/topics', tnsaxis: 'http://www.axis.com/2009/event/topics' },
} as const;
