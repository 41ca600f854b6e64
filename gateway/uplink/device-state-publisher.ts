import type { DeviceState } from '../core/model.js';

export interface DeviceStatePublisherOptions {
  /** Publishes a retained message; resolves on PUBACK, rejects when the connection dropped it. */
  publish: (device: string, payload: string) => Promise<void>;
  connected: () => boolean;
}

/**
 * Retained `devices/{id}/state` messages, one per device per change (contract: device-state).
 *
 * Per device at most one publish is in flight. A change while one is in flight replaces the
 * waiting state and goes out when the PUBACK comes, so N changes give at most N messages and
 * a burst gives two (the first and the last), never one message per dirty device per change
 * (what made ~127 messages per device at start-up with 250 devices). A state identical to the
 * last one sent is not sent again. After a reconnect everything not acknowledged goes out once.
 * A removed device gets an empty retained message, which deletes the retained state at the
 * broker [MQTT-3.3.1-10].
 */
export class DeviceStatePublisher {
  /** Waiting to be published: the newest payload per device ('' clears the retained state). */
  private readonly waiting = new Map<string, string>();
  /** Sent, PUBACK not yet seen: the payload, as an object whose identity marks this very send. */
  private readonly inFlight = new Map<string, { payload: string }>();
  /** The last payload the broker acknowledged per device. */
  private readonly acked = new Map<string, string>();
  private sent = 0;

  constructor(private readonly o: DeviceStatePublisherOptions) {}

  /** Messages handed to the connection since start (for tests and metrics). */
  get published(): number {
    return this.sent;
  }

  /** A device's state changed. */
  update(state: DeviceState): void {
    this.enqueue(state.device, JSON.stringify({ schema: 'gridgate.device-state/1', ...state }));
  }

  /** A device was removed from the configuration: clear its retained state. */
  remove(device: string): void {
    this.enqueue(device, '');
  }

  /** After (re)connecting: every given state is published once, whatever was acknowledged before (the broker may have lost it). */
  republish(states: readonly DeviceState[]): void {
    this.acked.clear();
    this.disconnected();
    for (const s of states) if (!this.waiting.has(s.device)) this.waiting.set(s.device, JSON.stringify({ schema: 'gridgate.device-state/1', ...s }));
    for (const device of [...this.waiting.keys()]) this.send(device);
  }

  /** The connection dropped: in-flight publishes will not be acknowledged; they go out again on reconnect. */
  disconnected(): void {
    for (const [device, sent] of this.inFlight) if (!this.waiting.has(device)) this.waiting.set(device, sent.payload);
    this.inFlight.clear();
  }

  private enqueue(device: string, payload: string): void {
    if (this.waiting.get(device) === payload) return;
    if (!this.waiting.has(device) && !this.inFlight.has(device) && this.acked.get(device) === payload) return;
    this.waiting.set(device, payload);
    if (this.o.connected()) this.send(device);
  }

  private send(device: string): void {
    if (this.inFlight.has(device)) return;
    const payload = this.waiting.get(device);
    if (payload === undefined) return;
    this.waiting.delete(device);
    const sent = { payload };
    this.inFlight.set(device, sent);
    this.sent++;
    const mine = () => {
      if (this.inFlight.get(device) !== sent) return false; // a reconnect started over
      this.inFlight.delete(device);
      return true;
    };
    this.o.publish(device, payload).then(
      () => {
        if (!mine()) return;
        if (payload === '') this.acked.delete(device);
        else this.acked.set(device, payload);
        if (this.waiting.has(device) && this.o.connected()) this.send(device);
      },
      () => {
        // Not acknowledged: publish it again after the reconnect, unless something newer waits.
        if (mine() && !this.waiting.has(device)) this.waiting.set(device, payload);
      },
    );
  }
}
