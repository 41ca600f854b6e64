import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../gateway/config/config-problems.js';
import { validateConfig } from '../../gateway/config/load-config.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/daemon.js';
import { startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a gateway stopped while its uplink is still connecting', () => {
  it('stops cleanly: a connection that completes during the stop publishes nothing from the closed outbox', async () => {
    const broker = await startPlatformBroker();
    cleanups.push(broker.stop);
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => process.off('unhandledRejection', onUnhandled));
    // Stopped at different moments of the first connection: at once, and a few turns later.
    for (const waitMs of [0, 1, 5, 10, 20, 40]) {
      const tmp = tempDir('gg-stop-connecting-');
      cleanups.push(tmp.cleanup);
      const result = validateConfig(testConfig(broker.url, tmp.dir), { baseDir: process.cwd(), env: {} });
      if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
      const gateway = new Gateway({ config: result.loaded.config, baseDir: process.cwd(), log: silentLogger(), env: {} });
      await gateway.start();
      await new Promise((r) => setTimeout(r, waitMs));
      await expect(gateway.stop()).resolves.toBeUndefined();
    }
    // Let any late connection callback run against the stopped gateways.
    await new Promise((r) => setTimeout(r, 300));
    expect(unhandled.map(String)).toEqual([]);
  });
});
