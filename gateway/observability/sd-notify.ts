import { execFile } from 'node:child_process';

/**
 * systemd's notify protocol (sd_notify(3)): READY=1, STOPPING=1, WATCHDOG=1, STATUS=... sent to
 * $NOTIFY_SOCKET. Node cannot send unix datagrams itself, so this runs `systemd-notify` (the unit
 * sets NotifyAccess=all so a message from that child is accepted). Without $NOTIFY_SOCKET (not
 * under systemd) every call is a no-op.
 */
export class SdNotify {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly binary = '/usr/bin/systemd-notify',
  ) {}

  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  /** The watchdog interval systemd expects pings within (ms), if it set one for this process. */
  get watchdogMs(): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    const pid = this.env.WATCHDOG_PID;
    if (!usec || (pid && Number(pid) !== process.pid)) return undefined;
    return usec / 1000;
  }

  ready(status?: string): Promise<void> {
    return this.send(status ? ['--ready', `--status=${status}`] : ['--ready']);
  }

  stopping(): Promise<void> {
    return this.send(['STOPPING=1']);
  }

  watchdog(): Promise<void> {
    return this.send(['WATCHDOG=1']);
  }

  status(text: string): Promise<void> {
    return this.send([`--status=${text}`]);
  }

  private send(args: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    // --pid: the message is about the daemon, not the short-lived systemd-notify process.
    return new Promise((resolve) => {
      execFile(this.binary, [`--pid=${process.pid}`, ...args], { env: this.env, timeout: 5000 }, () => resolve());
    });
  }
}
