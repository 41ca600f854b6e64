import type { ReadingValue } from '../../core/model.js';

/** The Sparkplug B datatypes gridgate uses (Sparkplug 3.0 §6.4.16, names as Tahu spells them). */
export type MetricType = 'Int64' | 'UInt64' | 'Double' | 'Boolean' | 'String' | 'Bytes';

export interface MetricDef {
  name: string;
  alias: number;
  type: MetricType;
}

/** The scope of the Edge Node's own metrics; any other scope is a device id. */
export const NODE_SCOPE = '';

/**
 * The event shape (docs/sparkplug.md): every event becomes these metrics of its device (or of the
 * node), all with the event's timestamp, in one DDATA/NDATA message. Fixed names so that the
 * birth can declare them ([tck-id-topics-dbirth-metric-reqs]: every metric ever reported).
 */
export const EVENT_METRICS: ReadonlyArray<readonly [string, MetricType]> = [
  ['Event/Id', 'String'],
  ['Event/Seq', 'UInt64'],
  ['Event/Type', 'String'],
  ['Event/State', 'String'],
  ['Event/Severity', 'String'],
  ['Event/Message', 'String'],
  ['Event/JSON', 'String'],
  ['Event/Snapshot', 'Bytes'],
];

export const NODE_METRICS: ReadonlyArray<readonly [string, MetricType]> = [
  // [tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq]: INT64
  ['bdSeq', 'Int64'],
  // [tck-id-topics-nbirth-rebirth-metric]: boolean, false in the birth
  ['Node Control/Rebirth', 'Boolean'],
  ['Node Info/Version', 'String'],
  ['Node Info/Site', 'String'],
  ['Node Info/Mode', 'String'],
  ...EVENT_METRICS,
];

/** The datatype a value needs; undefined for null (which fits any type, sent with is_null). */
export function typeOf(value: ReadingValue | undefined): MetricType | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'string') return 'String';
  return 'Double';
}

/**
 * Names, aliases and datatypes of one Sparkplug session's metrics. Aliases are numbered from 1
 * across the whole Edge Node ([tck-id-payloads-alias-uniqueness]) and never reused within a
 * process, so a device born again later gets fresh aliases that cannot collide.
 */
export class MetricCatalog {
  private readonly scopes = new Map<string, Map<string, MetricDef>>();
  private readonly byAlias = new Map<number, { scope: string; def: MetricDef }>();
  private nextAlias = 1;

  /** Declares (or re-declares) a scope's metric set; returns the definitions in birth order. */
  declare(scope: string, metrics: Iterable<readonly [string, MetricType]>): MetricDef[] {
    const old = this.scopes.get(scope);
    if (old) for (const def of old.values()) this.byAlias.delete(def.alias);
    const defs = new Map<string, MetricDef>();
    for (const [name, type] of metrics) {
      if (defs.has(name)) continue;
      const def = { name, type, alias: this.nextAlias++ };
      defs.set(name, def);
      this.byAlias.set(def.alias, { scope, def });
    }
    this.scopes.set(scope, defs);
    return [...defs.values()];
  }

  get(scope: string, name: string): MetricDef | undefined {
    return this.scopes.get(scope)?.get(name);
  }

  /** A metric of `scope` named by alias (DCMD/NCMD may carry only the alias, [tck-id-payloads-alias-data-cmd-requirement]). */
  byAliasIn(scope: string, alias: number): MetricDef | undefined {
    const hit = this.byAlias.get(alias);
    return hit && hit.scope === scope ? hit.def : undefined;
  }

  has(scope: string): boolean {
    return this.scopes.has(scope);
  }

  forget(scope: string): void {
    const old = this.scopes.get(scope);
    if (!old) return;
    for (const def of old.values()) this.byAlias.delete(def.alias);
    this.scopes.delete(scope);
  }

  /** Whether `value` can be sent as metric `name` of `scope` without a new birth. */
  fits(scope: string, name: string, value: ReadingValue): boolean {
    const def = this.get(scope, name);
    if (!def) return false;
    const t = typeOf(value);
    return t === undefined || t === def.type;
  }
}

/** The newest value of each metric, for the "current value" every birth must carry ([tck-id-operational-behavior-data-publish-dbirth-values]). */
export class LastValues {
  private readonly scopes = new Map<string, Map<string, { value: ReadingValue; ms: number }>>();

  set(scope: string, name: string, value: ReadingValue, ms: number): void {
    let m = this.scopes.get(scope);
    if (!m) {
      m = new Map();
      this.scopes.set(scope, m);
    }
    const old = m.get(name);
    if (!old || old.ms <= ms) m.set(name, { value, ms });
  }

  get(scope: string, name: string): { value: ReadingValue; ms: number } | undefined {
    return this.scopes.get(scope)?.get(name);
  }

  names(scope: string): string[] {
    return [...(this.scopes.get(scope)?.keys() ?? [])];
  }

  scopesSeen(): string[] {
    return [...this.scopes.keys()];
  }
}
