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

/** What one discovery run probed, where, and what came back: shown when nothing answers. */
export interface DiscoveryReport {
  /** Local IPv4 addresses probes were sent from (one socket each). */
  interfaces: string[];
  /** Interfaces not used, and why (loopback-only hosts have no multicast-capable interface). */
  skipped: Array<{ name: string; address: string; reason: string }>;
  /** Where probes went: the multicast group and any unicast targets, `host:port`. */
  targets: string[];
  probesSent: number;
  /** ProbeMatches to our probe (before merging by endpoint). */
  answers: number;
  /** Datagrams ignored: malformed, or answers to someone else's probe. */
  ignored: number;
  devices: number;
  timeoutMs: number;
  /** Why nothing could be probed at all, when that is the case. */
  note?: string;
}

/** Offers ONVIF devices found by WS-Discovery. Never adds them: the core decides. */
export async function discover(options: WsDiscoveryOptions, timeoutMs: number, log: Logger, signal?: AbortSignal): Promise<DiscoveredDevice[]> {
  return (await discoverWithReport(options, timeoutMs, log, signal)).devices;
}

/** As `discover`, with a report of what was probed on which interfaces (logged once when nothing answers). */
export async function discoverWithReport(
  options: WsDiscoveryOptions,
  timeoutMs: number,
  log: Logger,
  signal?: AbortSignal,
): Promise<{ devices: DiscoveredDevice[]; report: DiscoveryReport }> {
  const random = options.random ?? Math.random;
  const port = options.port ?? WSD_PORT;
  const group = options.multicastAddress ?? WSD_MULTICAST_ADDRESS;
  const local = localIpv4();
  const ifaces = options.interfaces ?? local.usable;
  const report: DiscoveryReport = {
    interfaces: [...ifaces],
    skipped: options.interfaces ? [] : local.skipped,
    targets: [],
    probesSent: 0,
    answers: 0,
    ignored: 0,
    devices: 0,
    timeoutMs,
  };
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
          report.ignored += 1;
          return;
        }
        // Only answers to our own probe (WS-Discovery §5.3 RelatesTo).
        if (!parsed || parsed.relatesTo !== probe.id) {
          report.ignored += 1;
          return;
        }
        report.answers += 1;
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
    report.targets = targets.map((t) => `${t.host}:${t.port}`);
    if (sockets.length === 0) report.note = 'no usable IPv4 interface (only loopback or none): nothing was probed; give unicastTargets or interfaces';
    else if (targets.length === 0) report.note = 'multicast is off and no unicast targets are configured: nothing was probed';
    // Monotonic: a wall-clock step must not end discovery early or stretch it.
    const deadline = performance.now() + timeoutMs;
    const repeats = options.repeats ?? 3;
    const buf = Buffer.from(probe.xml);
    let delay = 50 + random() * 200;
    for (let i = 0; i < repeats && !signal?.aborted && performance.now() < deadline; i++) {
      for (const sock of sockets) {
        for (const t of targets) {
          report.probesSent += 1;
          sock.send(buf, t.port, t.host, (err) => err && log.debug({ err, target: t.host }, 'WS-Discovery send failed'));
        }
      }
      if (i < repeats - 1) {
        await sleep(Math.min(delay, Math.max(0, deadline - performance.now())), signal);
        delay = Math.min(delay * 2, 500);
      }
    }
    await sleep(Math.max(0, deadline - performance.now()), signal);
  } finally {
    for (const s of sockets) s.close();
  }
  const devices = [...found].map(([endpoint, e]): DiscoveredDevice => {
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
  report.devices = devices.length;
  if (devices.length === 0) log.warn({ probed: report }, 'WS-Discovery: no ONVIF device answered');
  else log.info({ devices: devices.length, interfaces: report.interfaces }, 'WS-Discovery finished');
  return { devices, report };
}

function localIpv4(): { usable: string[]; skipped: DiscoveryReport['skipped'] } {
  const usable: string[] = [];
  const skipped: DiscoveryReport['skipped'] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4') skipped.push({ name, address: a.address, reason: `${a.family}: WS-Discovery probes IPv4 only` });
      else if (a.internal) skipped.push({ name, address: a.address, reason: 'loopback: cameras are not on it (add them by address, unicastTargets)' });
      else usable.push(a.address);
    }
  }
  return { usable, skipped };
}
