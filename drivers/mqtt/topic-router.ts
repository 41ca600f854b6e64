import { hasWildcard, topicMatches } from './topic-filter.js';

/**
 * Which subscribers want a topic: exact filters in a map (one lookup on the hot path), wildcard
 * filters tested in turn. Used for the site-broker connection, where one message may be for
 * several devices.
 */
export class TopicRouter<T> {
  private readonly exact = new Map<string, Set<T>>();
  private readonly wild = new Map<string, Set<T>>();

  /** Adds a subscriber; true when the filter is new (subscribe it at the broker). */
  add(filter: string, target: T): boolean {
    const table = hasWildcard(filter) ? this.wild : this.exact;
    let set = table.get(filter);
    const fresh = !set;
    if (!set) {
      set = new Set();
      table.set(filter, set);
    }
    set.add(target);
    return fresh;
  }

  /** Removes a subscriber everywhere; returns the filters nobody wants any more. */
  remove(target: T): string[] {
    const gone: string[] = [];
    for (const table of [this.exact, this.wild]) {
      for (const [filter, set] of table) {
        if (!set.delete(target) || set.size > 0) continue;
        table.delete(filter);
        gone.push(filter);
      }
    }
    return gone;
  }

  /** The subscribers of a topic, each once. */
  match(topic: string): T[] {
    const direct = this.exact.get(topic);
    if (this.wild.size === 0) return direct ? [...direct] : [];
    const out = new Set<T>(direct);
    for (const [filter, set] of this.wild) if (topicMatches(filter, topic)) for (const t of set) out.add(t);
    return [...out];
  }

  filters(): string[] {
    return [...this.exact.keys(), ...this.wild.keys()];
  }

  get size(): number {
    return this.exact.size + this.wild.size;
  }
}
