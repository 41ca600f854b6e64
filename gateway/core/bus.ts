import type { Logger } from 'pino';

/**
 * A typed in-process event bus. Listeners are isolated: one that throws (or rejects) is logged
 * and the others still run, so a faulty consumer never stops a driver or the pipeline.
 */
export class TypedBus<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => unknown>>();

  constructor(private readonly log: Logger) {}

  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => unknown): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (payload: never) => unknown);
    return () => set.delete(listener as (payload: never) => unknown);
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        const result = (listener as (p: Events[K]) => unknown)(payload);
        if (result instanceof Promise) {
          result.catch((err: unknown) => this.log.error({ err, event: String(name) }, 'bus listener rejected'));
        }
      } catch (err) {
        this.log.error({ err, event: String(name) }, 'bus listener threw');
      }
    }
  }

  listenerCount(name: keyof Events): number {
    return this.listeners.get(name)?.size ?? 0;
  }
}
