import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import type { Mode } from '../core/model.js';
import type { SqliteStateStore } from '../storage/sqlite-state-store.js';

export interface ModeChange {
  mode: Mode;
  previous: Mode;
  /** Who or what: `command:<id>`, `ui:<user>`, `rule:<name>`, `calendar:<entry>`. */
  by: string;
  reason: string;
}

interface PersistedMode {
  mode: Mode;
  since: number;
  by: string;
  reason: string;
}

/**
 * The site's operating mode, persisted so a restart keeps it (the configured `initial` mode
 * applies only on first start). Every change is announced to listeners, which turn it into a
 * `mode.changed` event and re-tune drivers and batching.
 */
export class ModeManager {
  private current: PersistedMode;
  private readonly listeners = new Set<(change: ModeChange) => void>();

  constructor(
    private readonly store: SqliteStateStore,
    initial: Mode,
    private readonly log: Logger,
    now: number,
  ) {
    this.current = store.get<PersistedMode>('mode') ?? { mode: initial, since: now, by: 'config', reason: 'initial mode' };
  }

  get mode(): Mode {
    return this.current.mode;
  }

  get since(): number {
    return this.current.since;
  }

  /** Switches mode; returns the change, or undefined when the mode was already set. */
  set(mode: Mode, by: string, reason: string, now: number): ModeChange | undefined {
    const previous = this.current.mode;
    if (mode === previous) return undefined;
    this.current = { mode, since: now, by, reason };
    this.store.set('mode', this.current);
    const change = { mode, previous, by, reason };
    this.log.info(change, 'site mode changed');
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.log.error({ err }, 'mode listener threw');
      }
    }
    return change;
  }

  onChange(listener: (change: ModeChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The batching in force for the current mode (per-mode overrides over the defaults). */
  batching(config: Pick<GatewayConfig, 'batching' | 'modes'>): GatewayConfig['batching'] {
    const override = config.modes.policies[this.current.mode]?.batching;
    return { ...config.batching, ...override };
  }
}
