import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/mosquitto.js';
import { PersistentMosquitto } from '../helpers/persistent-mosquitto.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FLEET = Array.from({ length: 10 }, (_, i) => ({ site: i < 5 ? 'site-a' : 'site-b', gateway: `gw-${String(i + 1).padStart(2, '0')}` }));
const WAIT = { timeout: 240_000, interval: 250 };

/** Event and telemetry seq seen per gateway, by a platform client with a persistent session. */
class LaneRecorder {
  readonly lanes = new Map<string, { events: Set<number>; telemetry: Set<number> }>();
  private client: MqttClient | undefined;
  async start(url: string): Promise<void> {
    this.client = mqtt.connect(url, { clientId: 'fleet-platform', clean: false, reconnectPeriod: 200 });
    this.client.on('message', (topic, payload) => {
      const [, , site, gateway, lane] = topic.split('/');
      const key = `${site}/${gateway}`;
      const entry = this.lanes.get(key) ?? { events: new Set<number>(), telemetry: new Set<number>() };
      this.lanes.set(key, entry);
      const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
      (lane === 'events' ? entry.events : entry.telemetry).add(seq);
    });
    await new Promise<void>((ok) => this.client!.once('connect', () => ok()));
    await this.client.subscribeAsync(['gridgate/v1/+/+/events', 'gridgate/v1/+/+/telemetry'], { qos: 1 });
  }
  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }
  max(key: string, lane: 'events' | 'telemetry'): number {
    return Math.max(0, ...(this.lanes.get(key)?.[lane] ?? []));
  }
  /** Seqs missing between 1 and the highest seen. */
  gaps(key: string, lane: 'events' | 'telemetry'): number[] {
    const seen = this.lanes.get(key)?.[lane] ?? new Set<number>();
    const out: number[] = [];
    for (let s = 1; s <= this.max(key, lane); s++) if (!seen.has(s)) out.push(s);
    return out;
  }
}

/** Highest event seq the gateway's outbox has accepted (0 if none yet). */
function acceptedEvents(db: string): number {
  if (!existsSync(db)) return 0;
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT max(seq) FROM events').pluck().get() as number | null) ?? 0;
  } finally {
    d.close();
  }
}

describe('many gateways, one broker', () => {
  const tmp = tempDir();
  let broker: PersistentMosquitto;
  const recorder = new LaneRecorder();
  const gateways: GatewayProcess[] = [];
  let tail: ChildProcess | undefined;

  afterAll(async () => {
    tail?.kill('SIGKILL');
    await Promise.all(gateways.map((g) => g.kill('SIGKILL')));
    await recorder.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('10 gateways at two sites keep every lane gap-free through a broker restart; tail --fleet shows one line each', async () => {
    broker = new PersistentMosquitto(join(tmp.dir, 'broker'), await freePort());
    await broker.start();
    await recorder.start(broker.url);
    for (const { site, gateway } of FLEET) {
      const dataDir = join(tmp.dir, gateway, 'data');
      const dir = join(tmp.dir, gateway);
      mkdirSync(dir, { recursive: true });
      const base = testConfig(broker.url, dataDir);
      const g = new GatewayProcess(dir, {
        ...base,
        gateway,
        site,
        batching: { maxReadings: 100, maxDelayMs: 200 },
        devices: [
          {
            id: `${gateway}-env`,
            kind: 'other',
            driver: 'synthetic',
            intervalMs: 250,
            points: [{ name: 'temperature', unit: 'Cel', wave: 'sine', min: 0, max: 30 }],
            events: [{ type: 'crowd.density', everyMs: 500, severity: 'minor' }],
          },
        ],
      });
      g.start();
      gateways.push(g);
    }
    const keys = FLEET.map((f) => `${f.site}/${f.gateway}`);
    await vi
      .waitFor(() => {
        for (const k of keys) expect([k, recorder.max(k, 'events') >= 3 && recorder.max(k, 'telemetry') >= 3]).toEqual([k, true]);
      }, WAIT)
      .catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n${gateways.map((g, i) => `${FLEET[i]!.gateway}: ${g.output.slice(-500)}`).join('\n')}`);
      });

    // The fleet view: one line per gateway from the retained states.
    tail = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'tail', '--fleet', '--url', broker.url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    tail.stdout?.on('data', (d) => {
      out += String(d);
    });
    await vi.waitFor(() => expect(out).toContain('10 gateways at 2 site(s): 10 online, 0 offline'), WAIT);
    const block = out.slice(out.lastIndexOf('--- fleet')).split('\n');
    for (const k of keys)
      expect(block.filter((l) => l.startsWith(k) && /ONLINE\s+mode=normal\s+devices=\d\/1\s+backlog=\d+ ev \d+ rd/.test(l))).toHaveLength(1);
    tail.kill('SIGTERM');

    // Broker restart: data piles up in every outbox meanwhile, then goes out in order.
    const before = new Map(keys.map((k) => [k, recorder.max(k, 'events')]));
    await broker.stop();
    const dbs = FLEET.map((f) => join(tmp.dir, f.gateway, 'data', 'gridgate.db'));
    const target = new Map<string, number>();
    await vi.waitFor(() => {
      dbs.forEach((db, i) => {
        const k = keys[i]!;
        target.set(k, acceptedEvents(db));
        expect([k, target.get(k)! > before.get(k)! + 2]).toEqual([k, true]);
      });
    }, WAIT);
    await broker.start();
    await vi.waitFor(() => {
      for (const k of keys) expect([k, recorder.max(k, 'events') >= target.get(k)!, recorder.max(k, 'telemetry') > 3]).toEqual([k, true, true]);
    }, WAIT);
    for (const k of keys) {
      expect([k, recorder.gaps(k, 'events')]).toEqual([k, []]);
      expect([k, recorder.gaps(k, 'telemetry')]).toEqual([k, []]);
    }
  }, 900_000);
});
