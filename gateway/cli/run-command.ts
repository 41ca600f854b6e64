import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import type { GatewayConfig } from '../config/schema/gateway-config.js';
import { formatProblem } from '../config/config-problems.js';
import { loadConfigFile } from '../config/load-config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { RemoteConfig } from '../commands/remote-config.js';
import { Gateway } from '../daemon.js';
import type { GatewayExtension } from '../extension.js';
import { SdNotify } from '../observability/sd-notify.js';
import { feedWatchdog } from '../observability/watchdog-feeder.js';
import { ConfigStore } from '../config/config-store.js';
import { LogRing } from '../ui/log-ring.js';
import { SecretStore } from '../ui/secret-store.js';
import { TechnicianUi } from '../ui/ui-extension.js';

export interface RunOptions {
  log?: Logger;
  onStarted?: (g: Gateway) => void;
  extensions?: () => GatewayExtension[];
  /** Where the key that encrypts stored secrets lives (outside the configuration; systemd: /etc/gridgate/secret.key). */
  secretKeyFile?: string;
  /** Where the log lines go besides the UI's ring (default: stdout as JSON, for journald and pipes). */
  logStream?: pino.DestinationStream;
}

/**
 * `gridgate run --config FILE`: runs until SIGTERM/SIGINT.
 *
 * The running configuration is the configuration store's current version (one versioned
 * document, shared with the UI). FILE is imported as version 1 on first start, and again as a
 * new version whenever it changed since it was last imported (on start, or on SIGHUP). A
 * configuration that is not valid is refused with every problem listed: at start the daemon does
 * not start; later the running configuration is kept. Applying a version restarts only what
 * changed; a version that fails to apply is rolled back by the store.
 */
export async function runCommand(file: string, options: RunOptions = {}): Promise<number> {
  const first = loadConfigFile(file, process.env);
  if (!first.ok) {
    console.error(`gridgate: refusing to start, ${file} has ${first.problems.length} problem(s):`);
    for (const p of first.problems) console.error(`  - ${formatProblem(p)}`);
    return 1;
  }
  const { config: fileConfig, baseDir } = first.loaded;
  const logs = new LogRing();
  const level = fileConfig.log.level;
  const log =
    options.log ??
    createLogger({
      level,
      destination: pino.multistream([
        { level, stream: options.logStream ?? pino.destination({ sync: true }) },
        { level, stream: logs },
      ]),
    });
  // A bug that escapes every handler: say so in the journal, exit non-zero, systemd restarts us.
  process.once('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });

  const uiDir = join(fileConfig.dataDir, 'ui');
  const secrets = new SecretStore({
    file: join(uiDir, 'secrets.json'),
    keyFile: options.secretKeyFile ?? process.env.GRIDGATE_SECRET_KEY_FILE ?? join(fileConfig.dataDir, 'secret.key'),
  });
  secrets.open();
  // One long-lived environment, refreshed with the stored secrets before each apply: a password
  // saved in the UI is read when the part that needs it is (re)built.
  const env: NodeJS.ProcessEnv = { ...process.env, ...secrets.env() };
  let gateway: Gateway | undefined;
  const extensions = (): GatewayExtension[] => [ui, remote, ...(options.extensions?.() ?? [])];
  const start = async (config: Readonly<GatewayConfig>) => {
    gateway = new Gateway({ config, baseDir, log, env, extensions: extensions() });
    await gateway.start();
    options.onStarted?.(gateway);
  };
  const store = new ConfigStore({
    dir: join(fileConfig.dataDir, 'config-store'),
    baseDir,
    env: () => env,
    log: log.child({ component: 'config-store' }),
    apply: async (next) => {
      Object.assign(env, secrets.env());
      if (!gateway) return undefined;
      const result = await gateway.applyConfig(next);
      if (result.restartRequired.length > 0) {
        log.info({ settings: result.restartRequired }, 'these settings need a restart: restarting the gateway');
        await gateway.stop();
        await start(next);
      }
      return result;
    },
  });
  const readFile = () => parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  store.open({ doc: readFile(), by: 'installer', reason: `imported ${file} at first start` });
  const ui = new TechnicianUi({ stateDir: uiDir, store, secrets, log, logs });
  const remote = new RemoteConfig({
    store,
    secrets,
    audit: ui.context.audit,
    stateFile: join(fileConfig.dataDir, 'config-store', 'confirm-pending.json'),
    log: log.child({ component: 'remote-config' }),
  });
  importIfChanged(store, file, readFile(), log);
  await store.idle();

  const running = store.validate(store.current().doc);
  if (!running.ok) {
    console.error(`gridgate: refusing to start, configuration version ${store.current().version} has ${running.problems.length} problem(s):`);
    for (const p of running.problems) console.error(`  - ${formatProblem(p)}`);
    return 1;
  }
  try {
    await start(running.loaded.config);
  } catch (err) {
    log.fatal({ err }, 'gridgate failed to start');
    await gateway?.stop().catch(() => {});
    return 1;
  }
  const systemd = new SdNotify();
  // STATUS= (shown by `systemctl status`): what runs, and the outcome of the last reload.
  const statusText = (note?: string) => {
    const config = gateway?.config ?? running.loaded.config;
    return `running: ${config.devices.length} devices, site ${config.site}, configuration version ${store.current().version}${note ? `; ${note}` : ''}`;
  };
  await systemd.ready(statusText());
  const stopWatchdog = feedWatchdog(systemd, () => gateway!, log);

  process.on('SIGHUP', () => {
    const at = new Date().toISOString().slice(11, 19);
    let outcome: ImportOutcome;
    try {
      outcome = importIfChanged(store, file, readFile(), log, true);
    } catch (err) {
      log.error({ file, err }, 'configuration reload refused: keeping the running configuration (the file cannot be read)');
      outcome = { result: 'refused', problems: 1 };
    }
    void store.idle().then(() => {
      const running = store.current().version;
      const note =
        outcome.result === 'unchanged'
          ? `reload ${at} UTC: file unchanged`
          : outcome.result === 'refused'
            ? `reload ${at} UTC refused (${outcome.problems} problem(s), see the journal), kept version ${running}`
            : running === outcome.version
              ? `reload ${at} UTC applied version ${running}`
              : `reload ${at} UTC: version ${outcome.version} failed to apply, kept version ${running}`;
      return systemd.status(statusText(note));
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
      store
        .idle()
        .then(() => gateway?.stop())
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

type ImportOutcome = { result: 'unchanged' } | { result: 'refused'; problems: number } | { result: 'proposed'; version: number };

/** Proposes the file as a new version when it differs from what was last imported from it. */
function importIfChanged(store: ConfigStore, file: string, doc: Record<string, unknown>, log: Logger, reload = false): ImportOutcome {
  const lastImport = store
    .list()
    .filter((v) => v.source === 'import' || v.source === 'shell')
    .map((v) => store.get(v.version)!)[0];
  if (lastImport && JSON.stringify(lastImport.doc) === JSON.stringify(doc)) {
    if (reload) log.info({ file }, 'configuration reload: the file has not changed');
    return { result: 'unchanged' };
  }
  const result = store.propose(doc, {
    by: 'shell',
    reason: reload ? `SIGHUP: reload of ${file}` : `${file} changed since it was last imported`,
    source: 'shell',
  });
  if (!result.ok) {
    log.error({ file, problems: result.problems.map(formatProblem) }, 'configuration reload refused: keeping the running configuration');
    return { result: 'refused', problems: result.problems.length };
  }
  log.info({ file, version: result.version.version }, 'configuration file imported as a new version');
  return { result: 'proposed', version: result.version.version };
}
