import mqtt, { type MqttClient } from 'mqtt';
import sparkplug from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';

/** Eclipse Tahu's decoder: the test host decodes with it, never with gridgate's code. */
const tahu = sparkplug.get('spBv1.0')!;

export interface HostMessage {
  topic: string;
  verb: string;
  node: string;
  device?: string;
  qos: number;
  retain: boolean;
  payload: UPayload;
}

export interface DataPoint {
  device: string;
  name: string;
  value: unknown;
  ts: number;
  historical: boolean;
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : v && typeof (v as { toNumber?: unknown }).toNumber === 'function' ? (v as { toNumber: () => number }).toNumber() : undefined;

/**
 * A Sparkplug host for tests: subscribes to spBv1.0/#, decodes every message with Tahu and checks
 * the Edge Node's messages against the Sparkplug 3.0 statements named in each violation.
 */
export class SparkplugTestHost {
  readonly messages: HostMessage[] = [];
  readonly violations: string[] = [];
  readonly data: DataPoint[] = [];
  /** Decoded `Event/JSON` values, in arrival order. */
  readonly events: Array<{ seq: number; type: string; id: string; historical: boolean; device: string }> = [];
  private client: MqttClient | undefined;
  // Session state of the one Edge Node under test.
  private inSession = false;
  private redelivery = false;
  private nextSeq = 0;
  private lastBirthBdSeq: number | undefined;
  private sawDeathSinceBirth = true;
  private readonly aliases = new Map<string, Map<number, { name: string; type: string }>>();
  private readonly liveDevices = new Set<string>();
  private readonly allAliases = new Map<number, string>();

  constructor(
    private readonly url: string,
    private readonly expectedQos: 0 | 1,
    /** A persistent session (fixed client id, clean false): nothing is missed while the broker restarts. */
    private readonly persistent = false,
  ) {}

