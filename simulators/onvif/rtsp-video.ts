import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What to install when the RTSP server cannot start (Debian). */
export const RTSP_VIDEO_PACKAGES = 'python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly';

export interface RtspVideo {
  port: number;
  stop(): Promise<void>;
}

/**
 * Real RTSP video for the simulated cameras (GStreamer's RTSP server, a process of its own): the
 * given paths (e.g. `/ch1/main`) on host:port with the cameras' credentials. Rejects with the
 * Debian packages to install when GStreamer or its Python bindings are missing.
 */
export async function startRtspVideo(options: { host: string; port?: number; username: string; password: string; paths: string[] }): Promise<RtspVideo> {
  const script = fileURLToPath(new URL('./rtsp-video-server.py', import.meta.url));
  const child: ChildProcess = spawn(
    '/usr/bin/python3',
    [script, options.host, String(options.port ?? 0), options.username, options.password, options.paths.join(',')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((ok, fail) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('error', (e) => fail(new Error(`live video: python3 could not start (${e.message}); install: apt-get install ${RTSP_VIDEO_PACKAGES}`)));
    child.stdout?.once('data', (d: Buffer) => ok(Number(d.toString().trim())));
    child.once('exit', (code) => {
      const missing = /No module named 'gi'|Namespace GstRtspServer not available|Namespace Gst not available/.test(err);
      fail(
        new Error(
          missing
            ? `live video: GStreamer's RTSP server is not installed; install: apt-get install ${RTSP_VIDEO_PACKAGES}`
            : `live video: the RTSP server exited (${code}): ${err.trim().split('\n').at(-1) ?? ''}`,
        ),
      );
    });
  });
  return {
    port,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
