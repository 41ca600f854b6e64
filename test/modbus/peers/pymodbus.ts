import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's python3 (python3-pymodbus is installed for it, not for a pyenv python on PATH). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pymodbus-server.py', import.meta.url));

export interface PymodbusServer {
  /** The TCP port (0 for RTU). */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts pymodbus-server.py (units 7 and 8, a contiguous map at holding 0..9 and a map with holes
 * at 100..108) serving RTU on a serial path or Modbus TCP on loopback.
 */
export async function startPymodbus(kind: 'rtu', path: string): Promise<PymodbusServer>;
export async function startPymodbus(kind: 'tcp'): Promise<PymodbusServer>;
export async function startPymodbus(kind: 'rtu' | 'tcp', path?: string): Promise<PymodbusServer> {
  const child: ChildProcess = spawn(PYTHON, [SCRIPT, kind, kind === 'rtu' ? path! : '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pymodbus did not start in 15 s: ${err.trim()}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pymodbus exited (${code}): ${err.trim()}`));
    });
  });
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