  async start(): Promise<void> {
    const clientId = this.persistent ? 'sparkplug-test-host' : `sparkplug-test-host-${process.pid}-${Math.random().toString(16).slice(2)}`;
    const client = mqtt.connect(this.url, { clientId, reconnectPeriod: 200, clean: !this.persistent });
    this.client = client;
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.qos, packet.retain));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    // QoS 1 so the delivered QoS shows what the node published with.
    await client.subscribeAsync('spBv1.0/#', { qos: 1 });
    client.on('connect', () => {
      // The host itself reconnected (broker restart): the node's session ended with the broker, a new
      // one follows. Until its NBIRTH the broker may still redeliver the old session's messages
      // (QoS 1, possibly twice): their data is kept, their order cannot be judged.
      this.sawDeathSinceBirth = true;
      this.redelivery = true;
      void client.subscribeAsync('spBv1.0/#', { qos: 1 });
    });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }

  /** Publishes the Primary Host Application STATE (retained, QoS 1), as a host does. */
  async publishState(hostId: string, online: boolean, timestamp: number): Promise<void> {
    await this.client!.publishAsync(`spBv1.0/STATE/${hostId}`, JSON.stringify({ online, timestamp }), { qos: 1, retain: true });
  }

  async command(topic: string, metrics: UMetric[]): Promise<void> {
    await this.client!.publishAsync(topic, Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics })), { qos: 0 });
  }

  async raw(topic: string, payload: Buffer | string, retain = false): Promise<void> {
    await this.client!.publishAsync(topic, payload, { qos: 1, retain });
  }

  count(verb: string, device?: string): number {
    return this.messages.filter((m) => m.verb === verb && (device === undefined || m.device === device)).length;
  }

  /** The alias a device's metric had in its latest birth. */
  alias(device: string, name: string): number | undefined {
    for (const [alias, def] of this.aliases.get(device) ?? []) if (def.name === name) return alias;
    return undefined;
  }

  private fail(id: string, detail: string): void {
    if (this.violations.length < 50) this.violations.push(`[${id}] ${detail}`);
  }

  private onMessage(topic: string, bytes: Buffer, qos: number, retain: boolean): void {
    const parts = topic.split('/');
    if (parts[1] === 'STATE') return;
    const [, , verb = '', node = '', device] = parts;
    if (verb === 'NCMD' || verb === 'DCMD') return;
    let payload: UPayload;
    try {
      payload = tahu.decodePayload(bytes);
    } catch (err) {
      this.fail('tck-id-message-flow-edge-node-birth-publish-nbirth-payload', `${topic}: not a Sparkplug B protobuf (${(err as Error).message})`);
      return;
    }
    const msg: HostMessage = { topic, verb, node, device, qos, retain, payload };
    this.messages.push(msg);
    if (retain) this.fail('tck-id-payloads-nbirth-retain', `${topic} was retained`);
    const metrics = payload.metrics ?? [];
    const seq = num(payload.seq);
    if (verb === 'NDEATH') {
      this.onDeath(msg, seq, metrics);
      return;
    }
    if (qos !== this.expectedQos) this.fail('tck-id-topics-ddata-mqtt', `${topic} has QoS ${qos}, configured ${this.expectedQos}`);
    if (seq === undefined) {
      this.fail('tck-id-payloads-sequence-num-always-included', `${topic} has no seq`);
      return;
    }
    if (num(payload.timestamp) === undefined) this.fail('tck-id-payloads-ddata-timestamp', `${topic} has no payload timestamp`);
    if (verb === 'NBIRTH') {
      this.onNodeBirth(seq, metrics);
      return;
    }
    if (this.redelivery) {
      if (verb === 'DDATA' || verb === 'NDATA') this.record(topic, verb, device ?? '', metrics);
      return;
    }
    if (!this.inSession) {
      this.fail('tck-id-principles-birth-certificates-order', `${topic} before any NBIRTH of this session`);
      return;
    }
    if (seq !== this.nextSeq) this.fail('tck-id-payloads-sequence-num-incrementing', `${topic} seq ${seq}, expected ${this.nextSeq}`);
    this.nextSeq = (seq + 1) % 256;
    if (seq > 255 || seq < 0) this.fail('tck-id-payloads-ddata-seq-inc', `seq ${seq} outside 0..255`);
    const scope = device ?? '';
    if (verb === 'DBIRTH') {
      this.onBirthMetrics(scope, metrics, 'tck-id-payloads-alias-birth-requirement');
      return;
    }
    if (verb === 'DDEATH') {
      if (!this.liveDevices.delete(scope)) this.fail('tck-id-topics-ddeath-seq-num', `DDEATH of ${scope}, which was not born`);
      return;
    }
    if (verb === 'DDATA' || verb === 'NDATA') {
      if (verb === 'DDATA' && !this.liveDevices.has(scope)) {
        this.fail('tck-id-payloads-ddata-order', `DDATA of ${scope} without a DBIRTH in this session (or after its DDEATH)`);
        return;
      }
      this.record(topic, verb, scope, metrics);
    }
  }

  private record(topic: string, _verb: string, scope: string, metrics: UMetric[]): void {
    const defs = this.aliases.get(scope);
    for (const m of metrics) {
      if (m.name) this.fail('tck-id-payloads-alias-data-cmd-requirement', `${topic} metric carries the name ${m.name}`);
      const alias = num(m.alias);
      const def = alias === undefined ? undefined : defs?.get(alias);
      if (!def) {
        this.fail('tck-id-payloads-alias-birth-requirement', `${topic} uses alias ${String(alias)}, not declared in the birth of ${scope || 'the node'}`);
        continue;
      }
      const ts = num(m.timestamp);
      if (ts === undefined) this.fail('tck-id-payloads-name-birth-data-requirement', `${topic} metric ${def.name} has no timestamp`);
      if (m.type !== def.type) this.fail('tck-id-payloads-metric-datatype-value', `${topic} ${def.name} is ${m.type}, born as ${def.type}`);
      const historical = m.isHistorical === true;
      this.data.push({ device: scope, name: def.name, value: m.value, ts: ts ?? 0, historical });
      if (def.name === 'Event/JSON' && typeof m.value === 'string') {
        const e = JSON.parse(m.value) as { seq: number; type: string; id: string };
        this.events.push({ seq: e.seq, type: e.type, id: e.id, historical, device: scope });
      }
    }
  }

  private onNodeBirth(seq: number, metrics: UMetric[]): void {
    if (seq !== 0) this.fail('tck-id-topics-nbirth-seq-num', `NBIRTH seq ${seq}`);
    const bdSeq = metrics.find((m) => m.name === 'bdSeq');
    if (!bdSeq) this.fail('tck-id-topics-nbirth-bdseq-included', 'NBIRTH without bdSeq');
    else if (bdSeq.type !== 'Int64') this.fail('tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq', `bdSeq is ${bdSeq.type}`);
    const value = num(bdSeq?.value);
    if (value !== undefined && this.lastBirthBdSeq !== undefined) {
      // A rebirth in the same MQTT session keeps bdSeq; a new session (after an NDEATH) moves it on.
      if (!this.sawDeathSinceBirth && value !== this.lastBirthBdSeq)
        this.fail('tck-id-operational-behavior-data-commands-rebirth-action-3', `rebirth changed bdSeq ${this.lastBirthBdSeq} → ${value}`);
      if (this.sawDeathSinceBirth && value === this.lastBirthBdSeq) this.fail('tck-id-topics-nbirth-bdseq-increment', `new session reused bdSeq ${value}`);
    }
    this.lastBirthBdSeq = value;
    this.sawDeathSinceBirth = false;
    const rebirth = metrics.find((m) => m.name === 'Node Control/Rebirth');
    if (rebirth?.type !== 'Boolean' || rebirth.value !== false)
      this.fail('tck-id-topics-nbirth-rebirth-metric', 'Node Control/Rebirth missing, not Boolean or not false');
    this.inSession = true;
    this.redelivery = false;
    this.nextSeq = 1;
    this.liveDevices.clear();
    this.aliases.clear();
    this.allAliases.clear();
    this.onBirthMetrics('', metrics, 'tck-id-payloads-alias-birth-requirement');
  }

  private onBirthMetrics(scope: string, metrics: UMetric[], id: string): void {
    const old = this.aliases.get(scope);
    if (old) for (const a of old.keys()) this.allAliases.delete(a);
    const defs = new Map<number, { name: string; type: string }>();
    for (const m of metrics) {
      const alias = num(m.alias);
      if (!m.name || alias === undefined) {
        this.fail(id, `birth of ${scope || 'the node'} has a metric without both name and alias (${m.name ?? '?'})`);
        continue;
      }
      if (!m.type) this.fail('tck-id-payloads-metric-datatype-req', `${m.name} without datatype`);
      if (num(m.timestamp) === undefined) this.fail('tck-id-payloads-name-birth-data-requirement', `birth metric ${m.name} has no timestamp`);
      const owner = this.allAliases.get(alias);
      if (owner !== undefined) this.fail('tck-id-payloads-alias-uniqueness', `alias ${alias} of ${scope}/${m.name} is already ${owner}`);
      this.allAliases.set(alias, `${scope}/${m.name}`);
      defs.set(alias, { name: m.name, type: m.type });
      this.data.push({ device: scope, name: m.name, value: m.value, ts: num(m.timestamp) ?? 0, historical: false });
    }
    this.aliases.set(scope, defs);
    if (scope) this.liveDevices.add(scope);
  }

  private onDeath(msg: HostMessage, seq: number | undefined, metrics: UMetric[]): void {
    if (seq !== undefined) this.fail('tck-id-payloads-ndeath-seq', 'NDEATH carries a seq');
    if (metrics.length !== 1 || metrics[0]?.name !== 'bdSeq')
      this.fail('tck-id-topics-ndeath-payload', `NDEATH metrics: ${metrics.map((m) => m.name).join(', ')}`);
    if (msg.qos !== 1) this.fail('tck-id-payloads-ndeath-will-message-qos', `NDEATH QoS ${msg.qos}`);
    const bdSeq = num(metrics[0]?.value);
    // A will from a connection that never published a birth (host offline, refused) has its own bdSeq; only a death after a birth must match it.
    if (!this.sawDeathSinceBirth && this.inSession && bdSeq !== this.lastBirthBdSeq)
      this.fail('tck-id-payloads-ndeath-bdseq', `NDEATH bdSeq ${bdSeq}, NBIRTH had ${this.lastBirthBdSeq}`);
    if (this.inSession) this.sawDeathSinceBirth = true;
    this.inSession = false;
    this.liveDevices.clear();
  }
}
