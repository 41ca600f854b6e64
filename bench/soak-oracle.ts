/**
 * The platform-side oracle of the soak: a subscriber on the platform broker (never cut by the
 * outages, which are on the gateway's link) that checks, per lane, that seq runs 1..N without a
 * gap, notes every repeat and every seq that arrives after a higher one (reordering), and checks
 * that each event the soak raised on purpose (the "marks") arrived. It keeps counts, not
 * messages, so a day-long run stays small: test/helpers/platform.ts keeps every message, which is
 * right for a test and too much for hours of telemetry.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { kindOfTopic } from '../test/helpers/contract.js';

type Lane = 'telemetry' | 'events';

/** How long before a kill -9 a raised event may still be on its way into the outbox, ms. */
/** A mark raised this close before a stop may have been on the wire in a PullMessages answer. */
const ON_THE_WIRE_MS = 1000;

class LaneTrack {
  /** Times each seq arrived (saturating at 255). */
  private seen = new Uint8Array(1 << 16);
  maxSeq = 0;
  messages = 0;
  reordered = 0;
  /** Arrival times (ms, wall) of repeats. */
  readonly repeats: number[] = [];

  /** Records a seq; true when it is the first arrival of that seq. */
  add(seq: number, at: number): boolean {
    this.messages++;
    while (seq >= this.seen.length) {
      const bigger = new Uint8Array(this.seen.length * 2);
      bigger.set(this.seen);
      this.seen = bigger;
    }
    const first = this.seen[seq] === 0;
    if (this.seen[seq]! < 255) this.seen[seq]!++;
    if (!first) this.repeats.push(at);
    else if (seq < this.maxSeq) this.reordered++;
    this.maxSeq = Math.max(this.maxSeq, seq);
    return first;
  }

  gaps(): number[] {
    const missing: number[] = [];
    for (let s = 1; s <= this.maxSeq; s++) if (this.seen[s] === 0) missing.push(s);
    return missing;
  }
}

export interface Mark {
  mark: number;
  camera: string;
  raisedAt: number;
  /** Why the camera was in that state: `normal`, or a flap that keeps its pull-points (`unreachable`). */
  during: string;
}

export interface ArrivedEvent {
  type: string;
  device?: string;
  ts: number;
  at: number;
  data?: Record<string, unknown>;
}

export class PlatformOracle {
  readonly lanes: Record<Lane, LaneTrack> = { telemetry: new LaneTrack(), events: new LaneTrack() };
  readonly events: ArrivedEvent[] = [];
  readonly marks = new Map<number, Mark>();
  readonly arrivedMarks = new Map<number, number>();
  readings = 0;
  readingsSinceTick = 0;
  invalid = 0;
  private client: MqttClient | undefined;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    const client = mqtt.connect(this.url, { clientId: `soak-platform-${process.pid}`, reconnectPeriod: 500, clean: true });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => client.subscribe('gridgate/v1/#', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      client.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.client?.end(true, {}, () => resolve()) ?? resolve());
  }

  expectMark(m: Mark): void {
    this.marks.set(m.mark, m);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const kind = kindOfTopic(topic);
    if (kind !== 'telemetry' && kind !== 'event') return;
    const at = Date.now();
    let doc: { seq?: unknown; readings?: unknown[]; type?: string; ts?: string; source?: { device?: string }; data?: Record<string, unknown> };
    try {
      doc = JSON.parse(payload.toString());
    } catch {
      this.invalid++;
      return;
    }
    if (typeof doc.seq !== 'number') {
      this.invalid++;
      return;
    }
    if (kind === 'telemetry') {
      if (this.lanes.telemetry.add(doc.seq, at)) {
        const n = doc.readings?.length ?? 0;
        this.readings += n;
        this.readingsSinceTick += n;
      }
      return;
    }
    if (!this.lanes.events.add(doc.seq, at)) return;
    this.events.push({ type: String(doc.type), device: doc.source?.device, ts: Date.parse(String(doc.ts)), at, data: doc.data });
    const mark = Number(doc.data?.SoakMark);
    if (Number.isInteger(mark) && !this.arrivedMarks.has(mark)) this.arrivedMarks.set(mark, at);
  }

  /** The verdict; `windows` are the spans (wall ms) in which repeats are expected (kill -9 and outages). */
  verdict(windows: Array<{ cause: string; from: number; stoppedAt?: number; to: number }>) {
    const lane = (t: LaneTrack) => {
      const byCause: Record<string, number> = {};
      for (const at of t.repeats) {
        const w = windows.find((x) => at >= x.from && at <= x.to);
        const cause = w?.cause ?? 'elsewhere';
        byCause[cause] = (byCause[cause] ?? 0) + 1;
      }
      const gaps = t.gaps();
      return {
        messages: t.messages,
        lastSeq: t.maxSeq,
        gaps: gaps.length,
        firstGaps: gaps.slice(0, 10),
        reordered: t.reordered,
        repeats: t.repeats.length,
        repeatsByCause: byCause,
      };
    };
    // Every mark must arrive, also those raised while no gateway ran (the camera queues them on
    // the pull-point the next run takes up) and those a pulled event waited for its picture when
    // the process died (journaled). One exception, inherent to ONVIF: a PullMessages answer on the
    // wire when the process stops is gone (a pull has no acknowledgement), so a mark raised in the
    // last second before a stop (kill -9 or SIGTERM), or while it stops, that did not arrive is counted apart.
    const stops = windows.filter((w) => w.cause === 'kill-9' || w.cause === 'restart');
    // From a second before the signal until the process is gone (a SIGTERM stop takes ~0.1-0.3 s).
    const nearStop = (m: Mark) => stops.some((w) => m.raisedAt >= w.from - ON_THE_WIRE_MS && m.raisedAt <= (w.stoppedAt ?? w.from));
    const notArrived = [...this.marks.values()].filter((m) => !this.arrivedMarks.has(m.mark));
    const missingMarks = notArrived.filter((m) => !nearStop(m));
    const onTheWireAtStop = notArrived.filter(nearStop);
    const raisedNearStop = [...this.marks.values()].filter(nearStop);
    const raisedWhileDown = [...this.marks.values()].filter((m) => m.during === 'gateway down');
    const dataDropped = this.events.filter((e) => e.type === 'gateway.data_dropped').length;
    const telemetry = lane(this.lanes.telemetry);
    const events = lane(this.lanes.events);
    return {
      telemetry,
      events,
      readings: this.readings,
      invalidMessages: this.invalid,
      dataDroppedEvents: dataDropped,
      marks: {
        raised: this.marks.size,
        arrived: this.marks.size - notArrived.length,
        missing: missingMarks.slice(0, 20),
        raisedNearStop: raisedNearStop.length,
        onTheWireAtStop: onTheWireAtStop.length,
        raisedWhileDown: raisedWhileDown.length,
        arrivedWhileDown: raisedWhileDown.filter((m) => this.arrivedMarks.has(m.mark)).length,
      },
      ok:
        telemetry.gaps === 0 &&
        events.gaps === 0 &&
        telemetry.reordered === 0 &&
        events.reordered === 0 &&
        missingMarks.length === 0 &&
        !telemetry.repeatsByCause.elsewhere &&
        !events.repeatsByCause.elsewhere,
    };
  }
}
