import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { errorMessage, GatewayError } from '../core/errors.js';
import { redactUrlCredentials } from '../core/logger.js';
import { checkStreamUrl, publicStreamError } from './live-url.js';

export interface LiveLimits {
  /** ffmpeg processes at once (one per watched stream, shared by its viewers). */
  maxTranscodes: number;
  /** Viewers (sockets) one user may hold. */
  maxViewersPerUser: number;
  /** Viewers on this gateway, all users. */
  maxViewers: number;
}

/** For a 2-core box: one 1080p H.264 → 640-pixel MPEG-1 transcode costs about a quarter of a core, so 4 take one of the 2 (docs/security.md). */
export const DEFAULT_LIVE_LIMITS: LiveLimits = { maxTranscodes: 4, maxViewersPerUser: 4, maxViewers: 16 };

export interface LiveStreamsOptions {
  /** The RTSP URL (with credentials) of a device's channel. */
  resolve: (device: string, channel: number) => Promise<string>;
  log: Logger;
  ffmpegPath?: string;
  /** Restart delays: doubling from min to max (ms); reset after a run of `stableMs`. */
  backoff?: { minMs: number; maxMs: number; stableMs: number };
  /** Output width in pixels (height keeps the aspect); 640 suits a phone and a 2-core box. */
  width?: number;
  /** The caps in force (read at each join, so a configuration change applies to the next viewer). */
  limits?: () => LiveLimits;
  /** How often the CPU time of the ffmpeg processes is read (ms). */
  cpuSampleMs?: number;
}

type Send = (chunk: Buffer) => void;

interface Viewer {
  send: Send;
  owner: string;
}

interface Stream {
  key: string;
  viewers: Set<Viewer>;
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
  attempt: number;
  startedAt: number;
  restarts: number;
  /** What a viewer may see: a category, never ffmpeg's text (file names, URLs). */
  lastError?: string;
  /** CPU seconds of the current ffmpeg, last read; and the share of one core over the last sample. */
  cpu: { seconds: number; percent: number; at: number };
}

/**
 * ffmpeg's arguments: no address, no credentials. The input is an ffconcat script on stdin
 * (pipe:0); the protocol whitelist is inherited by the input the script names (ffmpeg 5.1
 * concat demuxer copies it), so the camera's stream may use TCP (RTSP interleaved) and TLS
 * (rtsps) only.
 */
export function ffmpegArgs(width: number): string[] {
  // prettier-ignore
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-protocol_whitelist',
    'pipe,tcp,tls',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    'pipe:0',
    '-an',
    '-vf',
    `scale=${width}:-2`,
    '-f',
    'mpegts',
    '-codec:v',
    'mpeg1video',
    '-b:v',
    '800k',
    '-bf',
    '0',
    '-r',
    '25',
    'pipe:1',
  ];
}

/**
 * The one-entry ffconcat script (ffmpeg-formats, "concat": `file` takes a quoted string, `option`
 * applies to opening that input). checkStreamUrl removed quotes and backslashes, so the address
 * cannot end its string. timeout: the RTSP socket I/O timeout, in microseconds (5 s).
 */
export function ffconcatScript(url: string): string {
  return `ffconcat version 1.0\nfile '${url}'\noption rtsp_transport tcp\noption timeout 5000000\n`;
}

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in these ticks (proc(5)). */
const CLOCK_TICKS = 100;

/**
 * Live view: one ffmpeg per watched channel, reading RTSP and writing MPEG-TS with MPEG-1 video
 * (what the JSMpeg player decodes in any browser, no plugin), fanned out to every viewer. It
 * starts with the first viewer, stops with the last, and restarts with backoff when ffmpeg
 * exits while someone still watches.
 *
 * Hardening (issue 12, findings 3 and 4, docs/security.md):
 * - the address is checked (rtsp/rtsps only, see live-url.ts) and handed to ffmpeg on its stdin
 *   as a one-entry ffconcat script, so the camera's password is never on a command line (`ps`
 *   shows it to every local user) nor in an environment; ffmpeg gets an empty environment;
 * - `-protocol_whitelist pipe,tcp,tls`: the script on stdin, RTSP interleaved over TCP, TLS for
 *   rtsps; no `file`, `concat`, `http`, `udp` or anything else a hostile address could name;
 * - caps per user, per gateway and on transcodes (one per stream, shared by its viewers);
 * - the CPU time of the ffmpeg processes is measured and reported.
 */
export class LiveStreams {
  private readonly streams = new Map<string, Stream>();
  private cpuTimer: NodeJS.Timeout | undefined;
  private cpuSecondsTotal = 0;
  private refusedTotal = 0;

  constructor(private readonly o: LiveStreamsOptions) {}

