import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** A real RTSP camera stand-in: GStreamer's RTSP server (python3-gi) with basic auth. */
export async function startRtspServer(user: string, password: string): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn('/usr/bin/python3', [resolve('test/ui/rtsp-test-server.py'), user, password], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((ok, fail) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.once('data', (d: Buffer) => ok(Number(d.toString().trim())));
    child.once('exit', (code) => fail(new Error(`RTSP test server exited (${code}): ${err}`)));
  });
  return {
    port,
    url: `rtsp://127.0.0.1:${port}/live`,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
