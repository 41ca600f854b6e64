import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A Debian 12 root booted with systemd 252 as PID 1 (systemd-nspawn), for tests of the unit and
 * the package as an operator meets them. The debootstrapped base is cached between runs
 * (GRIDGATE_SYSTEMD_CACHE, default /var/cache/gridgate-systemd-test); each test boots a copy.
 * The container shares the host's network namespace (no --private-network): its services and the
 * test's brokers meet on 127.0.0.1.
 */
export const CACHE = process.env.GRIDGATE_SYSTEMD_CACHE ?? '/var/cache/gridgate-systemd-test';
const BASE = join(CACHE, 'bookworm-minbase');
/** adduser: the package's Depends; socat: a pty standing in for a serial line. */
const INCLUDE = 'systemd,systemd-sysv,dbus,adduser,socat';
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The Debian mirror apt on this machine uses (debootstrap needs one; only apt's own is reachable). */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].filter(existsSync);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822) return deb822[1]!;
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (oneLine) return oneLine[1]!;
  }
  throw new Error('no Debian mirror found in /etc/apt/sources.list{,.d/debian.sources}: debootstrap needs one');
}

/** Makes the cached base root once (debootstrap, ~1-2 min cold); later calls return at once. */
export function ensureBaseRoot(): string {
  const stamp = join(BASE, '.gridgate-base');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === INCLUDE) return BASE;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${BASE}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync('debootstrap', ['--variant=minbase', `--include=${INCLUDE}`, 'bookworm', tmp, debianMirror()], { stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(join(tmp, '.gridgate-base'), `${INCLUDE}\n`);
  rmSync(BASE, { recursive: true, force: true });
  renameSync(tmp, BASE);
  return BASE;
}

export class BootedContainer {
  private nspawn?: ChildProcess;
  private exited = false;
  /** Host PID of the container's systemd (PID 1 inside). */
  pid1 = 0;

  private constructor(
    readonly root: string,
    readonly consoleLog: string,
  ) {}

  /** Copies the cached base into a fresh root and boots it; resolves once systemd reports running. */
  static async boot(name: string): Promise<BootedContainer> {
    const base = ensureBaseRoot();
    const dir = mkdtempSync(join(CACHE, `run-${name}-`));
    const root = join(dir, 'root');
    execFileSync('cp', ['-a', '--reflink=auto', base, root]);
    const c = new BootedContainer(root, join(dir, 'console.log'));
    try {
      await c.start();
    } catch (err) {
      c.nspawn?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return c;
  }

  private async start(): Promise<void> {
    const out = openSync(this.consoleLog, 'a');
    // --register=no --keep-unit: this host has no system bus to register a machine with.
    this.nspawn = spawn('systemd-nspawn', ['-q', '-D', this.root, '--boot', '--register=no', '--keep-unit', `--machine=gg-${process.pid}`], {
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.nspawn.once('exit', () => {
      this.exited = true;
    });
    const deadline = performance.now() + 60_000;
    while (!this.pid1) {
      if (this.exited) throw new Error(`systemd-nspawn exited at boot; console:\n${readFileSync(this.consoleLog, 'utf8')}`);
      if (performance.now() > deadline) throw new Error('no container PID 1 after 60 s');
      this.pid1 = findChild(this.nspawn.pid!, 'systemd');
      if (!this.pid1) await delay(100);
    }
    // degraded is fine (a minbase root has units that fail without hardware); starting is not.
    // Until systemd has opened its bus socket, systemctl fails at once ("Failed to connect to bus").
    for (;;) {
      const state = await this.run(['systemctl', 'is-system-running', '--wait']);
      if (/running|degraded/.test(state.stdout)) return;
      if (this.exited || performance.now() > deadline + 120_000) throw new Error(`container did not boot: ${state.stdout}${state.stderr}`);
      await delay(250);
    }
  }

  /** Runs a command inside the container (all its namespaces), with a clean environment. */
  run(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = execFile(
        'nsenter',
        ['-t', String(this.pid1), '-a', '--', 'env', '-i', PATH, 'LANG=C.UTF-8', 'SYSTEMD_PAGER=', 'SYSTEMD_COLORS=0', ...args],
        { timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  /** Like run, but throws with the output when the command fails. */
  async ok(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(args, options);
    if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** `systemctl show` properties as a record. */
  async show(unit: string, props: string[]): Promise<Record<string, string>> {
    const out = await this.ok(['systemctl', 'show', unit, ...props.map((p) => `--property=${p}`)]);
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  /** The unit's journal (message text only), all of it or after a cursor from cursor(). */
  async journal(unit: string, after?: string): Promise<string> {
    return this.ok(['journalctl', '--no-pager', '-u', unit, '-o', 'cat', ...(after ? [`--after-cursor=${after}`] : [])]);
  }

  /** The journal's current end, for journal(unit, after). */
  async cursor(): Promise<string> {
    const out = await this.ok(['journalctl', '--no-pager', '-n', '1', '--show-cursor', '-o', 'cat']);
    const m = /-- cursor: (\S+)/.exec(out);
    if (!m) throw new Error(`no journal cursor in: ${out}`);
    return m[1]!;
  }

  /** Path on the host of a path inside the container. */
  path(inside: string): string {
    return join(this.root, inside);
  }

  /** Powers the container off (then kills systemd-nspawn if it hangs) and deletes its root. */
  async destroy(): Promise<void> {
    if (this.nspawn && !this.exited) {
      const gone = new Promise<void>((r) => this.nspawn!.once('exit', () => r()));
      await this.run(['systemctl', 'poweroff'], { timeoutMs: 10_000 });
      const timer = setTimeout(() => this.nspawn?.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    }
    if (!process.env.GRIDGATE_KEEP_CONTAINER) rmSync(join(this.root, '..'), { recursive: true, force: true });
  }
}

/** The child of `parent` whose command name is `comm` (the container's init). */
function findChild(parent: number, comm: string): number {
  try {
    for (const tid of execFileSync('ls', [`/proc/${parent}/task`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)) {
      for (const child of readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === comm) return Number(child);
      }
    }
  } catch {
    // The process is still starting, or already gone: the caller retries.
  }
  return 0;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
