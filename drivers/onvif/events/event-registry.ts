import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GatewayError } from '../../../gateway/core/errors.js';
import { EVENT_TYPE_PATTERN, SEVERITIES, type EventState, type Severity } from '../../../gateway/core/model.js';
import { canonicalTopic } from './topic.js';

/** The default registry shipped with gridgate. */
export const DEFAULT_REGISTRY_PATH = fileURLToPath(new URL('../../../config/onvif/event-registry.yaml', import.meta.url));

const itemName = z.string().min(1).max(128);
const ruleSchema = z.strictObject({
  topic: z.string().min(1),
  type: z.string().regex(EVENT_TYPE_PATTERN, 'must be dotted lower-case, e.g. vehicle.illegal_parking'),
  severity: z.enum(SEVERITIES).default('info'),
  state: z.union([z.literal('pulse'), z.strictObject({ item: itemName, active: z.array(z.string()).min(1) })]),
  keyItems: z.array(itemName).default([]),
  readings: z.array(z.strictObject({ item: itemName, point: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,100}$/) })).default([]),
  snapshot: z.boolean().default(false),
  /**
   * A countable happening (a line crossing, a counting-rule hit): every notification also adds 1
   * to the reading `point` (per the values of the `by` items, e.g. rule and direction), so none
   * is ever lost to event suppression.
   */
  count: z.strictObject({ point: z.string().regex(/^[a-z][a-z0-9._-]{0,40}$/), by: z.array(itemName).max(3).default([]) }).optional(),
  /**
   * What the event gate may do with a storm of this type: `storm` = one per key per window, the rest
   * counted; `fold` = as storm, and the folded ones' times and object ids are kept and sent when the
   * window ends; `never` = every event is sent.
   */
  suppression: z.enum(['storm', 'fold', 'never']).default('storm'),
});
const registrySchema = z.strictObject({
  version: z.literal(1),
  namespaces: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), z.string().min(1)),
  rules: z.array(ruleSchema),
});

export type RegistryRuleInput = z.infer<typeof ruleSchema>;

/** A rule after loading: its topic canonical (`{uri}Path`). */
export interface RegistryRule {
  readonly topic: string;
  readonly type: string;
  readonly severity: Severity;
  readonly state: 'pulse' | { readonly item: string; readonly active: readonly string[] };
  readonly keyItems: readonly string[];
  readonly readings: ReadonlyArray<{ readonly item: string; readonly point: string }>;
  readonly snapshot: boolean;
  readonly count?: { readonly point: string; readonly by: readonly string[] };
  readonly suppression: 'storm' | 'fold' | 'never';
}

/** The mapping from ONVIF topics to contract event types, loaded once and frozen. */
export class EventRegistry {
  private readonly byTopic: ReadonlyMap<string, RegistryRule>;

  constructor(
    rules: readonly RegistryRule[],
    /** URI → preferred prefix, for readable topics in events and logs. */
    readonly prefixes: ReadonlyMap<string, string>,
  ) {
    this.byTopic = new Map(rules.map((r) => [r.topic, r]));
  }

  /** Builds a registry from its parsed YAML/JSON form; throws E_ONVIF_REGISTRY with the problems. */
  static fromObject(input: unknown, where = 'event registry'): EventRegistry {
    const parsed = registrySchema.safeParse(input);
    if (!parsed.success) throw new GatewayError('E_ONVIF_REGISTRY', `${where} is invalid:\n${z.prettifyError(parsed.error)}`);
    const ns = new Map(Object.entries(parsed.data.namespaces));
    const rules: RegistryRule[] = [];
    const seen = new Set<string>();
    for (const r of parsed.data.rules) {
      // `parent/*`: any one more segment (Axis writes the profile or scenario there, e.g. VMD/Camera1Profile1).
      const wildcard = r.topic.endsWith('/*');
      const parent = canonicalTopic(wildcard ? r.topic.slice(0, -2) : r.topic, (p) => ns.get(p));
      const topic = parent && wildcard ? `${parent}/*` : parent;
      if (!topic || !r.topic.includes(':')) throw new GatewayError('E_ONVIF_REGISTRY', `${where}: topic ${r.topic} needs a declared prefix`);
      if (seen.has(topic)) throw new GatewayError('E_ONVIF_REGISTRY', `${where}: topic ${r.topic} has two rules`);
      seen.add(topic);
      rules.push(Object.freeze({ ...r, topic, state: r.state === 'pulse' ? 'pulse' : Object.freeze({ ...r.state }) }));
    }
    const prefixes = new Map<string, string>();
    for (const [p, uri] of ns) if (!prefixes.has(uri)) prefixes.set(uri, p);
    return new EventRegistry(rules, prefixes);
  }

  /** Loads a YAML registry file. */
  static load(file = DEFAULT_REGISTRY_PATH): EventRegistry {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new GatewayError('E_ONVIF_REGISTRY', `event registry ${file} could not be read`, { cause: err });
    }
    return EventRegistry.fromObject(doc, `event registry ${file}`);
  }

  rule(canonical: string): RegistryRule | undefined {
    return this.match(canonical)?.rule;
  }

  /**
   * The rule for a topic: an exact rule, else a `parent/*` rule for its parent; `leaf` is then the
   * last segment's local name (the notification gets it as the item `TopicLeaf`).
   */
  match(canonical: string): { rule: RegistryRule; leaf?: string } | undefined {
    const exact = this.byTopic.get(canonical);
    if (exact) return { rule: exact };
    const cut = lastSegmentStart(canonical);
    if (cut <= 0) return undefined;
    const rule = this.byTopic.get(`${canonical.slice(0, cut - 1)}/*`);
    return rule ? { rule, leaf: canonical.slice(cut).replace(/^\{[^}]*\}/, '') } : undefined;
  }

  get size(): number {
    return this.byTopic.size;
  }
}

/** Index just after the last `/` outside a `{namespace-uri}` (URIs contain slashes); -1 when none. */
function lastSegmentStart(canonical: string): number {
  let depth = 0;
  for (let i = canonical.length - 1; i >= 0; i--) {
    const c = canonical[i];
    if (c === '}') depth++;
    else if (c === '{') depth--;
    else if (c === '/' && depth === 0) return i + 1;
  }
  return -1;
}

export type { EventState };
