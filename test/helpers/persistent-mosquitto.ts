import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { vi } from 'vitest';

/**
 * Debian's Mosquitto on a fixed port with persistence on, as a city cluster node is run
 * (docs/operations.md): sessions, subscriptions and queued QoS 1 messages survive a restart.
 */
export class PersistentMosquitto {
  private child: ChildProcess | undefined;
  constructor(
    private readonly dir: string,
    readonly port: number,
  ) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        // Started as root, Mosquitto drops to user "mosquitto", which cannot write this folder.
        `user ${userInfo().username}`,
        'max_queued_messages 100000',
        'log_dest stderr',
        'log_type error',
      ].join('\n') + '\n',
    );
  }
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn(process.env.MOSQUITTO ?? '/usr/sbin/mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
    await vi.waitFor(
      async () => {
        const c = mqtt.connect(this.url, { reconnectPeriod: 0, connectTimeout: 1000 });
        try {
          await new Promise<void>((ok, fail) => {
            c.once('connect', () => ok());
            c.once('error', fail);
            c.once('close', () => fail(new Error('closed')));
          });
        } finally {
          c.end(true);
        }
      },
      { timeout: 10_000, interval: 100 },
    );
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
