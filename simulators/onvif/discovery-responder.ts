import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { parseProbe, probeMatchesMessage, WSD_MULTICAST_ADDRESS } from '../../drivers/onvif/discovery/probe-messages.js';
import { NS } from '../../drivers/onvif/soap/namespaces.js';
import type { SimCamera } from './sim-camera.js';

export interface DiscoveryResponderOptions {
  host: string;
  /** 3702 for real multicast discovery; 0 in tests (unicast probes to the chosen port). */
  port: number;
  /** Join 239.255.255.250 on this local interface address (only inside a test namespace or on loopback). */
  multicastInterface?: string;
  /** Answers wait a random 0..maxDelayMs (WS-Discovery §5.3 APP_MAX_DELAY = 500 ms) so replies do not collide. */
  maxDelayMs: number;
}

/**
 * Answers WS-Discovery Probes for every simulated camera with a unicast ProbeMatches to the
 * prober's address and port (WS-Discovery §5.3), one datagram per camera as separate devices would.
 */
export class DiscoveryResponder {
  private socket: dgram.Socket | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  probes = 0;

  constructor(
    private readonly o: DiscoveryResponderOptions,
    private readonly cameras: () => SimCamera[],
  ) {}

  get port(): number {
    return (this.socket?.address() as AddressInfo | undefined)?.port ?? 0;
  }

  async start(): Promise<void> {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('message', (msg, rinfo) => this.onProbe(msg, rinfo));
    sock.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ port: this.o.port, address: this.o.multicastInterface ? undefined : this.o.host }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    if (this.o.multicastInterface) sock.addMembership(WSD_MULTICAST_ADDRESS, this.o.multicastInterface);
    this.socket = sock;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private onProbe(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let probe: ReturnType<typeof parseProbe>;
    try {
      probe = parseProbe(msg, `${rinfo.address}:${rinfo.port}`);
    } catch {
      return;
    }
    if (!probe) return;
    this.probes += 1;
    // WS-Discovery §5.2: match when Types is empty or names a type we implement.
    const wanted = probe.types;
    const ours = [`{${NS.dn}}NetworkVideoTransmitter`, `{${NS.tds}}Device`];
    if (wanted.length && !wanted.some((t) => ours.includes(t))) return;
    for (const cam of this.cameras()) {
      if (cam.faults.offline) continue;
      const reply = Buffer.from(
        probeMatchesMessage(probe.messageId, {
          endpoint: cam.uuid,
          types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
          scopes: cam.scopes,
          xaddrs: [cam.url],
          metadataVersion: 1,
        }).replace('<s:Envelope ', `<s:Envelope xmlns:tds="${NS.tds}" `),
      );
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.socket?.send(reply, rinfo.port, rinfo.address);
      }, Math.random() * this.o.maxDelayMs);
      this.timers.add(t);
    }
  }
}
