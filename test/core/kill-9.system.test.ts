import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';
import { type PlatformRecorder, startPlatform, type TestPlatform } from '../helpers/platform.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const KILLS = 4;
const WINDOW = { events: 32, telemetryBatches: 4, maxReadings: 200 };

/** The gateway as a real child process, as systemd runs it. */
function spawnGateway(configPath: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'run', '--config', configPath], {
    cwd: ROOT,
    // stderr shows a refused configuration in the test output.
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, GRIDGATE_LOG_LEVEL: 'error' },
  });
}

/** What the outbox holds right now: accepted, not yet acknowledged. */
function pendingIds(dbPath: string): { readings: string[]; events: string[] } {
  if (!existsSync(dbPath)) return { readings: [], events: [] };
  const db = new Database(dbPath, { readonly: true });
  try {
    // A row holds a run of readings: their JSON objects joined by commas.
    const rows = db.prepare('SELECT payload FROM readings').pluck().all() as string[];
    const readings = rows.flatMap((p) => (JSON.parse(`[${p}]`) as Array<{ id: string }>).map((r) => r.id));
    const events = db.prepare('SELECT id FROM events').pluck().all() as string[];
    return { readings, events };
  } finally {
    db.close();
  }
}

describe('kill -9 at any moment', () => {
  const tmp = tempDir();
  let site: TestPlatform;
  let platform: PlatformRecorder;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    child?.kill('SIGKILL');
    await site?.stop();
    tmp.cleanup();
  });

  it('loses nothing that was accepted, keeps seq without gaps, and duplicates at most the in-flight window', async () => {
    site = await startPlatform();
    platform = site.recorder;
    const config = testConfig(site.broker.url, join(tmp.dir, 'data'), {
      batching: { maxReadings: WINDOW.maxReadings, maxDelayMs: 20 },
      devices: [
        {
          id: 'fast-1',
          kind: 'other',
          driver: 'synthetic',
          intervalMs: 10,
          points: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, wave: 'random-walk', min: 0, max: 100 })),
          events: [{ type: 'motion', everyMs: 50 }],
        },
      ],
    });
    config.platform = {
      url: site.broker.url,
      reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
      inflight: { events: WINDOW.events, telemetryBatches: WINDOW.telemetryBatches },
    };
    const configPath = join(tmp.dir, 'gridgate.yaml');
    writeFileSync(configPath, stringify(config));
    const dbPath = join(tmp.dir, 'data', 'gridgate.db');

    const accepted = { readings: new Set<string>(), events: new Set<string>() };
    for (let kill = 0; kill < KILLS; kill++) {
      child = spawnGateway(configPath);
      const before = platform.readings().length;
      await platform.until(() => platform.readings().length > before + 300, 20_000, 'readings from the restarted gateway');
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // Accepted = already at the platform, or committed in the outbox at the moment of the kill.
      const pending = pendingIds(dbPath);
      for (const id of pending.readings) accepted.readings.add(id);
      for (const id of pending.events) accepted.events.add(id);
    }
    for (const r of platform.readings()) accepted.readings.add(r.id);
    for (const e of platform.events()) accepted.events.add(e.id);

    child = spawnGateway(configPath);
    const receivedReadings = () => new Set(platform.readings().map((r) => r.id));
    const receivedEvents = () => new Set(platform.events().map((e) => e.id));
    await platform.until(
      () => {
        const r = receivedReadings();
        const e = receivedEvents();
        const restarted = platform.events('gateway.started').length === KILLS + 1;
        return restarted && [...accepted.readings].every((id) => r.has(id)) && [...accepted.events].every((id) => e.has(id));
      },
      30_000,
      'every accepted reading and event',
    );
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;

    for (const kind of ['telemetry', 'event'] as const) {
      const seqs = [...new Set(platform.of(kind).map((m) => m.doc.seq as number))].sort((a, b) => a - b);
      expect(seqs, `${kind} seq without gaps`).toEqual(seqs.map((_, i) => i + 1));
    }
    const readingCount = platform.readings().length;
    const duplicateReadings = readingCount - receivedReadings().size;
    const duplicateEvents = platform.events().length - receivedEvents().size;
    expect(duplicateReadings).toBeLessThanOrEqual(KILLS * WINDOW.telemetryBatches * WINDOW.maxReadings);
    expect(duplicateEvents).toBeLessThanOrEqual(KILLS * WINDOW.events);
  });
});
