import type { Logger } from 'pino';
import type { Clock } from '../../../gateway/core/clock.js';
import { errorMessage } from '../../../gateway/core/errors.js';
import { type BackoffPolicy, backoffDelay, SUBSCRIPTION_BACKOFF, sleep } from '../backoff.js';
import { isSubscriptionGone } from '../soap/envelope.js';
import { formatDuration, parseTermination } from '../soap/duration.js';
import { NS, TOPIC_DIALECT_CONCRETE_SET } from '../soap/namespaces.js';
import { OnvifError } from '../transport/onvif-error.js';
import type { SoapClient } from '../transport/soap-client.js';
import { xmlEscape } from '../xml/xml-escape.js';
import { child, path } from '../xml/xml-element.js';
import { type Notification, parseNotifications } from './notification.js';

export type SubscriptionState = 'idle' | 'subscribing' | 'active' | 'backoff' | 'stopped';

/** Subscription health, as shown in device state meta and `stats()`. */
export interface SubscriptionHealth {
  state: SubscriptionState;
  subscribedAt?: number;
  lastMessageAt?: number;
  lastPullAt?: number;
  /** Subscriptions created after the first (each one a recovery). */
  resubscribes: number;
  renewals: number;
  consecutiveFailures: number;
  messages: number;
  lastError?: string;
  lastErrorCode?: string;
}

export interface PullPointOptions {
  client: SoapClient;
  eventsUrl: URL;
  /** ConcreteSet expression and the prefixes it uses. */
  topicFilter?: { expression: string; namespaces: Readonly<Record<string, string>> };
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
  clock: Clock;
  log: Logger;
  onNotifications: (list: Notification[]) => void;
  /** Every state change and failure (the device runner turns these into status). */
  onHealth: (health: Readonly<SubscriptionHealth>, err?: OnvifError) => void;
  /** Before the next try after an auth failure: refresh the clock offset (ONVIF Core §5.12.2). */
  onAuthFailure: () => Promise<void>;
}

interface Subscription {
  address: URL;
  /** Local ms by which we must renew. */
  renewBy: number;
}

/**
 * A supervised pull-point (ONVIF Core §9.1). We do not use the `onvif` package's event loop: it
 * renews after every pull and, on some errors, resubscribes at once in a loop; with 89 cameras
 * a broken one would flood itself and our log. Here: one long-poll at a time, Renew only when
 * the termination time nears, resubscribe with a floored, capped, jittered backoff.
 */
export class PullPointSupervisor {
  private readonly health: SubscriptionHealth = { state: 'idle', resubscribes: 0, renewals: 0, consecutiveFailures: 0, messages: 0 };
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private current: Subscription | undefined;
  private subscriptions = 0;

