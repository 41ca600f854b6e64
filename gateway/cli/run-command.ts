import { formatProblem } from '../config/config-problems.js';
import { loadConfigFile } from '../config/load-config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { Gateway } from '../daemon.js';
import type { GatewayExtension } from '../extension.js';

/**
 * `gridgate run --config FILE`: runs until SIGTERM/SIGINT. Refuses to start on an invalid
 * configuration (every problem listed). SIGHUP reloads: a valid new configuration is applied,
 * restarting only what changed (the whole gateway only for ids, data folder, outbox, HTTP, log);
 * an invalid one is reported and the running configuration is kept.
 */
export async function runCommand(file: string, options: { log?: Logger; onStarted?: (g: Gateway) => void; extensions?: () => GatewayExtension[] } = {}): Promise<number> {
  const first = loadConfigFile(file, process.env);
  if (!first.ok) {
    console.error(`gridgate: refusing to start, ${file} has ${first.problems.length} problem(s):`);
    for (const p of first.problems) console.error(`  - ${formatProblem(p)}`);
    return 1;
  }
  const log = options.log ?? createLogger({ level: first.loaded.config.log.level });
  let gateway = new Gateway({ config: first.loaded.config, baseDir: first.loaded.baseDir, log, env: process.env, extensions: options.extensions?.() });
  try {
    await gateway.start();
  } catch (err) {
    log.fatal({ err }, 'gridgate failed to start');
    await gateway.stop().catch(() => {});
    return 1;
  }
  options.onStarted?.(gateway);

  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      const next = loadConfigFile(file, process.env);
      if (!next.ok) {
        log.error({ file, problems: next.problems.map(formatProblem) }, 'configuration reload refused: keeping the running configuration');
        return;
      }
      try {
        const result = await gateway.applyConfig(next.loaded.config);
        if (result.restartRequired.length === 0) return;
        log.info({ file, settings: result.restartRequired }, 'configuration reload: these settings need a restart, restarting');
        await gateway.stop();
        gateway = new Gateway({ config: next.loaded.config, baseDir: next.loaded.baseDir, log, env: process.env, extensions: options.extensions?.() });
        await gateway.start();
        options.onStarted?.(gateway);
      } catch (err) {
        log.error({ err, file }, 'configuration reload failed: the running configuration was restored');
      }
    });
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      reloading
        .then(() => gateway.stop())
        .then(
          () => resolve(0),
          (err: unknown) => {
            log.error({ err }, 'stop failed');
            resolve(1);
          },
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
