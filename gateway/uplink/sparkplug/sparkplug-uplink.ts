import type { Logger } from 'pino';
import type { BatchingConfig, PlatformConfig } from '../../config/schema/gateway-config.js';
import type { TypedBus } from '../../core/bus.js';
import type { Clock } from '../../core/clock.js';
import type { DeviceState, DeviceStatus, Mode, Reading } from '../../core/model.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { Outbox, StoredEvent, TelemetryBatch } from '../../outbox/outbox.js';
import type { GatewayBusEvents } from '../../pipeline/bus-events.js';
import { EVENT_METRICS, LastValues, MetricCatalog, type MetricType, NODE_METRICS, NODE_SCOPE, typeOf } from './metric-catalog.js';
import { LanePump } from '../lane-pump.js';
import { PlatformConnection } from '../platform-connection.js';
import { encodePayload, qualityProperty, type UMetric } from './sparkplug-payloads.js';
import { SparkplugCommands } from './sparkplug-commands.js';
import { SparkplugTopics } from './sparkplug-topics.js';

export interface SparkplugUplinkOptions {
  gateway: string;
  site: string;
  version: string;
  platform: PlatformConfig;
  password?: string;
  outbox: Outbox;
  batching: () => BatchingConfig;
  mode: () => Mode;
  devices: () => DeviceState[];
  /** A configured device's kind and point names (undefined for zones and other virtual devices). */
  deviceConfig: (id: string) => { kind: string; points: ReadonlyArray<{ name: string }> } | undefined;
  /** Zone ids: each is the virtual device `zone.{id}` (occupancy, inflow, outflow). */
  zones: () => string[];
  /** write-point with its checks (writable, limits, device online). */
  writePoint: (device: string, point: string, value: number | boolean | string) => Promise<void>;
  /** Durable key-value state (the bdSeq survives restarts). */
  store: { get<T>(key: string): T | undefined; set(key: string, value: unknown): void };
  bus: TypedBus<GatewayBusEvents>;
  metrics: GatewayMetrics;
  clock: Clock;
  log: Logger;
}

const ZONE_POINTS = ['occupancy', 'inflow', 'outflow'];
const BDSEQ_KEY = 'sparkplug.bdSeq';

/**
 * gridgate as a Sparkplug B 3.0 Edge Node (docs/sparkplug.md): the gateway is the node, each
 * device (and each zone) a Sparkplug device. Births carry current values; the outbox's two lanes
 * become DDATA/NDATA through the shared LanePump (this class is its sink: the Sparkplug encoder),
 * flagged is_historical when older than the birth. The MQTT session is the shared
 * PlatformConnection with Sparkplug's session rules (clean session, NDEATH will, retain false).
 */
