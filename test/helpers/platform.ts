import mqtt, { type MqttClient } from 'mqtt';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { kindOfTopic } from './contract.js';

export interface Received {
  topic: string;
  kind: ReturnType<typeof kindOfTopic>;
  retained: boolean;
  payload: Buffer;
  /** Parsed JSON (undefined for snapshots). */
  doc: any;
  at: number;
}

/**
 * The platform's side in tests: a real MQTT client subscribed to everything a gateway sends,
 * recording each message, able to send commands and wait for conditions.
 */
export class PlatformRecorder {
  readonly messages: Received[] = [];
  private client: MqttClient | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly url: string,
    private readonly root = 'gridgate/v1/#',
  ) {}

  async start(): Promise<void> {
    const client = mqtt.connect(this.url, { clientId: `platform-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200, clean: true });
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      const kind = kindOfTopic(topic);
      let doc: unknown;
      if (kind !== 'snapshot') {
        try {
          doc = JSON.parse(payload.toString());
        } catch {
          doc = undefined;
        }
      }
      this.messages.push({ topic, kind, retained: packet.retain, payload, doc, at: Date.now() });
      for (const w of [...this.waiters]) w();
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => client.subscribe(this.root, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      client.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.client?.end(true, {}, () => resolve()) ?? resolve());
  }

  of(kind: Received['kind']): Received[] {
    return this.messages.filter((m) => m.kind === kind);
  }

  events(type?: string): any[] {
    return this.of('event')
      .map((m) => m.doc)
      .filter((d) => !type || d.type === type);
  }

  readings(): any[] {
    return this.of('telemetry').flatMap((m) => m.doc.readings);
  }

  async command(root: string, name: string, payload: unknown): Promise<any> {
    const id = (payload as { id?: string }).id;
    const before = this.messages.length;
    this.client!.publish(`${root}/cmd/${name}`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
    await this.until(
      () => this.messages.slice(before).some((m) => m.topic === `${root}/cmd/${name}/result` && (id === undefined || m.doc?.id === id)),
      10_000,
      `result of ${name}`,
    );
    return this.messages.slice(before).find((m) => m.topic === `${root}/cmd/${name}/result` && (id === undefined || m.doc?.id === id))!.doc;
  }

  async until(predicate: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** The platform side most gateway tests start: the simulated platform broker and a recorder subscribed to everything. */
export interface TestPlatform {
  broker: PlatformBroker;
  recorder: PlatformRecorder;
  /** Stops the recorder, then the broker; safe to call twice. */
  stop(): Promise<void>;
}

export async function startPlatform(options: Parameters<typeof startPlatformBroker>[0] = {}): Promise<TestPlatform> {
  const broker = await startPlatformBroker(options);
  const recorder = new PlatformRecorder(broker.url);
  try {
    await recorder.start();
  } catch (err) {
    await broker.stop();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    broker,
    recorder,
    stop: () => {
      stopped ??= recorder.stop().then(() => broker.stop());
      return stopped;
    },
  };
}
