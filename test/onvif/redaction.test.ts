import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import { onvifDeviceSchema } from '../../drivers/onvif/schema.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { RecordingContext } from '../helpers/recording-context.js';
import { poll } from './sim-harness.js';

const SECRET = 'Zq9-very-secret';

/** A RecordingContext whose logger keeps every line at debug level. */
class LoggingContext extends RecordingContext {
  readonly lines: string[] = [];
  override readonly log = pino(
    { level: 'debug' },
    new Writable({
      write: (chunk, _enc, done) => {
        this.lines.push(String(chunk));
        done();
      },
    }),
  );
}

let set: CameraSet | undefined;
afterEach(async () => {
  await set?.stop();
  set = undefined;
});

describe('credentials stay out of logs and device state', () => {
  it('redacts rtsp://user:pass@ URIs in meta and never logs the password, also on auth failures', async () => {
    set = await startCameraSet({ cameras: 2, credentials: { username: 'admin', password: SECRET }, streamCredentials: true });
    const ctx = new LoggingContext();
    const driver = new OnvifDriver({ readSecret: (ref) => ('env' in ref && ref.env === 'GOOD' ? SECRET : 'wrong-one') });
    await driver.start(ctx);
    const base = { kind: 'camera', driver: 'onvif', username: 'admin', requestTimeoutMs: 1000, events: { pullTimeoutMs: 1000 } };
    await driver.addDevice(onvifDeviceSchema.parse({ ...base, id: 'good', url: set.devices[0]!.url, password: { env: 'GOOD' } }));
    await driver.addDevice(onvifDeviceSchema.parse({ ...base, id: 'bad', url: set.devices[1]!.url, password: { env: 'BAD' } }));
    await poll(
      () => driver.stats().find((s) => s.device === 'good')?.subscription?.state === 'active' && ctx.lastStatus('bad')?.meta?.reason === 'auth-failed',
      'both settled',
    );
    expect(ctx.lastStatus('good')!.meta!.channels).toEqual([{ channel: 1, stream: 'rtsp://***:***@127.0.0.1:554/ch1/main', snapshot: true }]);
    await driver.stop(AbortSignal.timeout(3000));
    const everything = JSON.stringify(ctx.recorded) + ctx.lines.join('');
    expect(ctx.lines.length).toBeGreaterThan(0);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('wrong-one');
  });
});
