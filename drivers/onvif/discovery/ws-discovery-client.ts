import dgram from 'node:dgram';
import os from 'node:os';
import type { Logger } from 'pino';
import type { DiscoveredDevice } from '../../../gateway/devices/driver.js';
import { sleep } from '../backoff.js';
import { OnvifError } from '../transport/onvif-error.js';
import { parseProbeMatches, probeMessage, WSD_MULTICAST_ADDRESS, WSD_PORT } from './probe-messages.js';

export interface WsDiscoveryOptions {
  /**
   * Local IPv4 addresses to probe from, one socket each, multicast sent out of that interface
   * (IP_MULTICAST_IF). Default: every non-internal IPv4 interface.
   */
  interfaces?: string[];
  /** Send multicast probes (default true). Off: only unicast targets are probed. */
  multicast?: boolean;
  multicastAddress?: string;
  port?: number;
  /** Probed by unicast: cameras on other subnets that multicast cannot reach ("add by address"). */
  unicastTargets?: Array<{ host: string; port?: number }>;
  /** Probes per target. SOAP-over-UDP Appendix I: MULTICAST_UDP_REPEAT = 2 (i.e. sent 3 times). */
  repeats?: number;
  /** The first repeat waits 50..250 ms, then doubling (SOAP-over-UDP Appendix I, UDP_MIN/MAX_DELAY). */
  random?: () => number;
}

/** Offers ONVIF devices found by WS-Discovery. Never adds them: the core decides. */
export async function discover(options: WsDiscoveryOptions, timeoutMs: number, log: Logger, signal?: AbortSignal): Promise<DiscoveredDevice[]> {
  const random = options.random ?? Math.random;
  const port = options.port ?? WSD_PORT;
  const group = options.multicastAddress ?? WSD_MULTICAST_ADDRESS;
  const ifaces = options.interfaces ?? localIpv4();
  const probe = probeMessage();
  const found = new Map<string, { xaddrs: Set<string>; scopes: Set<string>; types: Set<string>; via: Set<string> }>();
  const sockets: dgram.Socket[] = [];
  try {
    for (const iface of ifaces) {
      const sock = dgram.createSocket({ type: 'udp4' });
      sock.on('message', (msg, rinfo) => {
        let parsed: ReturnType<typeof parseProbeMatches>;
        try {
          parsed = parseProbeMatches(msg, `${rinfo.address}:${rinfo.port}`);
        } catch (err) {
          log.debug({ err, from: rinfo.address }, 'ignored a malformed WS-Discovery datagram');
          return;
        }
        // Only answers to our own probe (WS-Discovery §5.3 RelatesTo).
        if (!parsed || parsed.relatesTo !== probe.id) return;
        for (const m of parsed.matches) {
          // Merged by endpoint reference: a camera seen on two interfaces or twice is one device.
          const entry = found.get(m.endpoint) ?? { xaddrs: new Set(), scopes: new Set(), types: new Set(), via: new Set() };
          for (const x of m.xaddrs) entry.xaddrs.add(x);
          for (const s of m.scopes) entry.scopes.add(s);
          for (const t of m.types) entry.types.add(t);
          entry.via.add(iface);
          found.set(m.endpoint, entry);
        }
      });
      sock.on('error', (err) => log.debug({ err, iface }, 'WS-Discovery socket error'));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind({ address: iface, port: 0 }, () => {
          sock.off('error', reject);
          resolve();
        });
      }).catch((err) => {
        throw new OnvifError('E_ONVIF_DISCOVERY', `cannot open a WS-Discovery socket on ${iface}`, { cause: err });
      });
      if (options.multicast !== false) {
        sock.setMulticastInterface(iface);
        // SOAP-over-UDP §4: multicast TTL 1 (link-local); discovery must not leave the subnet.
        sock.setMulticastTTL(1);
      }
      sockets.push(sock);
    }
    const targets: Array<{ host: string; port: number }> = [
      ...(options.multicast !== false ? [{ host: group, port }] : []),
      ...(options.unicastTargets ?? []).map((t) => ({ host: t.host, port: t.port ?? WSD_PORT })),
    ];
    const deadline = Date.now() + timeoutMs;
    const repeats = options.repeats ?? 3;
    const buf = Buffer.from(probe.xml);
    let delay = 50 + random() * 200;
    for (let i = 0; i < repeats && !signal?.aborted && Date.now() < deadline; i++) {
      for (const sock of sockets) {
        for (const t of targets) sock.send(buf, t.port, t.host, (err) => err && log.debug({ err, target: t.host }, 'WS-Discovery send failed'));
      }
      if (i < repeats - 1) {
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
        delay = Math.min(delay * 2, 500);
      }
    }
    await sleep(Math.max(0, deadline - Date.now()), signal);
  } finally {
    for (const s of sockets) s.close();
  }
  return [...found].map(([endpoint, e]) => {
    const scopes = [...e.scopes];
    const scope = (kind: string) => {
      const s = scopes.find((x) => x.startsWith(`onvif://www.onvif.org/${kind}/`));
      return s ? decodeURIComponent(s.slice(`onvif://www.onvif.org/${kind}/`.length)).replace(/_/g, ' ') : undefined;
    };
    const xaddrs = [...e.xaddrs];
    return {
      driver: 'onvif',
      identity: endpoint,
      address: xaddrs[0] ?? '',
      name: scope('name'),
      model: scope('hardware'),
      meta: { xaddrs, scopes, types: [...e.types], via: [...e.via] },
    };
  });
}

function localIpv4(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}
