import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { NS } from '../../drivers/onvif/soap/namespaces.js';
import { parseXml } from '../../drivers/onvif/xml/safe-xml.js';
import { child, type XmlElement } from '../../drivers/onvif/xml/xml-element.js';
import { testCardJpeg } from './jpeg-encoder.js';
import { PullPointStore } from './pull-point-store.js';
import { deviceService, PRE_AUTH_OPERATIONS } from './services/device-service.js';
import { eventsService, subscriptionService } from './services/events-service.js';
import { media2Service, mediaService } from './services/media-service.js';
import { DigestVerifier, UsernameTokenVerifier } from './sim-auth.js';
import { malformedBody, NO_FAULTS, type SimFaults } from './sim-faults.js';
import type { ServiceCamera, SimCameraOptions, SimCounters } from './camera-shape.js';
import { propertyKey, type SimNotification } from './sim-notification.js';
import { envelope, notAuthorized, SimSoapFault } from './sim-soap.js';

/**
 * One simulated ONVIF device (camera or NVR) on its own HTTP port: Device, Media, Media2 and
 * Events services, UsernameToken and Digest auth on a skewable clock, digest-protected JPEG
 * snapshots, and fault injection. Constructor only assigns; `start()` listens.
 */
export type { SimCameraOptions } from './camera-shape.js';

export class SimCamera implements ServiceCamera {
  readonly store: PullPointStore;
  readonly properties = new Map<string, SimNotification>();
  readonly counters: SimCounters = {
    requests: 0,
    authFailures: 0,
    subscriptions: 0,
    pulls: 0,
    delivered: 0,
    renewals: 0,
    unsubscribes: 0,
    emitted: 0,
    snapshots: 0,
    snapshotRequests: 0,
  };
  readonly uuid: string;
  readonly serial: string;
  faults: SimFaults = { ...NO_FAULTS };
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort: number;
  private readonly tokens: UsernameTokenVerifier;
  private readonly digest: DigestVerifier;
  private readonly jpegs = new Map<number, Buffer>();

  constructor(readonly o: SimCameraOptions) {
    this.uuid = o.uuid ?? `urn:uuid:${randomUUID()}`;
    this.serial = `SIM-${o.id.toUpperCase()}`;
    this.boundPort = o.port;
    this.store = new PullPointStore(() => this.deviceNow(), o.maxPullPoints);
    this.tokens = new UsernameTokenVerifier(
      o.credentials,
      () => this.deviceNow(),
      () => o.tokenWindowMs,
    );
    this.digest = new DigestVerifier(o.credentials, `gridgate-sim-${o.id}`);
  }

  get port(): number {
    return this.boundPort;
  }
  get baseUrl(): string {
    return `http://${this.o.host}:${this.boundPort}`;
  }
  get url(): string {
    return `${this.baseUrl}/onvif/device_service`;
  }
  get scopes(): string[] {
    return [
      'onvif://www.onvif.org/type/video_encoder',
      'onvif://www.onvif.org/Profile/Streaming',
      `onvif://www.onvif.org/hardware/${encodeURIComponent(this.o.model)}`,
      `onvif://www.onvif.org/name/${encodeURIComponent(this.o.id)}`,
      `onvif://www.onvif.org/location/${encodeURIComponent(this.o.location ?? 'sim')}`,
    ];
  }

  /** The simulated device clock (local time + the clock-skew fault). */
  deviceNow(): number {
    return Date.now() + this.faults.clockSkewMs;
  }

