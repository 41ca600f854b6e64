import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The simulator's end. */
  device: string;
  /** The gateway's end (what a device config's connection.path names). */
  gateway: string;
  close(): Promise<void>;
}

/**
 * A virtual serial line: two linked pseudo-terminals made by socat (Debian package `socat`),
 * standing in for an RS-485 adapter in tests and demos. Raw mode, no echo, as a real line.
 */
export async function openPtyPair(socat = '/usr/bin/socat'): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'gridgate-pty-'));
  const device = join(dir, 'device');
  const gateway = join(dir, 'gateway');
  const child: ChildProcess = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${gateway}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = Date.now();
  while (!(existsSync(device) && existsSync(gateway))) {
    if (child.exitCode !== null || Date.now() - started > 5000) {
      child.kill();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`socat did not create a pty pair: ${stderr.trim() || 'timed out'}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    device,
    gateway,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
