import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { PlatformRecorder } from '../helpers/platform.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * An orderly stop sends the last batch window before the offline `state`: readings accepted
 * shortly before the stop are at the platform, not left in the outbox until the next start (the
 * 1-hour soak found 6 left after ONVIF's stop became fast enough to leave the pump no time).
 */
describe('orderly stop', () => {
  it('sends the readings of a partial batch that is not yet due, then says offline', async () => {
    const tmp = tempDir('gg-stop-batch-');
    cleanups.push(tmp.cleanup);
    const broker = await startPlatformBroker();
    cleanups.push(() => broker.stop());
    const platform = new PlatformRecorder(broker.url);
    await platform.start();
    cleanups.push(() => platform.stop());
    // A batch is due only after 60 s: everything the stop finds is a partial batch.
    const gateway = await startGateway(testConfig(broker.url, tmp.dir, { batching: { maxReadings: 5000, maxDelayMs: 60_000 } }));
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : gateway.stop()));
    await platform.until(() => platform.events('gateway.started').length === 1, 20_000, 'started');
    await new Promise((r) => setTimeout(r, 1000));
    expect(platform.readings()).toHaveLength(0);
    await gateway.stop();
    stopped = true;
    await platform.until(() => platform.readings().length > 0, 10_000, 'the last batch window at the platform');
    const db = new Database(join(tmp.dir, 'gridgate.db'), { readonly: true });
    const left = db.prepare('SELECT count(*) FROM readings').pluck().get() as number;
    db.close();
    expect(left).toBe(0);
  });
});
