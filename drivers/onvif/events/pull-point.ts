import type { Logger } from 'pino';
import type { Clock } from '../../../gateway/core/clock.js';
import { errorMessage } from '../../../gateway/core/errors.js';
import { type BackoffPolicy, backoffDelay, REACHABILITY_BACKOFF, SUBSCRIPTION_BACKOFF, sleep } from '../backoff.js';
import { isSubscriptionGone } from '../soap/envelope.js';
import { NS } from '../soap/namespaces.js';
import { OnvifError } from '../transport/onvif-error.js';
import type { SoapClient } from '../transport/soap-client.js';
import { child, type XmlElement } from '../xml/xml-element.js';
import { type Notification, parseNotifications } from './notification.js';
import {
  createPullPoint,
  pullMessages,
  renewPullPoint,
  safeUrl,
  setSynchronizationPoint,
  subscriptionSchedule,
  type TopicFilter,
  unsubscribePullPoint,
} from './pull-point-calls.js';
import { MemoryLedger, type SubscriptionLedger } from './subscription-ledger.js';

export type SubscriptionState = 'idle' | 'subscribing' | 'active' | 'unreachable' | 'backoff' | 'stopped';

/** Subscription health, as shown in `stats()`, /api/status and /metrics. */
export interface SubscriptionHealth {
  state: SubscriptionState;
  /** Wall time (ms) the current subscription was created. */
  subscribedAt?: number;
  lastMessageAt?: number;
  lastPullAt?: number;
  /** Subscriptions created after the first (each one a recovery). */
  resubscribes: number;
  /** Subscriptions given up: dropped by the camera, expired during an outage, or replaced after a failure. */
  lost: number;
  /** Times the same pull-point was taken up again after a transport error (its queue collected). */
  resumes: number;
  /** Pull-points gridgate holds on the device now: the current one plus any not yet released. */
  open: number;
  renewals: number;
  consecutiveFailures: number;
  messages: number;
  lastError?: string;
  lastErrorCode?: string;
}

export interface PullPointOptions {
  /** Device id: the ledger key. */
  device: string;
  client: SoapClient;
  eventsUrl: URL;
  /** ConcreteSet expression and the prefixes it uses. */
  topicFilter?: TopicFilter;
  /** PullMessages Timeout (ONVIF Core §9.1.3): how long the camera may hold a pull, ms. */
  pullTimeoutMs: number;
  messageLimit: number;
  /** InitialTerminationTime and Renew length, ms. */
  terminationMs: number;
  /** Resubscribe when nothing at all arrived for this long (0 = never): catches a silently dead subscription. */
  silenceMs: number;
  /** Extra time past the pull timeout before a pull counts as hung, ms. */
  pullGraceMs: number;
  backoff?: BackoffPolicy;
  /** Wall clock: stamps `subscribedAt`/`lastMessageAt` only. */
  clock: Clock;
  /** Monotonic ms for every schedule here (renew, expiry, silence); default performance.now. */
  monotonic?: () => number;
  log: Logger;
  /** Where held subscription addresses are remembered across restarts; default in memory. */
  ledger?: SubscriptionLedger;
  /** One cheap call that succeeds when the device answers again (GetSystemDateAndTime). */
  probe: (signal: AbortSignal) => Promise<void>;
  onNotifications: (list: Notification[]) => void;
  /** Each PullMessages answer's CurrentTime text and the wall time it arrived (clock offset, item 5). */
  onDeviceTime?: (currentTime: string, receivedAt: number) => void;
  /** Every state change and failure (the device runner turns these into status). */
  onHealth: (health: Readonly<SubscriptionHealth>, err?: OnvifError) => void;
  /** Before the next try after an auth failure: refresh the clock offset (ONVIF Core §5.12.2). */
  onAuthFailure: () => Promise<void>;
}

interface Subscription {
  address: URL;
  /** Monotonic ms by which we renew. */
  renewBy: number;
  /** Monotonic ms after which the camera has surely ended it (its termination time). */
  expiresAt: number;
}