  constructor(private readonly o: PullPointOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  stats(): Readonly<SubscriptionHealth> {
    return { ...this.health };
  }

  /** Stops the loop and unsubscribes (best effort, within `deadlineMs`). */
  async stop(deadlineMs = 2000): Promise<void> {
    this.abort.abort();
    await this.running;
    const sub = this.current;
    this.current = undefined;
    this.setState('stopped');
    if (sub) await this.unsubscribe(sub, AbortSignal.timeout(deadlineMs));
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        this.setState('subscribing');
        this.current = await this.subscribe(signal);
        await this.synchronize(this.current, signal);
        this.health.consecutiveFailures = 0;
        this.setState('active');
        await this.pullUntilBroken(this.current, signal);
      } catch (err) {
        if (signal.aborted) break;
        const e = err instanceof OnvifError ? err : new OnvifError('E_ONVIF_SUBSCRIPTION', errorMessage(err), { cause: err });
        this.health.consecutiveFailures += 1;
        this.health.lastError = e.message;
        this.health.lastErrorCode = e.code;
        const old = this.current;
        this.current = undefined;
        // Tell the camera we are done with a subscription it may still hold, without waiting:
        // cameras have few pull-point slots (often 2-8).
        if (old && e.code !== 'E_ONVIF_UNREACHABLE' && !(e.fault && isSubscriptionGone(e.fault))) void this.unsubscribe(old, AbortSignal.timeout(2000));
        this.setState('backoff', e);
        if (e.code === 'E_ONVIF_AUTH') await this.o.onAuthFailure().catch(() => undefined);
        await sleep(backoffDelay(this.o.backoff ?? SUBSCRIPTION_BACKOFF, this.health.consecutiveFailures), signal);
      }
    }
  }

  /** ONVIF Core §9.1.1 CreatePullPointSubscription. */
  private async subscribe(signal: AbortSignal): Promise<Subscription> {
    const f = this.o.topicFilter;
    const filter = f
      ? `<tev:Filter><wsnt:TopicExpression Dialect="${TOPIC_DIALECT_CONCRETE_SET}"${Object.entries(f.namespaces)
          .map(([p, uri]) => ` xmlns:${p}="${xmlEscape(uri)}"`)
          .join('')}>${xmlEscape(f.expression)}</wsnt:TopicExpression></tev:Filter>`
      : '';
    const sent = this.o.clock.now();
    const body = await this.o.client.call(
      this.o.eventsUrl,
      `<tev:CreatePullPointSubscription>${filter}<tev:InitialTerminationTime>${formatDuration(this.o.terminationMs)}</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
      { action: `${NS.tev}/EventPortType/CreatePullPointSubscriptionRequest`, signal },
    );
    const r = child(body, NS.tev, 'CreatePullPointSubscriptionResponse');
    const addressText = path(r, [NS.tev, 'SubscriptionReference'], [NS.wsa, 'Address'])?.text;
    if (!r || !addressText) throw new OnvifError('E_ONVIF_PROTOCOL', 'CreatePullPointSubscription answer has no SubscriptionReference/Address');
    let address: URL;
    try {
      address = new URL(addressText);
      address.hostname = this.o.eventsUrl.hostname;
    } catch (err) {
      throw new OnvifError('E_ONVIF_PROTOCOL', `subscription address ${addressText.slice(0, 100)} is not a URL`, { cause: err });
    }
    if (this.subscriptions++ > 0) this.health.resubscribes += 1;
    this.health.subscribedAt = this.o.clock.now();
    return { address, renewBy: this.renewBy(r, sent) };
  }

  /**
   * When to renew, in local time. Camera clocks drift, so we use the span between the answer's
   * CurrentTime and TerminationTime (both camera time), not the absolute time.
   */
  private renewBy(response: ReturnType<typeof child>, sentAt: number): number {
    const cur = parseTermination(child(response, NS.wsnt, 'CurrentTime')?.text ?? '', 0);
    const term = parseTermination(child(response, NS.wsnt, 'TerminationTime')?.text ?? '', cur ?? 0);
    const span = cur !== undefined && term !== undefined && term > cur ? term - cur : this.o.terminationMs;
    // Pulls never run past renewBy by more than the shortest hold (500 ms) plus latency, so the
    // margin is the grace plus 1 s, or 40 % of a short span.
    const margin = Math.min(this.o.pullGraceMs + 1000, span * 0.4);
    return sentAt + span - margin;
  }

  /** ONVIF Core §9.1.4 SetSynchronizationPoint: the camera re-sends every property's current state. */
  private async synchronize(sub: Subscription, signal: AbortSignal): Promise<void> {
    try {
      await this.o.client.call(sub.address, '<tev:SetSynchronizationPoint/>', { action: `${NS.tev}/PullPointSubscription/SetSynchronizationPointRequest`, to: sub.address.href, signal });
    } catch (err) {
      // Optional for some older firmware: a fault is logged, anything else is a real failure.
      if (!(err instanceof OnvifError) || err.code !== 'E_ONVIF_FAULT') throw err;
      this.o.log.debug({ err }, 'SetSynchronizationPoint not supported');
    }
  }

  private async pullUntilBroken(sub: Subscription, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const now = this.o.clock.now();
      if (now >= sub.renewBy) await this.renew(sub, signal);
      const silentSince = Math.max(this.health.lastMessageAt ?? 0, this.health.subscribedAt ?? 0);
      if (this.o.silenceMs > 0 && now - silentSince > this.o.silenceMs) {
        throw new OnvifError('E_ONVIF_SUBSCRIPTION', `no notification for ${Math.round((now - silentSince) / 1000)} s; resubscribing in case the camera dropped it silently`);
      }
      await this.pull(sub, signal);
    }
  }

  /** ONVIF Core §9.1.3 PullMessages, a long-poll of up to pullTimeoutMs. */
  private async pull(sub: Subscription, signal: AbortSignal): Promise<void> {
    // Never hold a pull across the renew time: a short-lived subscription would expire mid-pull.
    const hold = Math.max(500, Math.min(this.o.pullTimeoutMs, sub.renewBy - this.o.clock.now()));
    let body: Awaited<ReturnType<SoapClient['call']>>;
    try {
      body = await this.o.client.call(
        sub.address,
        `<tev:PullMessages><tev:Timeout>${formatDuration(hold)}</tev:Timeout><tev:MessageLimit>${this.o.messageLimit}</tev:MessageLimit></tev:PullMessages>`,
        { action: `${NS.tev}/PullPointSubscription/PullMessagesRequest`, to: sub.address.href, timeoutMs: hold + this.o.pullGraceMs, signal },
      );
    } catch (err) {
      if (err instanceof OnvifError && err.code === 'E_ONVIF_TIMEOUT') {
        throw new OnvifError('E_ONVIF_SUBSCRIPTION', `PullMessages held past its ${hold} ms timeout; the pull-point looks dead`, { cause: err });
      }
      throw err;
    }
    const r = child(body, NS.tev, 'PullMessagesResponse');
    if (!r) throw new OnvifError('E_ONVIF_PROTOCOL', 'PullMessages answer has no PullMessagesResponse');
    this.health.lastPullAt = this.o.clock.now();
    const list = parseNotifications(r);
    if (list.length > 0) {
      this.health.messages += list.length;
      this.health.lastMessageAt = this.health.lastPullAt;
      this.o.onNotifications(list);
    }
  }

  /** WS-BaseNotification §6.1 Renew, relative termination. */
  private async renew(sub: Subscription, signal: AbortSignal): Promise<void> {
    const sent = this.o.clock.now();
    const body = await this.o.client.call(sub.address, `<wsnt:Renew><wsnt:TerminationTime>${formatDuration(this.o.terminationMs)}</wsnt:TerminationTime></wsnt:Renew>`, {
      action: `${NS.wsnt}/SubscriptionManager/RenewRequest`,
      to: sub.address.href,
      signal,
    });
    const r = child(body, NS.wsnt, 'RenewResponse');
    if (!r) throw new OnvifError('E_ONVIF_PROTOCOL', 'Renew answer has no RenewResponse');
    sub.renewBy = this.renewBy(r, sent);
    this.health.renewals += 1;
  }

  /** WS-BaseNotification §6.2 Unsubscribe; failures only logged (the camera expires it anyway). */
  private async unsubscribe(sub: Subscription, signal: AbortSignal): Promise<void> {
    try {
      await this.o.client.call(sub.address, '<wsnt:Unsubscribe/>', { action: `${NS.wsnt}/SubscriptionManager/UnsubscribeRequest`, to: sub.address.href, signal, timeoutMs: 2000 });
    } catch (err) {
      this.o.log.debug({ err }, 'Unsubscribe failed');
    }
  }

  private setState(state: SubscriptionState, err?: OnvifError): void {
    const changed = this.health.state !== state;
    this.health.state = state;
    if (changed || err) this.o.onHealth(this.stats(), err);
  }
}
