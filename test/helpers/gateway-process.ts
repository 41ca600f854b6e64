import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { GatewayConfigInput } from '../../gateway/config/schema/gateway-config.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The gateway as a real child process (as systemd runs it), on a configuration file it writes. */
export class GatewayProcess {
  child: ChildProcess | undefined;
  output = '';
  readonly configPath: string;

  constructor(
    dir: string,
    config: GatewayConfigInput,
    private readonly wrap: string[] = [],
  ) {
    this.configPath = join(dir, 'gridgate.yaml');
    writeFileSync(this.configPath, stringify(config));
  }

  start(env: NodeJS.ProcessEnv = {}): ChildProcess {
    const node = [process.execPath, '--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'run', '--config', this.configPath];
    const [cmd, ...args] = [...this.wrap, ...node];
    const child = spawn(cmd!, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRIDGATE_LOG_LEVEL: 'warn', ...env } });
    child.stdout?.on('data', (d) => {
      this.output += String(d);
    });
    child.stderr?.on('data', (d) => {
      this.output += String(d);
    });
    this.child = child;
    return child;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    return exited;
  }

  /** Waits for the process to exit by itself; its exit code. */
  exited(timeoutMs = 15_000): Promise<number | null> {
    const child = this.child!;
    if (child.exitCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolveExit, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not exit in ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolveExit(code);
      });
    });
  }
}