/**
 * InitialTerminationTime asked for at creation, ms; the subscription is renewed to its full length
 * right after. If the CreatePullPointSubscription answer is lost (connection dropped after the
 * camera made it), we never learn its address and cannot Unsubscribe it: it then holds one of the
 * camera's 2-8 slots only this long, not the full termination time.
 */
const CREATE_TERMINATION_MS = 30_000;

/** Unsubscribe and the release of leftovers get this long (best effort: the camera expires them anyway). */
const RELEASE_TIMEOUT_MS = 2000;

/**
 * A supervised pull-point (ONVIF Core §9.1). We do not use the `onvif` package's event loop: it
 * renews after every pull and, on some errors, resubscribes at once in a loop.
 *
 * Here: one long-poll at a time; Renew only when the termination time nears. After a transport
 * error the subscription is kept and, once the device answers a probe again, resumed (Renew, then
 * PullMessages on the same address) so the events the camera queued during the outage are
 * collected; a new one is created only when the old is gone (fault, or its termination time
 * passed). Any subscription given up is unsubscribed first (best effort), and none is created
 * while an earlier one may still hold a slot, so gridgate holds at most one per event service.
 */
export class PullPointSupervisor {
  private readonly health: SubscriptionHealth = {
    state: 'idle',
    resubscribes: 0,
    lost: 0,
    resumes: 0,
    open: 0,
    renewals: 0,
    consecutiveFailures: 0,
    messages: 0,
  };
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly ledger: SubscriptionLedger;
  private running: Promise<void> | undefined;
  private current: Subscription | undefined;
  /** Subscriptions given up but not confirmed released (Unsubscribe unanswered), or left by a previous run. */
  private orphans: Array<{ address: URL; expiresAt: number }> = [];
  private subscriptions = 0;
  private lastMessageMono = 0;
  /** Subscriptions the camera said were gone (ResourceUnknown) with no successful pull between. */
  private goneInARow = 0;
  /** Pulls in a row that outlived their timeout while the device answered a probe. */
  private hungPulls = 0;
  private subscribedMono = 0;
  /** Transport failures since the device last really worked: the probe backoff starts here. */
  private unreachableStreak = 0;
  /** `current` is the pull-point a previous run (killed) was pulling, not yet renewed by us. */
  private fromPreviousRun = false;

  constructor(private readonly o: PullPointOptions) {
    this.now = o.monotonic ?? (() => performance.now());
    this.ledger = o.ledger ?? new MemoryLedger();
  }

  start(): void {
    this.running ??= this.loop();
  }

  stats(): Readonly<SubscriptionHealth> {
    return { ...this.health, open: (this.current ? 1 : 0) + this.orphans.length };
  }

