import { PassThrough } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { consoleLogStream } from '../../simulators/demo/demo-command.js';

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
});
