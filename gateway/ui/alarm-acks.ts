/** Who acknowledged an active alarm on this box, when, with what note. */
export interface AlarmAck {
  by: string;
  at: string;
  note?: string;
}

/**
 * Local acknowledgements of active alarms, by the alarm's key. An acknowledgement is the
 * technician saying "seen, on it" on site: it changes nothing on the platform and never clears the
 * alarm; it is forgotten when the alarm clears, so the next raise needs a new one. Bounded.
 */
export class AlarmAcks {
  private readonly acks = new Map<string, AlarmAck>();

  constructor(private readonly max = 2000) {}

  ack(key: string, ack: AlarmAck): void {
    this.acks.delete(key);
    this.acks.set(key, ack);
    if (this.acks.size > this.max) this.acks.delete(this.acks.keys().next().value!);
  }

  get(key: string): AlarmAck | undefined {
    return this.acks.get(key);
  }

  /** An event of the bus: a cleared alarm drops its acknowledgement; a new raise after a clear needs a new one. */
  onEvent(e: { key?: string; type: string; state: string; source: { device?: string } }): void {
    if (e.state === 'cleared') this.acks.delete(alarmKey(e));
  }
}

/** The key LiveCache keeps an active alert under. */
export function alarmKey(e: { key?: string; type: string; source: { device?: string } }): string {
  return e.key ?? `${e.source.device ?? ''}:${e.type}`;
}
