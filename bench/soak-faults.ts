/** The faults of the compressed day: the platform link, camera flaps, Modbus line noise, UI config changes. */
import { createServer, type Server, type Socket, connect } from 'node:net';
import type { DemoSite } from '../simulators/demo-site.js';

/**
 * The gateway's uplink as a TCP relay in front of the platform broker. An outage cuts the
 * gateway's connections and refuses new ones (a dead uplink), while the platform's own
 * subscriber, connected to the broker directly, keeps listening: what the oracle sees is what
 * the gateway delivered, not an artefact of restarting the broker.
 */
export class LinkProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private down = false;
  port = 0;

  constructor(private readonly brokerPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((inbound) => {
      if (this.down) {
        inbound.destroy();
        return;
      }
      const outbound = connect(this.brokerPort, '127.0.0.1');
      const pair: [Socket, Socket] = [inbound, outbound];
      this.pairs.add(pair);
      const close = () => {
        inbound.destroy();
        outbound.destroy();
        this.pairs.delete(pair);
      };
      inbound.on('error', close).on('close', close);
      outbound.on('error', close).on('close', close);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Cuts every connection (RST) and refuses new ones until `restore`. */
  cut(): void {
    this.down = true;
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Cameras that flap: the art centre's (cam-013..cam-030), away from the square's crowd analytics. */
export const FLAP_CAMERAS = Array.from({ length: 18 }, (_, i) => `cam-${String(i + 13).padStart(3, '0')}`);
/** Cameras the marks are raised on (never flapped, never used by the background scenarios' crowd logic). */
export const MARK_CAMERAS = Array.from({ length: 10 }, (_, i) => `cam-${String(i + 80).padStart(3, '0')}`);

/** A camera flap: `unreachable` (cable blip, pull-points live on) or `offline` (the camera restarts). */
export async function cameraFlap(site: DemoSite, mode: 'unreachable' | 'offline', durationMs: number, during: (cams: string[]) => void): Promise<void> {
  await Promise.all(FLAP_CAMERAS.map((id) => site.cameras.setFaults(id, { [mode]: true })));
  during(FLAP_CAMERAS);
  await sleep(durationMs);
  await Promise.all(FLAP_CAMERAS.map((id) => site.cameras.setFaults(id, { [mode]: false })));
}

/** Line noise on one Modbus device: a burst of garbled, cut short or dropped answers. */
export async function modbusNoise(site: DemoSite, device: string, fault: 'garbled' | 'short' | 'drop', durationMs: number): Promise<void> {
  const d = site.modbus.device(device);
  // Noise comes in bursts of a few seconds, not as one solid block: on for 2 s, off for 3 s.
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    d.setFaults({ [fault]: true });
    await sleep(Math.min(2000, until - performance.now()));
    d.clearFaults();
    await sleep(Math.min(3000, Math.max(0, until - performance.now())));
  }
  d.clearFaults();
}

/**
 * A configuration change as a technician makes it: log in to the UI, read a device, save it with
 * another poll interval (PUT /api/ui/devices/:id with the session cookie and CSRF token). Returns
 * the HTTP status of the save (202: accepted, applied by the gateway) and how long the round took.
 */
export async function uiConfigChange(
  httpPort: number,
  user: string,
  password: string,
  device: string,
  intervalMs: number,
): Promise<{ status: number; ms: number; version?: number; applied?: string; error?: string }> {
  const base = `http://127.0.0.1:${httpPort}`;
  const t0 = performance.now();
  try {
    const login = await fetch(`${base}/api/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, password }),
    });
    if (login.status !== 200) return { status: login.status, ms: performance.now() - t0, error: `login ${login.status}: ${await login.text()}` };
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = (login.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
    const headers = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
    const got = await fetch(`${base}/api/ui/devices/${device}`, { headers });
    if (got.status !== 200) return { status: got.status, ms: performance.now() - t0, error: `read ${got.status}` };
    const { device: doc } = (await got.json()) as { device: Record<string, unknown> };
    const put = await fetch(`${base}/api/ui/devices/${device}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ device: { ...doc, intervalMs }, reason: `soak: poll every ${intervalMs} ms` }),
    });
    const body = (await put.json().catch(() => ({}))) as { version?: { version?: number }; error?: { message?: string } };
    // 202 means saved; the store applies it behind: wait (30 s at most) for the version's status.
    let status: string | undefined;
    for (let i = 0; i < 60 && put.status === 202; i++) {
      const cur = await fetch(`${base}/api/ui/config/current`, { headers });
      const v = ((await cur.json()) as { version?: { version?: number; status?: string } }).version;
      status = v?.version === body.version?.version ? v?.status : `superseded by ${v?.version}`;
      if (status === 'applied' || status === 'failed' || status?.startsWith('superseded')) break;
      await sleep(500);
    }
    await fetch(`${base}/api/ui/logout`, { method: 'POST', headers }).catch(() => {});
    return { status: put.status, ms: performance.now() - t0, version: body.version?.version, applied: status, error: body.error?.message };
  } catch (err) {
    return { status: 0, ms: performance.now() - t0, error: (err as Error).message };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
