import { join } from 'node:path';
import type { GatewayConfig } from '../../gateway/config/schema/gateway-config.js';
import { type Logger, silentLogger } from '../../gateway/core/logger.js';
import { Gateway } from '../../gateway/daemon.js';
import { ConfigStore } from '../../gateway/config/config-store.js';
import { SecretStore } from '../../gateway/ui/secret-store.js';
import type { SessionTimeouts } from '../../gateway/ui/sessions.js';
import { TechnicianUi, type TechnicianUiOptions } from '../../gateway/ui/ui-extension.js';
import { type PlatformBroker, type PlatformBrokerOptions, startPlatformBroker } from '../../simulators/platform/platform-broker.js';
import { tempDir, testConfig } from '../helpers/gateway-harness.js';

export interface UiHarness {
  url: string;
  ui: TechnicianUi;
  store: ConfigStore;
  secrets: SecretStore;
  gateway(): Gateway;
  /** The setup code the UI printed at first start. */
  setupCode(): string;
  /** Gateways started so far (1 + each applied change). */
  starts(): number;
  dir: string;
  broker: PlatformBroker;
  stop(): Promise<void>;
}

/**
 * A gateway with the UI on a real port, its configuration in a ConfigStore. Applying a change
 * restarts the in-process gateway on the same port (what run-command does until the core has
 * Gateway.applyConfig); `failApply` makes the next applies throw, to test the rollback.
 */
export async function startUi(
  options: {
    devices?: unknown[];
    timeouts?: SessionTimeouts;
    failApply?: () => boolean;
    ui?: Partial<TechnicianUiOptions>;
    overrides?: Record<string, unknown>;
    log?: Logger;
    /** The daemon's own environment (not this process's) and the folder its `{ file }` secrets are read from. */
    env?: Record<string, string>;
    baseDir?: string;
    /** The simulated platform's broker (a slow platform: `holdPublish`). */
    broker?: PlatformBrokerOptions;
  } = {},
): Promise<UiHarness> {
  const broker = await startPlatformBroker(options.broker);
  const tmp = tempDir('gridgate-ui-');
  const log = options.log ?? silentLogger();
  const base = testConfig(broker.url, join(tmp.dir, 'data'));
  const doc = {
    ...base,
    ...(options.devices ? { devices: options.devices } : {}),
    ...(options.overrides ?? {}),
    // Platform settings are merged: the broker's address is only known here.
    ...(options.overrides?.platform ? { platform: { ...base.platform, ...(options.overrides.platform as object) } } : {}),
  } as Record<string, unknown>;
  let gateway: Gateway | undefined;
  let port = 0;
  let starts = 0;
  let printed = '';
  const secrets = new SecretStore({ file: join(tmp.dir, 'data', 'ui', 'secrets.json'), keyFile: join(tmp.dir, 'etc', 'secret.key') });
  secrets.open();
  // One env object the gateway keeps: the UI's secrets are put in before every apply, so a password
  // set through the UI is there when the new configuration reads it.
  const env: NodeJS.ProcessEnv = { ...options.env };
  const baseDir = options.baseDir ?? process.cwd();
  const run = async (config: Readonly<GatewayConfig>) => {
    Object.assign(env, secrets.env());
    const g = new Gateway({ config: { ...config, http: { ...config.http, port } }, baseDir, log, env, extensions: [ui] });
    await g.start();
    port = g.httpPort!;
    gateway = g;
    starts++;
  };
  const store = new ConfigStore({
    dir: join(tmp.dir, 'data', 'config-store'),
    baseDir: process.cwd(),
    env: {},
    log,
    apply: async (next) => {
      if (options.failApply?.()) throw new Error('simulated apply failure: the new configuration did not start');
      // The core's "restart only what changed" when this build has it; else a restart in process.
      const g = gateway as (Gateway & { applyConfig?: (c: Readonly<GatewayConfig>) => Promise<{ changed: string[]; restartRequired: string[] }> }) | undefined;
      Object.assign(env, secrets.env());
      if (g?.applyConfig) return g.applyConfig(next);
      await gateway?.stop();
      await run(next);
    },
  });
  store.open({ doc, by: 'installer', reason: 'first start' });
  const ui = new TechnicianUi({
    stateDir: join(tmp.dir, 'data', 'ui'),
    store,
    secrets,
    log,
    announce: (t) => (printed = t),
    sessions: options.timeouts,
    ...options.ui,
  });
  const first = store.validate(store.current().doc);
  if (!first.ok) throw new Error(JSON.stringify(first.problems));
  await run(first.loaded.config);
  return {
    url: `http://127.0.0.1:${port}`,
    ui,
    store,
    secrets,
    gateway: () => gateway!,
    setupCode: () => /setup code ([0-9A-Z-]+)/.exec(printed)?.[1] ?? '',
    starts: () => starts,
    dir: tmp.dir,
    broker,
    stop: async () => {
      await store.idle();
      await gateway?.stop();
      await broker.stop();
      tmp.cleanup();
    },
  };
}

/** A browser-like client: cookie jar, Origin header, the CSRF token from the session. */
export class UiClient {
  cookie = '';
  csrf = '';

  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        origin: this.base,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (export, images)
    }
    if (parsed && typeof parsed === 'object' && typeof (parsed as { csrf?: unknown }).csrf === 'string') this.csrf = (parsed as { csrf: string }).csrf;
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }

  async login(user: string, password: string) {
    return this.post('/api/ui/login', { user, password });
  }
}

/** Waits until a configuration version is no longer pending/applying. */
export async function settled(client: UiClient, version: number): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const r = await client.get(`/api/ui/config/versions/${version}`).catch(() => undefined);
    const status = r?.body?.version?.status;
    if (status && status !== 'pending' && status !== 'applying') return r!.body.version;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`version ${version} did not settle`);
}