export class SparkplugUplink {
  readonly topics: SparkplugTopics;
  private readonly connection: PlatformConnection;
  private readonly reader: LanePump;
  private readonly commands: SparkplugCommands;
  private readonly catalog = new MetricCatalog();
  private readonly last = new LastValues();
  private readonly bornDevices = new Set<string>();
  private readonly birthMs = new Map<string, number>();
  private readonly status_ = new Map<string, DeviceStatus>();
  private readonly qos: 0 | 1;
  private bdSeq = 0;
  private seq = 0;
  private born = false;
  private session = 0;
  private hostOnline = false;
  private hostTs = Number.NEGATIVE_INFINITY;
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly o: SparkplugUplinkOptions) {
    const sp = o.platform.sparkplug;
    this.qos = sp.qos;
    this.topics = new SparkplugTopics(sp.groupId ?? o.site, sp.edgeNodeId ?? o.gateway);
    this.connection = new PlatformConnection({
      config: o.platform,
      name: 'sparkplug',
      // [tck-id-principles-persistence-clean-session-311]; [tck-id-payloads-ndeath-will-message-retain]
      session: { clean: true, willRetain: false },
      clientId: `${this.topics.group}.${this.topics.node}`,
      password: o.password,
      will: () => {
        // [tck-id-topics-nbirth-bdseq-increment]: +1 on every CONNECT, 0 after 255; kept on disk so a restart moves on too.
        const previous = o.store.get<number>(BDSEQ_KEY);
        this.bdSeq = previous === undefined ? 0 : (previous + 1) % 256;
        o.store.set(BDSEQ_KEY, this.bdSeq);
        return { topic: this.topics.nodeTopic('NDEATH'), payload: this.deathPayload() };
      },
      log: o.log,
      now: () => o.clock.now(),
    });
    this.reader = new LanePump({
      outbox: o.outbox,
      name: 'sparkplug',
      sink: { sendEvent: (e) => this.sendEvent(e), sendBatch: (b) => this.sendBatch(b) },
      batching: o.batching,
      windows: o.platform.inflight,
      metrics: o.metrics,
      log: o.log,
    });
    this.commands = new SparkplugCommands({
      catalog: this.catalog,
      writePoint: o.writePoint,
      rebirth: () => {
        if (this.born) this.birth(false);
      },
      metrics: o.metrics,
      log: o.log,
    });
  }

  start(): void {
    // Current values for births, whatever the backlog still holds.
    this.unsubscribe.push(
      this.o.bus.on('readings', (rs) => {
        for (const r of rs) this.last.set(r.device, r.point, r.value, Date.parse(r.ts));
      }),
    );
    this.reader.start();
    this.connection.start({
      up: (generation) => void this.onConnected(generation),
      down: () => this.onDown(),
      message: (topic, payload) => this.onMessage(topic, payload),
    });
  }

  async stop(timeoutMs = 2000): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    this.reader.stop();
    this.born = false;
    // [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath]: NDEATH (QoS 1, retain false), then DISCONNECT.
    await this.connection.stop({ topic: this.topics.nodeTopic('NDEATH'), payload: this.deathPayload() }, timeoutMs);
  }

  get status() {
    return this.connection.state;
  }

  get delivered(): number {
    return this.reader.delivered;
  }

  /** Device went online: DBIRTH; went offline, error or disabled: DDEATH. */
  deviceState(state: DeviceState): void {
    this.status_.set(state.device, state.status);
    if (!this.born) return;
    if (state.status === 'online' && !this.bornDevices.has(state.device)) void this.deviceBirth(state.device).catch(() => {});
    else if (state.status !== 'online' && this.bornDevices.has(state.device)) void this.deviceDeath(state.device).catch(() => {});
  }

  /** A device removed from the configuration: its DDEATH, so the host stops showing it as alive. */
  deviceRemoved(device: string): void {
    this.status_.delete(device);
    if (this.bornDevices.has(device)) void this.deviceDeath(device).catch(() => {});
  }

  /** The mode travels as `mode.changed` events and `Node Info/Mode`; nothing to do here. */
  publishState(): void {}

  /** The `resync` of this profile: a complete new birth sequence. */
  resync(): number {
    if (this.born) this.birth(false);
    return this.o.devices().length;
  }

  private async onConnected(generation: number): Promise<void> {
    const filters = [this.topics.nodeTopic('NCMD'), this.topics.dcmdFilter];
    const host = this.o.platform.sparkplug.primaryHostId;
    if (host) filters.push(SparkplugTopics.state(host));
    try {
      await this.connection.subscribe(filters);
    } catch (err) {
      this.o.log.error({ err, filters }, 'sparkplug subscription failed');
    }
    // The session may have ended while subscribing: its births would go nowhere.
    if (generation !== this.connection.currentGeneration || !this.connection.state.connected) return;
    this.o.metrics.uplinkConnected.set(1);
    this.o.metrics.uplinkConnects.inc();
    // [tck-id-message-flow-edge-node-birth-publish-phid-wait]: with a primary host, the birth waits for its STATE online=true.
    if (!host) this.birth(true);
    else if (this.hostOnline && !this.born) this.birth(true);
  }

  private onDown(): void {
    this.born = false;
    this.bornDevices.clear();
    this.reader.disconnected();
    this.o.metrics.uplinkConnected.set(0);
  }

  /** NBIRTH (seq 0) then a DBIRTH for every live device, then data may flow. */
  private birth(newSession: boolean): void {
    this.born = true;
    this.session++;
    this.seq = 0;
    this.bornDevices.clear();
    const now = this.o.clock.now();
    const defs = this.catalog.declare(NODE_SCOPE, NODE_METRICS);
    this.birthMs.set(NODE_SCOPE, now);
    const values: Record<string, unknown> = {
      bdSeq: this.bdSeq,
      'Node Control/Rebirth': false,
      'Node Info/Version': this.o.version,
      'Node Info/Site': this.o.site,
      'Node Info/Mode': this.o.mode(),
    };
    const metrics = defs.map((d) => this.birthMetric(NODE_SCOPE, d.name, d.alias, d.type, d.name in values ? values[d.name] : undefined, now));
    this.send(this.topics.nodeTopic('NBIRTH'), metrics, now).catch(() => {});
    for (const d of this.o.devices()) this.status_.set(d.device, d.status);
    for (const [device, status] of this.status_) if (status === 'online') void this.deviceBirth(device).catch(() => {});
    for (const zone of this.o.zones()) void this.deviceBirth(`zone.${zone}`).catch(() => {});
    for (const scope of this.last.scopesSeen())
      if (scope !== NODE_SCOPE && !this.isConfigured(scope) && !this.bornDevices.has(scope)) void this.deviceBirth(scope).catch(() => {});
    this.o.log.info({ bdSeq: this.bdSeq, devices: this.bornDevices.size, newSession }, 'sparkplug birth published');
    if (newSession) this.reader.connected(this.session);
  }

  private deviceBirth(device: string): Promise<void> {
    const now = this.o.clock.now();
    const config = this.o.deviceConfig(device);
    const metrics = new Map<string, MetricType>();
    const points = config ? config.points.map((p) => p.name) : device.startsWith('zone.') ? ZONE_POINTS : [];
    for (const name of [...points, ...this.last.names(device)]) {
      if (metrics.has(name) || name.startsWith('Event/')) continue;
      metrics.set(name, typeOf(this.last.get(device, name)?.value) ?? 'Double');
    }
    metrics.set('Device Info/Kind', 'String');
    for (const [name, type] of EVENT_METRICS) metrics.set(name, type);
    const defs = this.catalog.declare(device, metrics);
    this.bornDevices.add(device);
    this.birthMs.set(device, now);
    const kind = config?.kind ?? (device.startsWith('zone.') ? 'zone' : 'other');
    const payload = defs.map((d) => this.birthMetric(device, d.name, d.alias, d.type, d.name === 'Device Info/Kind' ? kind : undefined, now));
    return this.send(this.topics.deviceTopic('DBIRTH', device), payload, now);
  }

  private deviceDeath(device: string): Promise<void> {
    this.bornDevices.delete(device);
    return this.send(this.topics.deviceTopic('DDEATH', device), [], this.o.clock.now());
  }

  /** A birth metric: name, alias, datatype and current value, or is_null ([tck-id-operational-behavior-data-publish-dbirth-values]). */
  private birthMetric(scope: string, name: string, alias: number, type: MetricType, given: unknown, now: number): UMetric {
    const last = given === undefined ? this.last.get(scope, name) : undefined;
    const value = given !== undefined ? given : type === 'Bytes' ? null : (last?.value ?? null);
    return { name, alias, type, value: value as UMetric['value'], timestamp: last?.ms ?? now };
  }

  /** Every message but NDEATH carries the next seq, 0..255 ([tck-id-payloads-sequence-num-incrementing]). */
  private send(topic: string, metrics: UMetric[], now: number): Promise<void> {
    const seq = this.seq;
    this.seq = (this.seq + 1) % 256;
    const bytes = encodePayload({ timestamp: now, seq, metrics });
    return this.connection.publish(topic, bytes, { qos: this.qos });
  }

  private deathPayload(): Buffer {
    const now = this.o.clock.now();
    // [tck-id-topics-ndeath-payload]: only bdSeq; [tck-id-payloads-ndeath-seq]: no seq.
    return Buffer.from(encodePayload({ timestamp: now, metrics: [{ name: 'bdSeq', type: 'Int64', value: this.bdSeq, timestamp: now }] }));
  }

  private isConfigured(device: string): boolean {
    return this.o.deviceConfig(device) !== undefined;
  }

  // ---- the outbox lanes ----

  private sendEvent(stored: StoredEvent): Promise<void> {
    if (!this.born) return Promise.reject(new Error('no sparkplug session'));
    const e = JSON.parse(stored.payload) as {
      id: string;
      seq: number;
      ts: string;
      type: string;
      state: string;
      severity: string;
      message?: string;
      source?: { device?: string; zone?: string };
      data?: Record<string, unknown>;
    };
    const device = e.source?.device;
    const zone = e.source?.zone ? `zone.${e.source.zone}` : undefined;
    const scope = device && this.bornDevices.has(device) ? device : zone && this.bornDevices.has(zone) ? zone : NODE_SCOPE;
    const ms = Date.parse(e.ts);
    const values: Array<[string, unknown]> = [
      ['Event/Id', e.id],
      ['Event/Seq', e.seq],
      ['Event/Type', e.type],
      ['Event/State', e.state],
      ['Event/Severity', e.severity],
      ['Event/Message', e.message ?? null],
      ['Event/JSON', stored.payload],
    ];
    if (stored.snapshot) values.push(['Event/Snapshot', new Uint8Array(stored.snapshot)]);
    if (scope === NODE_SCOPE && e.type === 'mode.changed' && typeof e.data?.mode === 'string') values.push(['Node Info/Mode', e.data.mode]);
    const historical = ms < (this.birthMs.get(scope) ?? 0);
    const metrics = values.map(([name, value]) => {
      const def = this.catalog.get(scope, name)!;
      if (!historical && name !== 'Event/Snapshot') this.last.set(scope, name, value as string, ms);
      return { alias: def.alias, type: def.type, value: value as UMetric['value'], timestamp: ms, ...(historical ? { isHistorical: true } : {}) };
    });
    const topic = scope === NODE_SCOPE ? this.topics.nodeTopic('NDATA') : this.topics.deviceTopic('DDATA', scope);
    return this.send(topic, metrics, this.o.clock.now());
  }

  private sendBatch(batch: TelemetryBatch): Promise<void> {
    if (!this.born) return Promise.reject(new Error('no sparkplug session'));
    const byDevice = new Map<string, Reading[]>();
    // Each entry is a run of readings: their JSON objects joined by commas (TelemetryBatch).
    for (const run of batch.readings) {
      for (const r of JSON.parse(`[${run}]`) as Reading[]) {
        const list = byDevice.get(r.device);
        if (list) list.push(r);
        else byDevice.set(r.device, [r]);
      }
    }
    const sent: Promise<void>[] = [];
    for (const [device, readings] of byDevice) sent.push(...this.sendReadings(device, readings));
    return Promise.all(sent).then(() => {});
  }

  private sendReadings(device: string, readings: Reading[]): Promise<void>[] {
    const out: Promise<void>[] = [];
    const dead = this.isConfigured(device) && this.status_.get(device) !== 'online';
    let list = readings;
    if (dead) {
      // A value-less reading of a dead device says no more than its DDEATH did (docs/sparkplug.md).
      list = readings.filter((r) => r.value !== null);
      if (list.length < readings.length) this.o.log.debug({ device, skipped: readings.length - list.length }, 'value-less readings of a dead device not sent');
      if (list.length === 0) return out;
    }
    const needsBirth = !this.bornDevices.has(device) || list.some((r) => !this.catalog.fits(device, r.point, r.value));
    if (needsBirth) {
      // A new point or a changed datatype: the device is born again with it ([tck-id-topics-dbirth-metric-reqs]).
      for (const r of list) if (!this.last.get(device, r.point)) this.last.set(device, r.point, r.value, Date.parse(r.ts));
      out.push(this.deviceBirth(device));
    }
    const since = this.birthMs.get(device) ?? 0;
    const sorted = [...list].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    const metrics = sorted.map((r): UMetric => {
      const ms = Date.parse(r.ts);
      const def = this.catalog.get(device, r.point)!;
      const properties = qualityProperty(r.quality);
      return {
        alias: def.alias,
        type: def.type,
        value: r.value,
        timestamp: ms,
        ...(ms < since ? { isHistorical: true } : {}),
        ...(properties ? { properties } : {}),
      };
    });
    out.push(this.send(this.topics.deviceTopic('DDATA', device), metrics, this.o.clock.now()));
    if (dead) out.push(this.deviceDeath(device));
    return out;
  }

  // ---- from the host ----

  private onMessage(topic: string, payload: Buffer): void {
    const host = this.o.platform.sparkplug.primaryHostId;
    if (host && topic === SparkplugTopics.state(host)) {
      this.onHostState(payload);
      return;
    }
    const target = this.topics.parseCommand(topic);
    if (target) this.commands.handle(target, topic, payload);
  }

  /** STATE of the Primary Host Application: `{"online": bool, "timestamp": ms}` (Sparkplug 3.0 §4.3). */
  private onHostState(payload: Buffer): void {
    let state: { online?: unknown; timestamp?: unknown };
    try {
      state = JSON.parse(payload.toString('utf8')) as typeof state;
    } catch {
      this.o.log.warn({ bytes: payload.length }, 'primary host STATE is not JSON: ignored');
      return;
    }
    if (typeof state?.online !== 'boolean' || typeof state.timestamp !== 'number') {
      this.o.log.warn('primary host STATE lacks online or timestamp: ignored');
      return;
    }
    // [tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp], [tck-id-operational-behavior-edge-node-termination-host-offline-timestamp]
    if (state.timestamp < this.hostTs) return;
    this.hostTs = state.timestamp;
    this.hostOnline = state.online;
    this.o.log.info({ online: state.online }, 'primary host state');
    if (state.online && !this.born && this.connection.state.connected) this.birth(true);
    else if (!state.online && this.born) {
      // [tck-id-message-flow-edge-node-birth-publish-phid-offline]: NDEATH, then disconnect; the backlog waits in the outbox.
      this.born = false;
      this.reader.disconnected();
      void this.connection
        .publish(this.topics.nodeTopic('NDEATH'), this.deathPayload(), { qos: 1 })
        .catch(() => {})
        .finally(() => this.connection.drop('primary host offline'));
    }
  }
}
