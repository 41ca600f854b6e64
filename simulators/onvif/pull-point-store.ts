import type { TopicFilter } from '../../drivers/onvif/events/topic-filter.js';
import { canonicalOf, type SimNotification } from './sim-notification.js';

/** Why a subscription call failed: it does not exist (any more) or there are too many. */
export class SubscriptionGone extends Error {}
export class TooManySubscriptions extends Error {}

interface Waiter {
  resolve: (list: SimNotification[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  limit: number;
  /** A hung pull (the hangPulls fault): answers only when the fault is cleared (`unhang`). */
  hung?: (list: SimNotification[]) => void;
}

export interface SimSubscription {
  readonly id: number;
  readonly filter: TopicFilter | undefined;
  queue: SimNotification[];
  /** Device time (ms) at which it ends. */
  terminationTime: number;
  waiter: Waiter | undefined;
}

/** Per-subscription queue cap: a client that stops pulling costs bounded memory. */
const QUEUE_CAP = 1000;

/**
 * The pull-points of one simulated camera (ONVIF Core §9.1): real long-poll semantics (a pull
 * waits up to its Timeout and is answered as soon as a message arrives), termination times,
 * Renew, Unsubscribe, and a cap on concurrent subscriptions like real firmware.
 */
export class PullPointStore {
  private readonly subs = new Map<number, SimSubscription>();
  private nextId = 1;

  constructor(
    private readonly deviceNow: () => number,
    private readonly maxSubscriptions = 10,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  create(filter: TopicFilter | undefined, terminationTime: number): SimSubscription {
    this.sweep();
    if (this.subs.size >= this.maxSubscriptions) throw new TooManySubscriptions(`at most ${this.maxSubscriptions} pull-points`);
    const sub: SimSubscription = { id: this.nextId++, filter, queue: [], terminationTime, waiter: undefined };
    this.subs.set(sub.id, sub);
    return sub;
  }

  get(id: number): SimSubscription {
    const sub = this.subs.get(id);
    if (!sub || sub.terminationTime <= this.deviceNow()) {
      if (sub) this.drop(sub);
      throw new SubscriptionGone(`subscription ${id} does not exist`);
    }
    return sub;
  }

  /** Delivers to every live subscription whose filter matches. */
  publish(n: SimNotification, only?: SimSubscription): void {
    const topic = canonicalOf(n);
    for (const sub of only ? [only] : this.subs.values()) {
      if (sub.filter && !sub.filter.matches(topic)) continue;
      sub.queue.push(n);
      if (sub.queue.length > QUEUE_CAP) sub.queue.shift();
      const w = sub.waiter;
      if (w) {
        sub.waiter = undefined;
        clearTimeout(w.timer);
        w.resolve(sub.queue.splice(0, w.limit));
      }
    }
  }

  /** PullMessages: answers at once when messages wait, else after the first message or `timeoutMs`. */
  pull(id: number, timeoutMs: number, limit: number, hang: boolean): Promise<SimNotification[]> {
    const sub = this.get(id);
    // A second pull on the same subscription answers the first one empty (one reader per pull-point).
    if (sub.waiter) {
      const old = sub.waiter;
      sub.waiter = undefined;
      clearTimeout(old.timer);
      old.resolve([]);
    }
    if (sub.queue.length > 0 && !hang) return Promise.resolve(sub.queue.splice(0, limit));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          if (sub.waiter?.timer === timer) sub.waiter = undefined;
          resolve(hang ? [] : sub.queue.splice(0, limit));
        },
        hang ? 24 * 3600_000 : timeoutMs,
      );
      sub.waiter = hang ? { resolve: () => undefined, reject, timer, limit, hung: resolve } : { resolve, reject, timer, limit };
    });
  }

  /** The hangPulls fault is cleared: hung pulls answer now with what waits (as a camera that recovers). */
  unhang(): void {
    for (const sub of this.subs.values()) {
      const w = sub.waiter;
      if (!w?.hung) continue;
      sub.waiter = undefined;
      clearTimeout(w.timer);
      w.hung(sub.queue.splice(0, w.limit));
    }
  }

  /**
   * Puts messages back at the head of the queue: the answer that carried them never left (the
   * connection closed first). A camera that dequeues on send would lose them; ours does not, so
   * a client that resumes the pull-point after an outage collects them.
   */
  requeue(id: number, list: SimNotification[]): void {
    const sub = this.subs.get(id);
    if (sub && list.length) sub.queue.unshift(...list);
  }

  /** Messages waiting on all pull-points (for tests' diagnostics). */
  queued(): number {
    let n = 0;
    for (const sub of this.subs.values()) n += sub.queue.length;
    return n;
  }

  /** Subscription ids alive now (for tests: the slots a client holds). */
  ids(): number[] {
    this.sweep();
    return [...this.subs.keys()];
  }

  renew(id: number, terminationTime: number): SimSubscription {
    const sub = this.get(id);
    sub.terminationTime = terminationTime;
    return sub;
  }

  unsubscribe(id: number): void {
    this.drop(this.get(id));
  }

  /** Ends every subscription at once (the "killed" fault, a camera reboot). */
  killAll(): number {
    const n = this.subs.size;
    for (const sub of [...this.subs.values()]) this.drop(sub);
    return n;
  }

  /** Removes subscriptions past their termination time. */
  sweep(): void {
    const now = this.deviceNow();
    for (const sub of [...this.subs.values()]) if (sub.terminationTime <= now) this.drop(sub);
  }

  private drop(sub: SimSubscription): void {
    this.subs.delete(sub.id);
    sub.queue = [];
    const w = sub.waiter;
    sub.waiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(new SubscriptionGone(`subscription ${sub.id} ended`));
    }
  }
}