  /**
   * Stops the loop and unsubscribes (best effort, within `deadlineMs`). `keepCurrent` (the gateway
   * stops, it is not the device that goes): the pull-point in use is left to the camera and
   * recorded in the ledger, so the next run takes it up with what the camera queued meanwhile; if
   * no run comes, the camera ends it at its termination time.
   */
  async stop(deadlineMs = 2000, keepCurrent = false): Promise<void> {
    this.abort.abort();
    await this.running;
    const sub = this.current;
    if (!keepCurrent) {
      this.current = undefined;
      if (sub) this.orphans.push(sub);
    }
    const signal = AbortSignal.timeout(deadlineMs);
    const released = await Promise.all(this.orphans.map((o) => this.unsubscribe(o.address, signal)));
    // What stayed unanswered stays in the ledger: the next start releases it.
    this.orphans = this.orphans.filter((_, i) => !released[i]);
    this.remember();
    this.setState('stopped');
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    // Leftovers of a previous run (killed before it could Unsubscribe). The one it was pulling is
    // taken up again, as after an outage: the camera kept queueing events on it while no gateway
    // ran (a kill -9 and restart take seconds; the subscription lives ≥ half its termination time
    // from its last renewal). If the camera says it is gone, a new one is made at once. The
    // others are released before anything new is subscribed.
    const inUse = this.ledger.current(this.o.device);
    for (const a of this.ledger.held(this.o.device)) {
      const address = safeUrl(a);
      if (!address) continue;
      if (a === inUse && !this.current) {
        this.current = { address, renewBy: this.now(), expiresAt: this.now() + this.o.terminationMs };
        this.fromPreviousRun = true;
      } else this.orphans.push({ address, expiresAt: this.now() + this.o.terminationMs });
    }
    while (!signal.aborted) {
      try {
        let sub = this.current;
        if (sub) {
          // Resume: the camera may still hold this pull-point and its queue. Renew is tried even
          // when our estimate says it expired (camera clocks and policies differ): the camera
          // answers ResourceUnknown if it is gone, and only then is a new one created.
          await this.renew(sub, signal);
          this.hungPulls = 0;
          this.health.resumes += 1;
          if (this.fromPreviousRun) {
            this.fromPreviousRun = false;
            this.o.log.info('event subscription of the previous run taken up (what the camera queued since is collected)');
            // Best effort: one that cannot be released now is tried again before any new subscription.
            await this.releaseOrphans(signal).catch(() => undefined);
          } else this.o.log.info({ resumes: this.health.resumes }, 'event subscription resumed after an outage');
        } else {
          await this.releaseOrphans(signal);
          this.setState('subscribing');
          sub = this.current = await this.subscribe(signal);
          await this.synchronize(sub, signal);
        }
        this.health.consecutiveFailures = 0;
        this.unreachableStreak = 0;
        this.setState('active');
        await this.pullUntilBroken(sub, signal);
      } catch (err) {
        if (signal.aborted) break;
        const e = err instanceof OnvifError ? err : new OnvifError('E_ONVIF_SUBSCRIPTION', errorMessage(err), { cause: err });
        this.health.consecutiveFailures += 1;
        this.health.lastError = e.message;
        this.health.lastErrorCode = e.code;
        if (isTransport(e)) {
          // Keep the subscription: it is resumed when the device answers again.
          this.setState('unreachable', e);
          await this.untilReachable(signal);
          continue;
        }
        if (e.code === 'E_ONVIF_AUTH') {
          // NotAuthorized says nothing about the pull-point (often our clock estimate is stale after
          // a wall-clock step, Core §5.12.2): keep it, re-read the clock, retry at once the first
          // time; a repeat is a credential problem and waits the backoff (accounts lock).
          this.setState('backoff', e);
          await this.o.onAuthFailure().catch(() => undefined);
          if (this.health.consecutiveFailures >= 2)
            await sleep(backoffDelay(this.o.backoff ?? SUBSCRIPTION_BACKOFF, this.health.consecutiveFailures - 1), signal);
          continue;
        }
        const sub = this.current;
        this.current = undefined;
        this.fromPreviousRun = false;
        const gone = e.fault !== undefined && isSubscriptionGone(e.fault);
        // The state changes before the release is awaited (up to RELEASE_TIMEOUT_MS): status never
        // shows `active` while no subscription is held.
        this.setState('backoff', e);
        if (sub) {
          this.lose(sub, e.message);
          if (!gone) await this.release(sub, signal);
          this.remember();
        }
        // A camera that dropped the subscription (reboot, overload, or it expired during an outage)
        // gets a new one at once: every second without one loses events. Anything else, or a
        // subscription that is gone again before a single pull worked, waits the backoff.
        this.goneInARow = gone && sub ? this.goneInARow + 1 : 0;
        if (!(gone && sub && this.goneInARow === 1)) await sleep(backoffDelay(this.o.backoff ?? SUBSCRIPTION_BACKOFF, this.health.consecutiveFailures), signal);
      }
    }
  }

