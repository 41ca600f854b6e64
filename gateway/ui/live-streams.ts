import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { errorMessage } from '../core/errors.js';
import { redactUrlCredentials } from '../core/logger.js';

export interface LiveStreamsOptions {
  /** The RTSP URL (with credentials) of a device's channel. */
  resolve: (device: string, channel: number) => Promise<string>;
  log: Logger;
  ffmpegPath?: string;
  /** Restart delays: doubling from min to max (ms); reset after a run of `stableMs`. */
  backoff?: { minMs: number; maxMs: number; stableMs: number };
  /** Output width in pixels (height keeps the aspect); 640 suits a phone and a 2-core box. */
  width?: number;
}

type Viewer = (chunk: Buffer) => void;

interface Stream {
  key: string;
  viewers: Set<Viewer>;
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
  attempt: number;
  startedAt: number;
  restarts: number;
  lastError?: string;
}

/**
 * Live view: one ffmpeg per watched channel, reading RTSP and writing MPEG-TS with MPEG-1 video
 * (what the JSMpeg player decodes in any browser, no plugin), fanned out to every viewer. It
 * starts with the first viewer, stops with the last, and restarts with backoff when ffmpeg
 * exits while someone still watches.
 */
export class LiveStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly o: LiveStreamsOptions) {}

  /** Adds a viewer; returns the function that removes it. */
  join(device: string, channel: number, viewer: Viewer): () => void {
    const key = `${device}/${channel}`;
    let s = this.streams.get(key);
    if (!s) {
      s = { key, viewers: new Set(), attempt: 0, startedAt: 0, restarts: 0 };
      this.streams.set(key, s);
    }
    s.viewers.add(viewer);
    if (s.viewers.size === 1 && !s.child && !s.timer) void this.start(s, device, channel);
    const stream = s;
    return () => {
      stream.viewers.delete(viewer);
      if (stream.viewers.size === 0) this.halt(stream);
    };
  }

  stats(): Array<{ key: string; viewers: number; running: boolean; pid?: number; restarts: number; lastError?: string }> {
    return [...this.streams.values()].map((s) => ({ key: s.key, viewers: s.viewers.size, running: Boolean(s.child), pid: s.child?.pid, restarts: s.restarts, lastError: s.lastError }));
  }

  stopAll(): void {
    for (const s of this.streams.values()) {
      s.viewers.clear();
      this.halt(s);
    }
  }

  private async start(s: Stream, device: string, channel: number): Promise<void> {
    s.timer = undefined;
    if (s.viewers.size === 0) return;
    let url: string;
    try {
      url = await this.o.resolve(device, channel);
    } catch (err) {
      s.lastError = errorMessage(err);
      this.o.log.warn({ stream: s.key, error: s.lastError }, 'live view: no stream address');
      this.retry(s, device, channel);
      return;
    }
    if (s.viewers.size === 0 || s.child) return;
    const width = this.o.width ?? 640;
    // prettier-ignore
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin',
      ...(url.startsWith('rtsp') ? ['-rtsp_transport', 'tcp', '-timeout', '5000000'] : []), '-i', url,
      '-an', '-vf', `scale=${width}:-2`, '-f', 'mpegts', '-codec:v', 'mpeg1video', '-b:v', '800k', '-bf', '0', '-r', '25', 'pipe:1'];
    const child = spawn(this.o.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    s.child = child;
    s.startedAt = Date.now();
    this.o.log.info({ stream: s.key, pid: child.pid, url: redactUrlCredentials(url) }, 'live view started');
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-500);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const v of s.viewers) v(chunk);
    });
    child.on('error', (err) => {
      s.lastError = errorMessage(err);
    });
    child.on('close', (code, signal) => {
      if (s.child === child) s.child = undefined;
      if (s.viewers.size === 0) return;
      s.lastError = redactUrlCredentials(stderr.trim().split('\n').pop() || `ffmpeg exited (${code ?? signal})`);
      this.o.log.warn({ stream: s.key, code, signal, error: s.lastError }, 'live view ffmpeg exited: restarting');
      if (Date.now() - s.startedAt > (this.o.backoff?.stableMs ?? 10_000)) s.attempt = 0;
      this.retry(s, device, channel);
    });
  }

  private retry(s: Stream, device: string, channel: number): void {
    if (s.viewers.size === 0) return;
    const b = this.o.backoff ?? { minMs: 1000, maxMs: 30_000, stableMs: 10_000 };
    const delay = Math.min(b.maxMs, b.minMs * 2 ** s.attempt);
    s.attempt++;
    s.restarts++;
    s.timer = setTimeout(() => void this.start(s, device, channel), delay);
  }

  private halt(s: Stream): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    const child = s.child;
    s.child = undefined;
    s.attempt = 0;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => clearTimeout(force));
      this.o.log.info({ stream: s.key, pid: child.pid }, 'live view stopped: no viewers');
    }
    this.streams.delete(s.key);
  }
}