  /** The topic-namespace prefix this camera writes. */
  readonly prefixFor = (ns: string): string => (ns === NS.tns1 ? this.o.topicPrefix : ns.includes('axis.com') ? 'tnsaxis' : 'vnd');

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    server.on('connection', (s) => {
      // Down (offline or unreachable): every connection is reset at once. The listener itself stays,
      // so the port is never released: on a busy machine another process could take it meanwhile.
      if (this.down) return void s.resetAndDestroy();
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
    this.store.sweep();
  }

  async stop(): Promise<void> {
    this.store.killAll();
    await this.closeListener();
  }

  /** Closes the listener and every connection; the pull-points stay (an outage, not a reboot). */
  private async closeListener(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private get down(): boolean {
    return this.faults.offline || this.faults.unreachable;
  }

  /**
   * Changes faults. While `offline` or `unreachable`, every connection is closed and new ones are
   * reset; `offline` is a restart (its pull-points are gone), `unreachable` keeps them queueing.
   */
  async setFaults(patch: Partial<SimFaults>): Promise<void> {
    const wasDown = this.down;
    const wasOffline = this.faults.offline;
    this.faults = { ...this.faults, ...patch };
    if (this.faults.offline && !wasOffline) this.store.killAll();
    if (!this.faults.hangPulls) this.store.unhang();
    if (this.down && !wasDown) for (const sock of this.sockets) sock.destroy();
  }

  /** Makes the camera unreachable for `ms` (connections closed and refused) while it keeps queueing events. */
  async blip(ms: number): Promise<void> {
    await this.setFaults({ unreachable: true });
    await new Promise((r) => setTimeout(r, ms));
    await this.setFaults({ unreachable: false });
  }

  /** Ends every subscription (a reboot or a firmware that drops pull-points). */
  killSubscriptions(): number {
    return this.store.killAll();
  }

  /** Raises a notification to all matching subscriptions; properties are remembered for resync. */
  emit(n: Omit<SimNotification, 'utcTime'> & { utcTime?: number }): void {
    const full: SimNotification = { ...n, utcTime: n.utcTime ?? this.deviceNow() };
    if (full.property) this.properties.set(propertyKey(full), full);
    this.counters.emitted += 1;
    if (this.faults.silentSubscriptions) return;
    this.store.publish(full);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.counters.requests += 1;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 256 * 1024) return void res.writeHead(413).end();
      chunks.push(c as Buffer);
    }
    if (this.faults.slowMs > 0) await new Promise((r) => setTimeout(r, this.faults.slowMs));
    if (!this.server || this.down) return void res.destroy();
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      if (req.method === 'GET' && url.pathname === '/onvif/snapshot') return this.snapshot(req, res, Number(url.searchParams.get('channel') ?? 1));
      if (req.method !== 'POST') return void res.writeHead(405).end();
      if (this.faults.malformed) return this.send(res, 200, malformedBody(this.faults.malformed));
      const doc = parseXml(Buffer.concat(chunks), 'client', 256 * 1024);
      const header = child(doc, NS.soap, 'Header');
      const op = child(doc, NS.soap, 'Body')?.children[0];
      if (!op) throw new SimSoapFault('Sender', ['ter:InvalidArgVal'], 'empty Body');
      if (!PRE_AUTH_OPERATIONS.has(op.local)) {
        const denied = this.authenticate(req, header);
        if (denied === 'challenge' || denied === 'stale') {
          this.counters.authFailures += 1;
          res.writeHead(401, { 'www-authenticate': this.digest.challenge(denied === 'stale'), 'content-type': 'text/plain' });
          return void res.end('Unauthorized');
        }
        if (denied) {
          this.counters.authFailures += 1;
          throw notAuthorized();
        }
      }
      const gone = () => !this.server || this.down || res.destroyed || req.socket.destroyed;
      const answer = envelope(await this.dispatch(url.pathname, op, gone));
      if (gone()) return void res.destroy();
      if (op.local === 'CreatePullPointSubscription' && this.faults.dropCreateAnswers > 0) {
        // The pull-point exists now, but its address never reaches the client.
        this.faults = { ...this.faults, dropCreateAnswers: this.faults.dropCreateAnswers - 1 };
        return void res.destroy();
      }
      this.send(res, 200, answer);
    } catch (err) {
      if (!this.server || this.down || res.destroyed) return void res.destroy();
      if (err instanceof SimSoapFault) return this.send(res, err.status, err.toXml());
      this.send(res, 400, new SimSoapFault('Sender', ['ter:InvalidArgVal'], err instanceof Error ? err.message : 'bad request').toXml());
    }
  }

  /** undefined = allowed; otherwise why not (ONVIF Core §5.12: UsernameToken and/or HTTP Digest). */
  private authenticate(req: http.IncomingMessage, header: XmlElement | undefined): 'challenge' | 'stale' | 'denied' | undefined {
    const mode = this.o.soapAuth;
    const d = mode === 'ws-security' ? 'absent' : this.digest.check(req);
    const t = mode === 'http-digest' ? 'absent' : this.tokens.check(header);
    let verdict: 'challenge' | 'stale' | 'denied' | undefined;
    if (mode === 'http-digest') verdict = d === 'ok' ? undefined : d === 'stale' ? 'stale' : 'challenge';
    else if (mode === 'ws-security') verdict = t === 'ok' ? undefined : 'denied';
    else if (d === 'ok' || t === 'ok') verdict = undefined;
    else if (t === 'bad') verdict = 'denied';
    else verdict = d === 'stale' ? 'stale' : 'challenge';
    if (verdict === undefined && this.faults.notAuthorized) return 'denied';
    return verdict;
  }

  private async dispatch(pathname: string, op: XmlElement, gone: () => boolean): Promise<string> {
    const arg = (local: string) => op.children.find((c) => c.local === local)?.text;
    const sub = /^\/onvif\/subscription\/(\d+)$/.exec(pathname);
    if (sub) return subscriptionService(this, op.local, op, Number(sub[1]), gone);
    switch (pathname) {
      case '/onvif/device_service':
        return deviceService(this, op.local);
      case '/onvif/media_service':
        return mediaService(this, op.local, arg);
      case '/onvif/media2_service':
        if (!this.o.media2) break;
        return media2Service(this, op.local, arg);
      case '/onvif/events_service':
        return eventsService(this, op.local, op);
    }
    throw new SimSoapFault('Sender', ['ter:InvalidArgVal'], `no service at ${pathname}`);
  }

  private snapshot(req: http.IncomingMessage, res: http.ServerResponse, channel: number): void {
    const d = this.digest.check(req);
    if (d !== 'ok' || this.faults.notAuthorized) {
      this.counters.authFailures += d === 'absent' ? 0 : 1;
      res.writeHead(401, { 'www-authenticate': this.digest.challenge(d === 'stale'), 'content-type': 'text/plain' });
      return void res.end('Unauthorized');
    }
    if (!Number.isInteger(channel) || channel < 1 || channel > this.o.channels) return void res.writeHead(404).end();
    this.counters.snapshotRequests += 1;
    // Left open: the connection ends when the client gives up or the camera stops.
    if (this.faults.hangSnapshots) return;
    let jpeg = this.jpegs.get(channel);
    if (!jpeg) {
      jpeg = testCardJpeg(Number.parseInt(this.o.id.replace(/\D/g, '') || '0', 10) + channel * 7, `gridgate-sim ${this.o.id} ch${channel}`);
      this.jpegs.set(channel, jpeg);
    }
    this.counters.snapshots += 1;
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    res.end(jpeg);
  }

  private send(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}
