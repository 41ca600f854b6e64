import mqtt, { type MqttClient } from 'mqtt';
import { corruptValue, futureTime, type SensorFault, withDuplicateKey } from './faults.js';
import { type PayloadShape, SHAPES, type SensorShape } from './payload-shapes.js';
import { EnvModel, PeopleModel, type Random } from './sensor-models.js';

/** One simulated sensor or people counter. */
export interface SensorSpec {
  /** The gateway device id (also the username unless `username` is set). */
  id: string;
  shape: SensorShape;
  username?: string;
  password?: string;
  /** What the sensor puts in its topic (serial number); default the id. */
  topicId?: string;
  /** Publish interval; default 1000 ms. */
  intervalMs?: number;
  /** Counting lines (people counters); default the shape's. */
  lines?: number;
  /** Counters start here (near 65535 to see a 16-bit wrap soon); default 0. */
  startCount?: number;
  /** Counters go back to 0 at local midnight, like most counters; default true. */
  resetAtMidnight?: boolean;
}

export interface SensorCounters {
  published: number;
  faults: number;
  connects: number;
  /** CONNACK refusals and closed connections (ACL). */
  refused: number;
}

/**
 * A simulated MQTT sensor: its own client (login, reconnects), a model of what it measures, a
 * publish timer, and faults on demand.
 */
export class SimulatedSensor {
  readonly shape: PayloadShape;
  readonly env: EnvModel;
  readonly people: PeopleModel;
  readonly counters: SensorCounters = { published: 0, faults: 0, connects: 0, refused: 0 };
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStep: number;
  private lastPublish: number;
  private lastPayload: string | undefined;
  private intervalMs: number;

  constructor(
    readonly spec: SensorSpec,
    private readonly url: string,
    private readonly random: Random,
    private readonly now: () => number,
    private readonly qos: 0 | 1,
    private readonly reconnectPeriodMs: number,
  ) {
    this.shape = SHAPES[spec.shape];
    this.intervalMs = spec.intervalMs ?? 1000;
    const t = now();
    this.lastStep = t;
    this.lastPublish = t - this.intervalMs;
    this.env = new EnvModel();
    this.people = new PeopleModel(spec.lines ?? Math.max(1, this.shape.lines), this.shape.wrapAt, spec.startCount ?? 0, t, spec.resetAtMidnight ?? true);
  }

  get topicId(): string {
    return this.spec.topicId ?? this.spec.id;
  }

  get topic(): string {
    return this.shape.topic(this.topicId);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects (retrying while the broker is not up) and starts publishing. */
  start(): void {
    const client = mqtt.connect(this.url, {
      clientId: `sim-${this.spec.id}`,
      username: this.spec.username ?? this.spec.id,
      password: this.spec.password,
      reconnectPeriod: this.reconnectPeriodMs,
      connectTimeout: 5000,
      clean: true,
    });
    client.on('connect', () => this.counters.connects++);
    client.on('error', () => this.counters.refused++);
    client.on('close', () => undefined);
    this.client = client;
    this.schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  /** Publish interval; not finite (a rate of 0) pauses publishing. */
  setInterval(ms: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.intervalMs = Math.max(1, ms);
    if (Number.isFinite(ms)) this.schedule();
  }

  /** The next payload as the device would send it now (advances the model). */
  nextPayload(): string {
    const now = this.now();
    this.env.step(now - this.lastStep, now, this.random);
    this.people.step(now - this.lastStep, now, this.random);
    this.lastStep = now;
    const doc = this.shape.build({ topicId: this.topicId, now, previous: this.lastPublish, env: this.env, people: this.people });
    this.lastPublish = now;
    return JSON.stringify(doc);
  }

  /** Publishes one good message now. */
  publishNow(): Promise<void> {
    const payload = this.nextPayload();
    this.lastPayload = payload;
    return this.send(this.topic, payload);
  }

  /** Publishes anything on any topic (tests of the gateway's checks). */
  async publishRaw(topic: string, payload: string | Buffer): Promise<void> {
    await this.send(topic, payload);
  }

  async inject(fault: SensorFault): Promise<void> {
    this.counters.faults++;
    switch (fault.kind) {
      case 'not-json':
        return this.send(this.topic, `temperature=${this.env.temperature.toFixed(1)};humidity=${this.env.humidity.toFixed(0)}`);
      case 'wrong-type':
      case 'missing-field': {
        const doc = JSON.parse(this.nextPayload()) as unknown;
        corruptValue(doc, fault.kind === 'wrong-type' ? (fault.value ?? 'n/a') : undefined, fault.kind === 'missing-field');
        return this.send(this.topic, JSON.stringify(doc));
      }
      case 'oversized': {
        const doc = JSON.parse(this.nextPayload()) as Record<string, unknown>;
        doc.padding = 'x'.repeat(fault.bytes ?? 100_000);
        return this.send(this.topic, JSON.stringify(doc));
      }
      case 'wrong-topic':
        // QoS 0: a QoS 1 message the broker refused would be resent after every reconnect.
        return this.send(fault.topic ?? this.shape.topic(`${this.topicId}-not-mine`), this.nextPayload(), 0);
      case 'subscribe': {
        // mqtt.js rejects when the SUBACK says 0x80 (refused).
        await this.client?.subscribeAsync(fault.filter ?? '#', { qos: 0 }).catch(() => {
          this.counters.refused++;
        });
        return;
      }
      case 'burst': {
        const sends: Promise<void>[] = [];
        for (let i = 0; i < fault.count; i++) sends.push(this.publishNow());
        await Promise.all(sends);
        return;
      }
      case 'duplicate':
        if (this.lastPayload === undefined) return this.publishNow();
        return this.send(this.topic, this.lastPayload);
      case 'reset':
        this.people.reset();
        return;
      case 'duplicate-key':
        return this.send(this.topic, withDuplicateKey(JSON.parse(this.nextPayload()), fault.value ?? 99_999_999));
      case 'future-time': {
        const doc = JSON.parse(this.nextPayload()) as unknown;
        futureTime(doc);
        return this.send(this.topic, JSON.stringify(doc));
      }
      case 'jump': {
        const doc = JSON.parse(this.nextPayload()) as unknown;
        corruptValue(doc, fault.value ?? 99_999_999);
        return this.send(this.topic, JSON.stringify(doc));
      }
    }
  }

  private schedule(): void {
    if (!this.client) return;
    // A little jitter, as real sensors drift apart.
    const delay = this.intervalMs * (0.95 + this.random() * 0.1);
    this.timer = setTimeout(() => {
      if (this.client?.connected) this.publishNow().catch(() => undefined);
      this.schedule();
    }, delay);
  }

  private send(topic: string, payload: string | Buffer, qos: 0 | 1 = this.qos): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    this.counters.published++;
    return new Promise((resolve) => {
      client.publish(topic, payload, { qos }, () => resolve());
    });
  }
}
