import type { Logger } from 'pino';
import type { SecretRef } from '../config/schema/common.js';
import type { DeviceConfig } from '../config/schema/devices.js';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { createIdFactory } from '../core/ids.js';
import type { Mode, Reading } from '../core/model.js';
import type { DeviceStatusUpdate, DeviceTestContext, DeviceTrial, Driver, DriverContext, RawSample } from '../devices/driver.js';
import { Normalizer } from '../pipeline/normalizer.js';

export interface DeviceTestResult {
  ok: boolean;
  /** What the device said in the test window, in words. */
  status?: DeviceStatusUpdate;
  /** The one point read on demand (Modbus), normalized like a polled value. */
  reading?: Reading;
  /** The last values seen while the device ran (an MQTT device's last messages). */
  seen: Reading[];
  /** A JPEG preview (cameras), as a data: URL. */
  snapshot?: string;
  errors: string[];
  tookMs: number;
}

/** Runs a device under test on the running gateway's driver; undefined when that driver has no test entry point. */
export type TrialFactory = (device: DeviceConfig, test: DeviceTestContext) => Promise<DeviceTrial | undefined>;

/**
 * Tests a device configuration before it is saved. The running gateway's driver takes it
 * (`trial`: Driver.testDevice through the device manager): on an RTU line the test's requests
 * wait in the line's queue with the polls, on the embedded broker the device's topics are watched
 * where the sensors already publish, and passwords resolve as the daemon resolves them. A driver
 * without that entry point (synthetic) gets a fresh instance for the test. For a few seconds the
 * device reports to the test only; one point is read (if the driver can read), a snapshot taken
 * (if it can), and what the device reported is returned. Nothing goes to the outbox.
 */
export async function testDevice(
  device: DeviceConfig,
  o: {
    trial?: TrialFactory;
    readSecret?: (ref: SecretRef) => string;
    drivers: () => Map<string, Driver>;
    log: Logger;
    mode: () => Mode;
    point?: string;
    waitMs?: number;
  },
): Promise<DeviceTestResult> {
  const started = performance.now(); // a duration (tookMs): monotonic
  const errors: string[] = [];
  const normalizer = new Normalizer(createIdFactory(), systemClock, o.log);
  normalizer.setDevicePoints(device.id, device.points);
  let status: DeviceStatusUpdate | undefined;
  const seen = new Map<string, Reading>();
  let wake: (() => void) | undefined;
  const sink: DeviceTestContext = {
    samples: (batch: RawSample[]) => {
      for (const s of batch) seen.set(s.point, normalizer.preview(s));
      wake?.();
    },
    status: (update) => {
      status = update;
      // "Waiting for the first message" is not the device's first word.
      if (update.status === 'online' || update.error !== 'waiting for the first message') wake?.();
    },
    ...(o.readSecret ? { readSecret: o.readSecret } : {}),
  };
  const waitMs = o.waitMs ?? 5000;
  const signal = AbortSignal.timeout(waitMs + 5000);
  const result: DeviceTestResult = { ok: false, seen: [], errors, tookMs: 0 };
  let trial: DeviceTrial | undefined;
  try {
    trial = (await o.trial?.({ ...device, enabled: true }, sink)) ?? (await freshTrial(device, sink, o));
    if (!trial) return { ok: false, errors: [`no driver "${device.driver}" in this build`], seen: [], tookMs: 0 };
    // Wait for the first word from the device (a status or a value), at most waitMs.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
      if ((status && status.error !== 'waiting for the first message') || seen.size) wake();
    });
    wake = undefined;
    const point = o.point ?? device.points[0]?.name;
    if (trial.read && point) {
      try {
        result.reading = normalizer.preview(await trial.read(point, signal));
        if (result.reading.quality === 'bad') errors.push(`read ${point}: ${result.reading.error}`);
      } catch (err) {
        errors.push(`read ${point}: ${errorMessage(err)}`);
      }
    }
    if (trial.snapshot) {
      try {
        result.snapshot = `data:image/jpeg;base64,${(await trial.snapshot(undefined, signal)).toString('base64')}`;
      } catch (err) {
        errors.push(`snapshot: ${errorMessage(err)}`);
      }
    }
  } catch (err) {
    errors.push(errorMessage(err));
  } finally {
    await trial?.close().catch((err: unknown) => o.log.warn({ err, device: device.id }, 'device test did not close cleanly'));
  }
  if (status && status.status !== 'online' && status.error) errors.push(status.error);
  result.status = status;
  result.seen = [...seen.values()];
  result.ok = errors.length === 0 && (status?.status === 'online' || result.reading !== undefined || seen.size > 0 || result.snapshot !== undefined);
  result.tookMs = Math.round(performance.now() - started);
  return result;
}

/** A fresh driver instance holding just this device (drivers without Driver.testDevice). */
async function freshTrial(
  device: DeviceConfig,
  sink: DeviceTestContext,
  o: { drivers: () => Map<string, Driver>; log: Logger; mode: () => Mode },
): Promise<DeviceTrial | undefined> {
  const driver = o.drivers().get(device.driver);
  if (!driver) return undefined;
  const ctx: DriverContext = {
    log: o.log.child({ test: device.id }),
    clock: systemClock,
    samples: (batch) => sink.samples(batch),
    event: () => {},
    status: (_id, update) => sink.status(update),
    mode: o.mode,
    onModeChange: () => () => {},
  };
  const close = async () => {
    await driver.removeDevice(device.id).catch(() => {});
    await driver.stop(AbortSignal.timeout(2000)).catch(() => {});
  };
  try {
    await driver.start(ctx);
    await driver.addDevice({ ...device, enabled: true });
  } catch (err) {
    await close();
    throw err;
  }
  const read = driver.read;
  const snapshot = driver.snapshot;
  return {
    ...(read ? { read: (point: string, signal?: AbortSignal) => read.call(driver, device.id, point, signal) } : {}),
    ...(snapshot ? { snapshot: (channel: number | undefined, signal?: AbortSignal) => snapshot.call(driver, device.id, channel, signal) } : {}),
    close,
  };
}
