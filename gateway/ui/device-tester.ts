import type { Logger } from 'pino';
import type { DeviceConfig } from '../config/schema/devices.js';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { createIdFactory } from '../core/ids.js';
import type { Mode, Reading } from '../core/model.js';
import type { DeviceStatusUpdate, Driver, DriverContext, RawSample } from '../devices/driver.js';
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

/**
 * Tests a device configuration before it is saved: a fresh instance of its driver, outside the
 * running gateway, gets just this device for a few seconds; one point is read (if the driver can
 * read), a snapshot taken (if it can), and what the device reported is returned. Nothing goes to
 * the outbox.
 */
export async function testDevice(
  device: DeviceConfig,
  o: { drivers: () => Map<string, Driver>; log: Logger; mode: () => Mode; point?: string; waitMs?: number; secretEnv?: () => Record<string, string> },
): Promise<DeviceTestResult> {
  const started = performance.now(); // a duration (tookMs): monotonic
  const driver = o.drivers().get(device.driver);
  const errors: string[] = [];
  if (!driver) return { ok: false, errors: [`no driver "${device.driver}" in this build`], seen: [], tookMs: 0 };
  const normalizer = new Normalizer(createIdFactory(), systemClock, o.log);
  normalizer.setDevicePoints(device.id, device.points);
  let status: DeviceStatusUpdate | undefined;
  const seen = new Map<string, Reading>();
  let wake: (() => void) | undefined;
  const ctx: DriverContext = {
    log: o.log.child({ test: device.id }),
    clock: systemClock,
    samples: (batch: RawSample[]) => {
      for (const s of batch) seen.set(s.point, normalizer.preview(s));
      wake?.();
    },
    event: () => {},
    status: (_id, update) => {
      status = update;
      wake?.();
    },
    mode: o.mode,
    onModeChange: () => () => {},
  };
  const waitMs = o.waitMs ?? 5000;
  const signal = AbortSignal.timeout(waitMs + 5000);
  const result: DeviceTestResult = { ok: false, seen: [], errors, tookMs: 0 };
  try {
    await driver.start(ctx);
    await driver.addDevice({ ...device, enabled: true });
    // Wait for the first word from the device (a status or a value), at most waitMs.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
      if (status || seen.size) wake();
    });
    wake = undefined;
    const point = o.point ?? device.points[0]?.name;
    if (driver.read && point) {
      try {
        result.reading = normalizer.preview(await driver.read(device.id, point, signal));
        if (result.reading.quality === 'bad') errors.push(`read ${point}: ${result.reading.error}`);
      } catch (err) {
        errors.push(`read ${point}: ${errorMessage(err)}`);
      }
    }
    if (driver.snapshot) {
      try {
        result.snapshot = `data:image/jpeg;base64,${(await driver.snapshot(device.id, undefined, signal)).toString('base64')}`;
      } catch (err) {
        errors.push(`snapshot: ${errorMessage(err)}`);
      }
    }
  } catch (err) {
    errors.push(errorMessage(err));
  } finally {
    await driver.removeDevice(device.id).catch(() => {});
    await driver.stop(AbortSignal.timeout(2000)).catch(() => {});
  }
  if (status && status.status !== 'online' && status.error) errors.push(status.error);
  result.status = status;
  result.seen = [...seen.values()];
  result.ok = errors.length === 0 && (status?.status === 'online' || result.reading !== undefined || seen.size > 0 || result.snapshot !== undefined);
  result.tookMs = Math.round(performance.now() - started);
  return result;
}
