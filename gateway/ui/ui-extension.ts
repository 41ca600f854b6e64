import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyCookie, { fastifyCookie as cookiePlugin } from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { DeviceConfig } from '../config/schema/devices.js';
import { readSecret } from '../config/secrets.js';
import { PACKAGE_ROOT } from '../config/paths.js';
import type { GatewayFacade as Gateway } from '../facade.js';
import { systemClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { DiscoveredDevice, Driver, DriverContext } from '../devices/driver.js';
import type { GatewayExtension } from '../extension.js';
import { AuditLog } from './audit-log.js';
import { authRoutes } from './auth-routes.js';
import { cameraRoutes } from './camera-routes.js';
import { configRoutes } from './config-routes.js';
import type { ConfigStore } from '../config/config-store.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { deviceRoutes } from './device-routes.js';
import { FieldData, fieldRoutes } from './field-routes.js';
import { DeviceTestLog } from './device-test-log.js';
import { testDevice } from './device-tester.js';
import { FailedLogins } from './failed-logins.js';
import { LiveCache } from './live-cache.js';
import { liveRoutes } from './live-routes.js';
import { LiveSockets, sessionProblem } from './live-sockets.js';
import { checkStreamUrl } from './live-url.js';
import { DEFAULT_LIVE_LIMITS, LiveStreams } from './live-streams.js';
import { LoginThrottle } from './login-throttle.js';
import type { LogRing } from './log-ring.js';
import { miscRoutes } from './misc-routes.js';
import type { SecretStore } from './secret-store.js';
import { DEFAULT_TIMEOUTS, type SessionTimeouts, SessionStore } from './sessions.js';
import { SetupCodeFile } from './setup-code.js';
import { SESSION_COOKIE } from './sessions.js';
import type { DiscoveryReports, UiContext } from './ui-context.js';
import { UserStore } from './users.js';

export interface TechnicianUiOptions {
  /** Users, audit log (e.g. /var/lib/gridgate/ui). */
  stateDir: string;
  /** The versioned configuration the daemon runs (see config-store.ts). */
  store: ConfigStore;
  /** Camera and broker passwords, encrypted; the key lives outside the configuration. */
  secrets: SecretStore;
  log: Logger;
  /** The last log lines, when the root logger also writes into it. */
  logs?: LogRing;
  /** Prints the first-run setup code (the console / journal); never the pino log. */
  announce?: (text: string) => void;
  /**
   * Fresh driver instances for discovery and for testing a device whose driver has no
   * `testDevice` (default: the gateway's driver modules, gateway/facade.ts); a test otherwise runs
   * on the gateway's own driver.
   * `secretEnv` holds the stored secrets and, for a test, the password typed but not saved yet
   * (`GRIDGATE_SECRET_*` / `GRIDGATE_TEST_SECRET_*`): a driver resolves `{ env }` references in it.
   */
  drivers?: (secretEnv: Record<string, string>) => Map<string, Driver>;
  /** Overrides discovery (default: every driver that has `discover`). */
  discover?: (timeoutMs: number) => Promise<DiscoveredDevice[]>;
  /** The RTSP URL with credentials of a camera channel (default: from the device state's meta and its password). */
  streamUrl?: (gateway: Gateway, device: string, channel: number) => Promise<string>;
  ffmpegPath?: string;
  sessions?: SessionTimeouts;
  /** Login throttling (default: per name and address 5 free failures, per address 20, then 1 s doubling to 15 min, forgotten after 1 h). */
  throttle?: LoginThrottle;
  /** Requests per address to the login and setup routes (default 30 a minute). */
  loginRate?: { max: number; windowMs: number };
  /** How often open websockets re-check their session (ms, at most 60 000; default 30 000). */
  socketCheckMs?: number;
  /** Folder of the static front end (default: <package>/ui). */
  staticDir?: string;
}

/**
 * The technicians' local web UI as a gateway extension. Create it once and hand the same
 * instance to every Gateway the process runs: sessions, throttling and the live caches
 * outlive a configuration change that restarts the gateway.
 */
export class TechnicianUi implements GatewayExtension {
  readonly name = 'technician-ui';
  private current: Gateway | undefined;
  /** The gateway last started (its driver modules, for test-before-save while a new one starts). */
  private lastGateway: Gateway | undefined;
  private code: string | undefined;
  private readonly codeFile: SetupCodeFile;
  private readonly ctx: UiContext;
  /** Zone history, trends, event pictures and alarm acknowledgements (public for tests and tools). */
  readonly field: FieldData;

  constructor(private readonly o: TechnicianUiOptions) {
    this.field = new FieldData(o.stateDir);
    this.codeFile = new SetupCodeFile(join(o.stateDir, 'setup-code'));
    const live = new LiveCache();
    // Test-before-save drivers resolve secrets as the daemon does (its configuration folder and
    // environment, with the stored secrets), plus the password typed for the test.
    // The driver modules come from the gateway (the facade); the last one seen serves while it restarts.
    const drivers =
      o.drivers ??
      ((env: Record<string, string>) => {
        const modules = this.current ?? this.lastGateway;
        if (!modules) throw new Error('the gateway is not running yet');
        return modules.freshDrivers((ref) => (this.current ? this.current.readSecret(ref, env) : readSecret(ref, process.cwd(), { ...process.env, ...env })));
      });
    const users = new UserStore(join(o.stateDir, 'users.json'));
    const sessions = new SessionStore(o.sessions ?? DEFAULT_TIMEOUTS);
    this.ctx = {
      gateway: () => {
        if (!this.current) throw new Error('the gateway is restarting');
        return this.current;
      },
      store: o.store,
      users,
      sessions,
      throttle: o.throttle ?? new LoginThrottle(),
      failedLogins: new FailedLogins(join(o.stateDir, 'failed-logins.json')),
      loginRate: o.loginRate ?? { max: 30, windowMs: 60_000 },
      sockets: new LiveSockets({ sessions, users, log: o.log.child({ component: 'ui-sockets' }), checkMs: o.socketCheckMs }),
      audit: new AuditLog(join(o.stateDir, 'audit.jsonl')),
      tests: new DeviceTestLog(join(o.stateDir, 'device-tests.json')),
      secrets: o.secrets,
      live,
      streams: new LiveStreams({
        resolve: (d, c) => (o.streamUrl ?? defaultStreamUrl(o.secrets))(this.ctx.gateway(), d, c),
        log: o.log.child({ component: 'live-view' }),
        ffmpegPath: o.ffmpegPath,
        limits: () => this.current?.config.http.liveView ?? DEFAULT_LIVE_LIMITS,
      }),
      logs: o.logs,
      log: o.log.child({ component: 'ui' }),
      setupCode: () => this.code,
      clearSetupCode: () => {
        this.code = undefined;
        this.codeFile.remove();
      },
      discover: o.discover
        ? async (timeoutMs) => ({ found: await o.discover!(timeoutMs), reports: [] })
        : (timeoutMs) => discoverAll(() => drivers(o.secrets.env()), o.log, timeoutMs),
      testDevice: (device, { point, waitMs, secretEnv = {} }) => {
        const env = { ...o.secrets.env(), ...secretEnv };
        return testDevice(device as DeviceConfig, {
          // The running driver takes the test (its RTU line's queue, its embedded broker); secrets
          // resolve as the daemon resolves them, with the stored ones and the password typed for the
          // test. A gateway restarting is the test's error, said in its result.
          trial: (d, t) => this.ctx.gateway().testDevice(d, t),
          readSecret: (ref) => this.ctx.gateway().readSecret(ref, env),
          drivers: () => drivers(env),
          log: o.log.child({ component: 'ui-test' }),
          mode: () => this.current?.status().mode ?? 'normal',
          point,
          waitMs,
        });
      },
    };
  }

  /** For tests and tools: the parts behind the routes. */
  get context(): UiContext {
    return this.ctx;
  }

  async registerHttp(app: FastifyInstance, gateway?: Gateway): Promise<void> {
    this.lastGateway ??= gateway;
    const ctx = this.ctx;
    const root = this.o.staticDir ?? resolve(PACKAGE_ROOT, 'ui');
    const jsmpeg = resolve(PACKAGE_ROOT, 'node_modules', '@cycjimmy', 'jsmpeg-player', 'dist', 'jsmpeg-player.esm.js');
    await app.register(async (scope) => {
      await scope.register(fastifyCookie);
      await scope.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
      // Only routes that ask for it (login, setup) are rate limited; answers keep the UI's error shape.
      await scope.register(fastifyRateLimit, {
        global: false,
        errorResponseBuilder: (_req, r) => ({
          statusCode: 429,
          error: {
            code: 'E_UI_THROTTLED',
            message: `too many requests from this address: try again in ${r.after}`,
            retryAfterSeconds: Math.ceil(r.ttl / 1000),
          },
        }),
      });
      // Security headers come from gateway/http/security-headers.ts (every route of the server).
      scope.addHook('onSend', async (req, reply, payload) => {
        if (req.url.startsWith('/api/ui/')) reply.header('cache-control', 'no-store');
        return payload;
      });
      await scope.register(fastifyStatic, { root, prefix: '/ui/', index: 'index.html', redirect: true, cacheControl: false });
      scope.get('/ui/vendor/jsmpeg.js', async (_req, reply) => reply.type('text/javascript').send(readFileSync(jsmpeg)));
      scope.get('/', async (_req, reply) => reply.redirect('/ui/'));
      await authRoutes(scope, ctx);
      await dashboardRoutes(scope, ctx);
      await deviceRoutes(scope, ctx);
      await liveRoutes(scope, ctx);
      await configRoutes(scope, ctx);
      await cameraRoutes(scope, ctx);
      await miscRoutes(scope, ctx);
      await fieldRoutes(scope, ctx, this.field);
    });
  }

  /** A live, still valid UI session on the request (any role): `/api/status` accepts it. */
  authenticated(req: FastifyRequest): boolean {
    const cookies = cookiePlugin.parse(req.headers.cookie ?? '');
    const found = this.ctx.sessions.lookup(cookies[SESSION_COOKIE]);
    return Boolean(found && !sessionProblem(this.ctx.users, found.session));
  }

  async start(gateway: Gateway): Promise<void> {
    this.current = gateway;
    this.lastGateway = gateway;
    this.ctx.live.attach(gateway);
    this.ctx.sockets.start();
    registerLiveViewMetrics(gateway, this.ctx.streams);
    this.field.attach(gateway);
    if (this.ctx.users.count() > 0) {
      // An administrator exists (set up here, or with `gridgate passwd` from the shell): no code may remain.
      this.code = undefined;
      this.codeFile.remove();
    } else if (!this.code) {
      const { code, display, fresh } = this.codeFile.obtain();
      this.code = code;
      const { scheme, fingerprint } = gateway.httpInfo;
      const url = `${scheme}://${gateway.config.http.host}:${gateway.httpPort}/ui/`;
      const tls = fingerprint
        ? ` The browser will warn about the self-signed certificate: continue only if it shows the SHA-256 fingerprint ${fingerprint}.`
        : '';
      // The code is printed once, when it is made, so `journalctl -u gridgate | grep 'setup code'`
      // finds exactly the one that holds. Later starts remind without the code (and without the
      // words "setup code"); the file keeps it for root.
      (this.o.announce ?? ((t) => process.stderr.write(`${t}\n`)))(
        fresh
          ? `gridgate: no UI user exists yet. Open ${url} and enter the one-time setup code ${display} to create the administrator.${tls}`
          : `gridgate: no UI user exists yet. Open ${url} and enter the one-time code printed when it was made (unchanged since: the journal has it, and root can read it in the UI state folder).${tls}`,
      );
    }
  }

  async stop(): Promise<void> {
    this.ctx.live.detach();
    this.field.detach();
    this.ctx.streams.stopAll();
    this.ctx.sockets.stop();
    this.current = undefined;
  }
}

function quietContext(log: Logger): DriverContext {
  return {
    log: log.child({ component: 'ui-discovery' }),
    clock: systemClock,
    samples: () => {},
    event: () => {},
    status: () => {},
    mode: () => 'normal',
    onModeChange: () => () => {},
  };
}

async function discoverAll(
  drivers: () => Map<string, Driver>,
  log: Logger,
  timeoutMs: number,
): Promise<{ found: DiscoveredDevice[]; reports: DiscoveryReports }> {
  const found: DiscoveredDevice[] = [];
  const reports: DiscoveryReports = [];
  // Fresh driver instances, started with a context that goes nowhere: discovery offers, never adds.
  const lists = await Promise.all(
    [...drivers().values()]
      .filter((d) => d.discover)
      .map(async (driver) => {
        try {
          await driver.start(quietContext(log));
          return await driver.discover!({ timeoutMs, signal: AbortSignal.timeout(timeoutMs + 2000) });
        } catch (err) {
          log.warn({ err, driver: driver.name }, 'discovery failed');
          return [];
        } finally {
          // What it probed on which interfaces: shown after an empty scan (before stop drops the driver).
          const report = driver.discoveryReport?.();
          if (report) reports.push({ driver: driver.name, report });
          await driver.stop(AbortSignal.timeout(2000)).catch(() => {});
        }
      }),
  );
  for (const list of lists) found.push(...list);
  return { found, reports };
}

/** The channel's stream from the device state (credentials redacted there), with the device's own credentials put back. */
export function defaultStreamUrl(secrets: SecretStore) {
  return async (gateway: Gateway, device: string, channel: number): Promise<string> => {
    const state = gateway.deviceStates().find((s) => s.device === device);
    const channels = (state?.meta?.channels as Array<{ channel: number; stream?: string }> | undefined) ?? [];
    const stream = channels.find((c) => c.channel === channel)?.stream;
    if (!stream) throw new Error(`device ${device} channel ${channel} has no stream address (is it online?)`);
    const cfg = gateway.config.devices.find((d) => d.id === device) as
      | { url?: string; username?: string; password?: { env: string } | { file: string } }
      | undefined;
    // The address comes from the device: data, never trusted (issue 12, finding 3). Only rtsp(s),
    // and only on the device's own host, so the camera's password is never sent anywhere else.
    const url = new URL(checkStreamUrl(stream.replace(/:\/\/[^@/]*@/, '://')));
    const own = cfg?.url ? new URL(cfg.url).hostname : undefined;
    if (own !== undefined && url.hostname !== own)
      throw new GatewayError('E_LIVE_URL', `the camera reports its stream on another host (${url.hostname.slice(0, 64)}), not its own address: not opened`);
    if (cfg?.username && cfg.password) {
      url.username = encodeURIComponent(cfg.username);
      // The daemon's own secret resolution (its configuration folder and environment, with the
      // stored secrets), not this process's working folder: a `{ file }` path is relative to the
      // configuration, and a stored password lives in the sealed store (issue 17).
      url.password = encodeURIComponent(gateway.readSecret(cfg.password, secrets.env()));
    }
    return url.toString();
  };
}

/** Live view's cost on the gateway's /metrics (the registry is the running gateway's). */
function registerLiveViewMetrics(gateway: Gateway, streams: LiveStreams): void {
  const registers = [gateway.metrics.registry];
  const gauge = (name: string, help: string, read: (t: ReturnType<LiveStreams['totals']>) => number) => {
    if (gateway.metrics.registry.getSingleMetric(name)) return;
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(streams.totals()));
      },
    });
  };
  gauge('gridgate_live_view_transcodes', 'ffmpeg live view transcodes running', (t) => t.transcodes);
  gauge('gridgate_live_view_viewers', 'live view sockets open', (t) => t.viewers);
  gauge('gridgate_live_view_cpu_seconds_total', 'CPU seconds used by live view ffmpeg processes since the UI started', (t) => t.cpuSecondsTotal);
  gauge('gridgate_live_view_cpu_percent', 'CPU of live view ffmpeg processes now, percent of one core', (t) => t.cpuPercent);
  gauge('gridgate_live_view_refused_total', 'live view joins refused by a limit', (t) => t.refusedTotal);
}
