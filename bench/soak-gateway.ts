/** The gateway under soak: a child process (as systemd runs it), killed and restarted on the day's schedule. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sleep } from './soak-faults.js';

export class GatewayChild {
  child: ChildProcess | undefined;
  life = 0;
  /** The last lines the gateway wrote to stderr (it logs at warn), for the report when it dies. */
  readonly tail: string[] = [];
  readonly uiUser = 'soak';
  readonly uiPassword = `Soak-${randomBytes(12).toString('base64url')}`;
  private readonly args: string[];

  constructor(
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly httpPort: number,
    private readonly config: string,
  ) {
    // Through tsx as `npm start` does; semi-space capped as on the 2-core box (docs/operations.md).
    this.args = ['--max-semi-space-size=2', '--import', 'tsx', join(root, 'gateway/cli/main.ts'), 'run', '--config', config];
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Creates the UI user the config changes log in with (`gridgate passwd`, password on stdin). */
  async createUser(): Promise<void> {
    const p = spawn(process.execPath, ['--import', 'tsx', join(this.root, 'gateway/cli/main.ts'), 'passwd', this.uiUser, '--config', this.config], {
      cwd: this.root,
      env: this.env,
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
    const child = spawn(process.execPath, this.args, { cwd: this.root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...this.env, MALLOC_ARENA_MAX: '2' } });
    child.stderr?.on('data', (d: Buffer) => {
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
