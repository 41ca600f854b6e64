import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { consoleLogStream } from '../../simulators/demo/demo-command.js';
import { RTSP_VIDEO_PACKAGES, startRtspVideo } from '../../simulators/onvif/rtsp-video.js';
import { tempDir } from '../helpers/gateway-harness.js';

describe('the demo console', () => {
  it('on a terminal prints readable lines (time, level, message, fields), never raw JSON', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const log = pino({ level: 'info' }, consoleLogStream(true, out)!);
    log.info({ component: 'devices', device: 'cam-001' }, 'device online');
    await new Promise((r) => setImmediate(r));
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\] .*INFO.*device online.*cam-001/);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('piped or under systemd keeps the JSON lines', () => {
    expect(consoleLogStream(false)).toBeUndefined();
  });

  it("without GStreamer's Python bindings the demo's video says which Debian packages to install", async () => {
    // A `gi` that cannot be imported, found before the real one (PYTHONPATH comes first): what
    // python3 says on a box without python3-gi.
    const dir = tempDir('gridgate-no-gi-');
    const before = process.env.PYTHONPATH;
    try {
      mkdirSync(join(dir.dir, 'gi'));
      writeFileSync(join(dir.dir, 'gi', '__init__.py'), 'raise ModuleNotFoundError("No module named \'gi\'")\n');
      process.env.PYTHONPATH = dir.dir;
      await expect(startRtspVideo({ host: '127.0.0.1', username: 'u', password: 'p', paths: ['/ch1/main'] })).rejects.toThrow(
        `GStreamer's RTSP server is not installed; install: apt-get install ${RTSP_VIDEO_PACKAGES}`,
      );
    } finally {
      if (before === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = before;
      dir.cleanup();
    }
  });
});
