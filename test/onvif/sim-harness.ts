import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import { type OnvifDeviceConfig, onvifDeviceSchema } from '../../drivers/onvif/schema.js';
import { type CameraSet, type CameraSetOptions, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { RecordingContext } from '../helpers/recording-context.js';

export const PASSWORD = 's3cret-pw';

/** A camera set and a started driver with every simulated device added. */
export interface Harness {
  set: CameraSet;
  ctx: RecordingContext;
  readonly driver: OnvifDriver;
  config(id: string): OnvifDeviceConfig;
  close(): Promise<void>;
}

export async function startHarness(
  setOptions: CameraSetOptions,
  device: Partial<Record<string, unknown>> = {},
  password = PASSWORD,
  /** Runs after the simulator starts and before any device is added (to set faults up front). */
  beforeAdd?: (set: CameraSet) => Promise<void>,
): Promise<Harness> {
  const set = await startCameraSet({ credentials: { username: 'admin', password: PASSWORD }, ...setOptions });
  await beforeAdd?.(set);
  const ctx = new RecordingContext();
  const driver = new OnvifDriver({ readSecret: () => password });
  await driver.start(ctx);
  const configs = new Map<string, OnvifDeviceConfig>();
  for (const d of set.devices) {
    const cfg = onvifDeviceSchema.parse({
      id: d.id,
      kind: d.kind,
      driver: 'onvif',
      url: d.url,
      username: 'admin',
      password: { env: 'GRIDGATE_TEST_CAMERA_PASSWORD' },
      requestTimeoutMs: 1000,
      ...device,
      events: { pullTimeoutMs: 1000, terminationMs: 10_000, ...(device.events as object) },
    });
    configs.set(d.id, cfg);
    await driver.addDevice(cfg);
  }
  return {
    set,
    ctx,
    driver,
    config: (id) => configs.get(id)!,
    close: async () => {
      await driver.stop(AbortSignal.timeout(5000));
      await set.stop();
    },
  };
}

/** Resolves when the device's subscription is active (after `resubscribes` recoveries). */
export function subscribed(h: Harness, id: string, resubscribes = 0): Promise<void> {
  return poll(() => {
    const s = h.driver.stats().find((x) => x.device === id)?.subscription;
    return s?.state === 'active' && s.resubscribes >= resubscribes;
  }, `${id} subscribed (resubscribes ≥ ${resubscribes})`);
}

/**
 * Polls `predicate` every 20 ms (for state that changes without a context report, e.g. stats()).
 * The limit only turns a hang into a readable failure; nothing asserts how fast it happened.
 */
export async function poll(predicate: () => boolean, what: string, limitMs = 45_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`gave up after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function eventsOf(h: Harness, device: string, type?: string) {
  return h.ctx.recorded.events.filter((e) => e.device === device && (type === undefined || e.type === type));
}
