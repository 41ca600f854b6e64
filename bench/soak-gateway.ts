/** The gateway under soak: a child process (as systemd runs it), killed and restarted on the day's schedule. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './soak-faults.js';

/** How the gateway is started: which node flags, which entry point, which environment. */
export interface GatewayProgram {
  /** For the report: what ran. */
  describe: string;
  /** Node's arguments before the CLI's own (flags, loader, entry point). */
  nodeArgs: string[];
  cwd: string;
  env: Record<string, string>;
  cleanup(): void;
}

/**
 * The installable program, as the .deb ships it (scripts/build-stage.sh: compiled JavaScript,
 * production dependencies), run with the node flags and environment of systemd/gridgate.service:
 * memory figures then mean what a site sees (tsx and the TypeScript sources add ~20 MB).
 */
export function stagedProgram(root: string): GatewayProgram {
  const unit = readFileSync(join(root, 'systemd/gridgate.service'), 'utf8');
  const exec = /^ExecStart=\/usr\/bin\/node (.*?) \/opt\/gridgate\/dist\/gateway\/cli\/main\.js run/m.exec(unit);
  if (!exec) throw new Error('soak: no node flags found in systemd/gridgate.service ExecStart');
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=([A-Z_]+)=(\S+)$/gm)) if (!m[1]!.startsWith('GRIDGATE_')) env[m[1]!] = m[2]!;
  const stage = mkdtempSync(join(tmpdir(), 'gridgate-soak-stage-'));
  execFileSync('bash', [join(root, 'scripts/build-stage.sh'), stage], { stdio: ['ignore', 'ignore', 'inherit'] });
  const flags = exec[1]!.split(/\s+/);
  return {
    describe: `scripts/build-stage.sh, node ${flags.join(' ')}, ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} (systemd/gridgate.service)`,
    nodeArgs: [...flags, join(stage, 'dist/gateway/cli/main.js')],
    cwd: stage,
    env,
    cleanup: () => rmSync(stage, { recursive: true, force: true }),
  };
}

/** The TypeScript sources through tsx, as `npm start` runs them (quicker to start a short run). */
export function sourceProgram(root: string): GatewayProgram {
  return {
    describe: 'TypeScript sources through tsx, node --max-semi-space-size=2, MALLOC_ARENA_MAX=2',
    nodeArgs: ['--max-semi-space-size=2', '--import', 'tsx', join(root, 'gateway/cli/main.ts')],
    cwd: root,
    env: { MALLOC_ARENA_MAX: '2' },
    cleanup: () => {},
  };
}

export class GatewayChild {
  child: ChildProcess | undefined;
  life = 0;
  /** The last lines the gateway wrote to stderr (it logs at warn), for the report when it dies. */
  readonly tail: string[] = [];
  readonly uiUser = 'soak';
  readonly uiPassword = `Soak-${randomBytes(12).toString('base64url')}`;

  constructor(
    private readonly program: GatewayProgram,
    private readonly env: NodeJS.ProcessEnv,
    readonly httpPort: number,
    private readonly config: string,
    /** Where everything the gateway writes goes (all its lives, appended). */
    private readonly logFile?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Creates the UI user the config changes log in with (`gridgate passwd`, password on stdin). */
  async createUser(): Promise<void> {
    const p = spawn(process.execPath, [...this.program.nodeArgs, 'passwd', this.uiUser, '--config', this.config], {
      cwd: this.program.cwd,
      env: { ...this.env, ...this.program.env },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => (err += String(d)));
    p.stdin.end(this.uiPassword);
    const code = await new Promise<number | null>((r) => p.once('exit', r));
    if (code !== 0) throw new Error(`gridgate passwd failed (${code}): ${err}`);
  }

  /** Starts the gateway and waits until /readyz answers 200; ms from spawn to ready. */
  async start(): Promise<number> {
    const t0 = performance.now();
    this.life++;
    const child = spawn(process.execPath, [...this.program.nodeArgs, 'run', '--config', this.config], {
      cwd: this.program.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...this.env, ...this.program.env },
    });
    const log = this.logFile ? createWriteStream(this.logFile, { flags: 'a' }) : undefined;
    log?.write(`--- life ${this.life}, started ${new Date().toISOString()}\n`);
    child.stdout?.on('data', (d: Buffer) => log?.write(d));
    child.once('exit', () => log?.end());
    child.stderr?.on('data', (d: Buffer) => {
      log?.write(d);
      for (const line of String(d).split('\n').filter(Boolean)) {
        this.tail.push(line.slice(0, 400));
        if (this.tail.length > 40) this.tail.shift();
      }
    });
    this.child = child;
    while (performance.now() - t0 < 120_000) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`gateway exited at start (${child.exitCode ?? child.signalCode}):\n${this.tail.join('\n')}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error('gateway not ready within 120 s');
  }

  /** Sends a signal and waits for the exit; ms until it exited and the exit code or signal. */
  async stop(signal: 'SIGKILL' | 'SIGTERM', timeoutMs = 60_000): Promise<{ ms: number; exit: string }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return { ms: 0, exit: 'not running' };
    const t0 = performance.now();
    const exited = new Promise<string>((r) => child.once('exit', (code, sig) => r(sig ?? String(code))));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const exit = await exited;
    clearTimeout(timer);
    return { ms: performance.now() - t0, exit };
  }

  alive(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }
}
