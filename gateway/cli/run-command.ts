import { formatProblem } from '../config/config-problems.js';
import { loadConfigFile } from '../config/load-config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { Gateway } from '../daemon.js';
import type { GatewayExtension } from '../extension.js';
import { HealthWatchdog } from '../observability/health-watchdog.js';
import { SdNotify } from '../observability/sd-notify.js';

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
  // A bug that escapes every handler: say so in the journal, exit non-zero, systemd restarts us.
  process.once('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });
  let gateway = new Gateway({ config: first.loaded.config, baseDir: first.loaded.baseDir, log, env: process.env, extensions: options.extensions?.() });
  try {
    await gateway.start();
  } catch (err) {
    log.fatal({ err }, 'gridgate failed to start');
    await gateway.stop().catch(() => {});
    return 1;
  }
  options.onStarted?.(gateway);
  const systemd = new SdNotify();
  await systemd.ready(`running: ${first.loaded.config.devices.length} devices, site ${first.loaded.config.site}`);
  const stopWatchdog = feedWatchdog(systemd, () => gateway, log);

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
      stopWatchdog();
      void systemd.stopping();
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

/** Pings systemd's watchdog while the gateway is really healthy (not on a bare timer). */
function feedWatchdog(systemd: SdNotify, gateway: () => Gateway, log: Logger): () => void {
  const periodMs = systemd.watchdogMs;
  if (!periodMs) return () => {};
  const watchdog = new HealthWatchdog(
    {
      delivered: () => gateway().progressProbe().delivered(),
      backlog: () => gateway().progressProbe().backlog(),
      uplinkConnected: () => gateway().progressProbe().uplinkConnected(),
      checkOutbox: () => gateway().progressProbe().checkOutbox(),
    },
    periodMs,
  );
  watchdog.start();
  let unhealthy: string | undefined;
  const timer = setInterval(() => {
    const why = watchdog.check();
    if (why === undefined) {
      if (unhealthy) log.info('healthy again: feeding the watchdog');
      unhealthy = undefined;
      void systemd.watchdog();
    } else if (why !== unhealthy) {
      unhealthy = why;
      log.error({ why }, 'unhealthy: not feeding the systemd watchdog');
      void systemd.status(`unhealthy: ${why}`);
    }
  }, periodMs / 3);
  return () => {
    clearInterval(timer);
    watchdog.stop();
  };
}
