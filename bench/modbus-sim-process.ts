import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface SimProcess {
  endpoints: Array<{ id: string; unit: number; port: number }>;
  child: ChildProcess;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Starts the Modbus simulator CLI (simulators/modbus/cli.ts) in a child process and reads the
 * endpoints it prints. A process of its own, so the simulator's work is not counted as the
 * measuring process's, and it does not compete with it for one event loop.
 */
export async function startSimulatorProcess(args: string[], count: number): Promise<SimProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/modbus/cli.ts', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const endpoints: SimProcess['endpoints'] = [];
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    rl.on('line', (line) => {
      const [id, unit, address] = line.split('\t');
      if (!id || !unit || !address) return;
      endpoints.push({ id, unit: Number(unit.replace('unit ', '')), port: Number(address.split(':')[1]) });
      if (endpoints.length === count) resolve();
    });
  });
  return {
    endpoints,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