  /**
   * Adds a viewer; returns the function that removes it. Throws `E_LIVE_LIMIT` (with a message a
   * viewer can act on) when a cap is reached.
   */
  join(device: string, channel: number, send: Send, owner = 'anonymous'): () => void {
    const key = `${device}/${channel}`;
    const limits = this.o.limits?.() ?? DEFAULT_LIVE_LIMITS;
    let total = 0;
    let mine = 0;
    for (const s of this.streams.values())
      for (const v of s.viewers) {
        total++;
        if (v.owner === owner) mine++;
      }
    const refuse = (message: string) => {
      this.refusedTotal++;
      this.o.log.warn({ stream: key, owner, limits }, 'live view refused: limit reached');
      return new GatewayError('E_LIVE_LIMIT', message);
    };
    if (mine >= limits.maxViewersPerUser)
      throw refuse(`live view limit reached: you already watch ${mine} live views (at most ${limits.maxViewersPerUser}); close one first`);
    if (total >= limits.maxViewers)
      throw refuse(`live view limit reached: ${total} live views are open on this gateway (at most ${limits.maxViewers}); try again later`);
    let s = this.streams.get(key);
    if (!s) {
      if (this.streams.size >= limits.maxTranscodes)
        throw refuse(
          `live view limit reached: ${this.streams.size} cameras are streamed live on this gateway (at most ${limits.maxTranscodes}); watch one of those or close one`,
        );
      s = { key, viewers: new Set(), attempt: 0, startedAt: 0, restarts: 0, cpu: { seconds: 0, percent: 0, at: 0 } };
      this.streams.set(key, s);
    }
    const viewer: Viewer = { send, owner };
    s.viewers.add(viewer);
    if (s.viewers.size === 1 && !s.child && !s.timer) void this.start(s, device, channel);
    const stream = s;
    return () => {
      stream.viewers.delete(viewer);
      if (stream.viewers.size === 0) this.halt(stream);
    };
  }

  stats(): Array<{ key: string; viewers: number; running: boolean; pid?: number; restarts: number; lastError?: string; cpuPercent: number }> {
    return [...this.streams.values()].map((s) => ({
      key: s.key,
      viewers: s.viewers.size,
      running: Boolean(s.child),
      pid: s.child?.pid,
      restarts: s.restarts,
      lastError: s.lastError,
      cpuPercent: Math.round(s.cpu.percent),
    }));
  }

  /** Totals for metrics and status: transcodes running, viewers, CPU seconds used by ffmpeg so far, refusals. */
  totals(): { transcodes: number; viewers: number; cpuSecondsTotal: number; cpuPercent: number; refusedTotal: number } {
    this.sampleCpu();
    let viewers = 0;
    let transcodes = 0;
    let percent = 0;
    for (const s of this.streams.values()) {
      viewers += s.viewers.size;
      if (s.child) transcodes++;
      percent += s.cpu.percent;
    }
    return { transcodes, viewers, cpuSecondsTotal: this.cpuSecondsTotal, cpuPercent: Math.round(percent), refusedTotal: this.refusedTotal };
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
      url = checkStreamUrl(await this.o.resolve(device, channel));
    } catch (err) {
      const known = err instanceof GatewayError && (err.code === 'E_LIVE_URL' || err.code === 'E_LIVE_LIMIT');
      // Resolve errors can name secret files and paths: viewers get the category only.
      s.lastError = known ? errorMessage(err) : 'no usable stream address for this channel (the gateway log has the details)';
      this.o.log.warn({ stream: s.key, error: redactUrlCredentials(errorMessage(err)) }, 'live view: no usable stream address');
      this.retry(s, device, channel);
      return;
    }
    if (s.viewers.size === 0 || s.child) return;
    // No environment but PATH: nothing of the daemon's (secrets) reaches a process other tools inspect.
    const child = spawn(this.o.ffmpegPath ?? 'ffmpeg', ffmpegArgs(this.o.width ?? 640), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    s.child = child;
    s.startedAt = performance.now();
    s.cpu = { seconds: 0, percent: 0, at: performance.now() };
    child.stdin?.on('error', () => {}); // ffmpeg gone before reading: its exit is handled below
    child.stdin?.end(ffconcatScript(url));
    this.o.log.info({ stream: s.key, pid: child.pid, url: redactUrlCredentials(url) }, 'live view started');
    this.cpuTimer ??= setInterval(() => this.sampleCpu(), this.o.cpuSampleMs ?? 2000);
    this.cpuTimer.unref();
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const v of s.viewers) v.send(chunk);
    });
    child.on('error', (err) => {
      s.lastError = 'the video converter (ffmpeg) could not start';
      this.o.log.error({ stream: s.key, err }, 'live view: ffmpeg could not start');
    });
    child.on('close', (code, signal) => {
      if (s.child === child) s.child = undefined;
      if (s.viewers.size === 0) return;
      const text = redactUrlCredentials(stderr.trim()) || `ffmpeg exited (${code ?? signal})`;
      s.lastError = publicStreamError(text);
      this.o.log.warn({ stream: s.key, code, signal, error: text.split('\n').slice(-3).join(' | ') }, 'live view ffmpeg exited: restarting');
      if (performance.now() - s.startedAt > (this.o.backoff?.stableMs ?? 10_000)) s.attempt = 0;
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
    this.sampleCpu();
    s.child = undefined;
    s.attempt = 0;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => clearTimeout(force));
      this.o.log.info({ stream: s.key, pid: child.pid }, 'live view stopped: no viewers');
    }
    this.streams.delete(s.key);
    if (![...this.streams.values()].some((x) => x.child) && this.cpuTimer) {
      clearInterval(this.cpuTimer);
      this.cpuTimer = undefined;
    }
  }

  /** Reads utime + stime of each running ffmpeg (proc(5) fields 14 and 15) and adds what is new. */
  private sampleCpu(): void {
    const now = performance.now();
    for (const s of this.streams.values()) {
      const pid = s.child?.pid;
      if (!pid) continue;
      let seconds: number;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      } catch {
        continue; // exited between the check and the read
      }
      if (!Number.isFinite(seconds)) continue;
      const used = Math.max(0, seconds - s.cpu.seconds);
      this.cpuSecondsTotal += used;
      const elapsed = (now - s.cpu.at) / 1000;
      s.cpu = { seconds, percent: elapsed > 0.2 ? (100 * used) / elapsed : s.cpu.percent, at: now };
    }
  }
}