  /** Waits until the device answers a probe; the delay restarts from the floor once it really works again. */
  private async untilReachable(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.unreachableStreak += 1;
      await sleep(backoffDelay(REACHABILITY_BACKOFF, this.unreachableStreak), signal);
      if (signal.aborted) return;
      try {
        await this.o.probe(signal);
        return;
      } catch (err) {
        this.health.lastError = errorMessage(err);
      }
    }
  }

  private lose(sub: Subscription, why: string): void {
    this.health.lost += 1;
    this.o.log.warn({ lost: this.health.lost, reason: why }, 'event subscription lost');
    if (this.current === sub) this.current = undefined;
  }

  /** WS-BaseNotification §6.2 Unsubscribe of one we give up; unanswered ones stay orphans until they expire. */
  private async release(sub: Subscription, signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, AbortSignal.timeout(RELEASE_TIMEOUT_MS)]);
    if (!(await this.unsubscribe(sub.address, stop)) && this.now() < sub.expiresAt) this.orphans.push({ address: sub.address, expiresAt: sub.expiresAt });
  }

  /** Before creating a subscription: every earlier one is released or surely expired, else we wait. */
  private async releaseOrphans(signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, AbortSignal.timeout(RELEASE_TIMEOUT_MS)]);
    const left: typeof this.orphans = [];
    for (const o of this.orphans) {
      if (this.now() >= o.expiresAt) continue;
      if (!(await this.unsubscribe(o.address, stop))) left.push(o);
    }
    this.orphans = left;
    this.remember();
    if (left.length > 0) throw new OnvifError('E_ONVIF_UNREACHABLE', `${left.length} earlier subscription(s) not yet released; not creating another`);
  }

  /** ONVIF Core §9.1.1 CreatePullPointSubscription, then Renew to the full length. */
  private async subscribe(signal: AbortSignal): Promise<Subscription> {
    const sent = this.now();
    const { address, response } = await createPullPoint(
      this.o.client,
      this.o.eventsUrl,
      this.o.topicFilter,
      Math.min(this.o.terminationMs, CREATE_TERMINATION_MS),
      signal,
    );
    if (this.subscriptions++ > 0) {
      this.health.resubscribes += 1;
      this.o.log.info({ resubscribes: this.health.resubscribes }, 'event subscription re-created');
    }
    this.hungPulls = 0;
    this.health.subscribedAt = this.o.clock.now();
    this.subscribedMono = this.now();
    const sub = { address, ...this.schedule(response, sent) };
    this.current = sub;
    this.remember();
    // Now that we hold its address: the full length (see CREATE_TERMINATION_MS).
    if (this.o.terminationMs > CREATE_TERMINATION_MS) await this.renew(sub, signal);
    return sub;
  }

  private schedule(response: XmlElement, sentAt: number): { renewBy: number; expiresAt: number } {
    return subscriptionSchedule(response, sentAt, this.o.terminationMs);
  }

  /** ONVIF Core §9.1.4 SetSynchronizationPoint: the camera re-sends every property's current state. */
  private async synchronize(sub: Subscription, signal: AbortSignal): Promise<void> {
    try {
      await setSynchronizationPoint(this.o.client, sub.address, signal);
    } catch (err) {
      // Optional for some older firmware: a fault is logged, anything else is a real failure.
      if (!(err instanceof OnvifError) || err.code !== 'E_ONVIF_FAULT' || isSubscriptionGone(err.fault!)) throw err;
      this.o.log.debug({ err }, 'SetSynchronizationPoint not supported');
    }
  }

  private async pullUntilBroken(sub: Subscription, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const now = this.now();
      if (now >= sub.renewBy) await this.renew(sub, signal);
      const silentFor = now - Math.max(this.lastMessageMono, this.subscribedMono);
      if (this.o.silenceMs > 0 && silentFor > this.o.silenceMs) {
        throw new OnvifError(
          'E_ONVIF_SUBSCRIPTION',
          `no notification for ${Math.round(silentFor / 1000)} s; resubscribing in case the camera dropped it silently`,
        );
      }
      await this.pull(sub, signal);
    }
  }

  /** ONVIF Core §9.1.3 PullMessages, a long-poll of up to pullTimeoutMs. */
  private async pull(sub: Subscription, signal: AbortSignal): Promise<void> {
    // Never hold a pull across the renew time: a short-lived subscription would expire mid-pull.
    const hold = Math.max(500, Math.min(this.o.pullTimeoutMs, sub.renewBy - this.now()));
    const sent = this.now();
    let r: XmlElement;
    try {
      r = await pullMessages(this.o.client, sub.address, { holdMs: hold, messageLimit: this.o.messageLimit, timeoutMs: hold + this.o.pullGraceMs, signal });
    } catch (err) {
      if (err instanceof OnvifError && err.code === 'E_ONVIF_TIMEOUT') {
        // A silent network (no RST) also looks like a hung pull: only a device that still answers
        // a probe has a dead pull-point; otherwise it is an outage and the subscription is kept.
        await this.o.probe(signal);
        // One late answer is not a dead pull-point: a busy camera or a loaded gateway can be seconds
        // late. Giving it up costs more than waiting (Unsubscribe drops the events the camera has
        // queued), so it is pulled once more; only a second hang in a row replaces it.
        this.hungPulls += 1;
        if (this.hungPulls < 2) {
          this.health.lastError = `PullMessages held past its ${hold} ms timeout; pulling the same pull-point again`;
          this.health.lastErrorCode = 'E_ONVIF_TIMEOUT';
          this.o.log.info({ holdMs: hold }, 'event pull answered late; pulling the same pull-point again');
          return;
        }
        throw new OnvifError('E_ONVIF_SUBSCRIPTION', `PullMessages held past its ${hold} ms timeout twice in a row; the pull-point looks dead`, { cause: err });
      }
      throw err;
    }
    this.hungPulls = 0;
    this.goneInARow = 0;
    const received = this.o.clock.now();
    this.health.lastPullAt = received;
    // The answer's TerminationTime (Core §9.1.3) may extend the subscription: keep expiry current.
    const cur = child(r, NS.tev, 'CurrentTime')?.text;
    const t = this.schedule(r, sent);
    if (child(r, NS.tev, 'TerminationTime')) sub.expiresAt = Math.max(sub.expiresAt, t.expiresAt);
    if (cur) this.o.onDeviceTime?.(cur, received);
    const list = parseNotifications(r);
    if (list.length > 0) {
      this.health.messages += list.length;
      this.health.lastMessageAt = received;
      this.lastMessageMono = this.now();
      this.o.onNotifications(list);
    }
  }

  /** WS-BaseNotification §6.1 Renew, relative termination. */
  private async renew(sub: Subscription, signal: AbortSignal): Promise<void> {
    const sent = this.now();
    const r = await renewPullPoint(this.o.client, sub.address, this.o.terminationMs, signal);
    Object.assign(sub, this.schedule(r, sent));
    this.health.renewals += 1;
  }

  /**
   * WS-BaseNotification §6.2 Unsubscribe. True when the slot is free: answered, or the camera no
   * longer knows it (a fault other than NotAuthorized: it is not held for us). False when
   * unanswered or refused for credentials.
   */
  private async unsubscribe(address: URL, signal: AbortSignal): Promise<boolean> {
    try {
      await unsubscribePullPoint(this.o.client, address, RELEASE_TIMEOUT_MS, signal);
      return true;
    } catch (err) {
      this.o.log.debug({ err }, 'Unsubscribe failed');
      // NotAuthorized: the camera did not act on it, so the slot may still be held.
      return err instanceof OnvifError && !isTransport(err) && err.code !== 'E_ONVIF_ABORTED' && err.code !== 'E_ONVIF_AUTH';
    }
  }

  /** Writes what we hold to the ledger (current + unreleased), so a restart can release it. */
  private remember(): void {
    const held = [...(this.current ? [this.current.address.href] : []), ...this.orphans.map((o) => o.address.href)];
    this.ledger.record(this.o.device, [...new Set(held)], this.current?.address.href);
    this.health.open = held.length;
  }

  private setState(state: SubscriptionState, err?: OnvifError): void {
    const changed = this.health.state !== state;
    this.health.state = state;
    if (changed || err) this.o.onHealth(this.stats(), err);
  }
}

function isTransport(e: OnvifError): boolean {
  return e.code === 'E_ONVIF_UNREACHABLE' || e.code === 'E_ONVIF_TIMEOUT';
}
