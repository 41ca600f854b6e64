import { readModbusProfile } from '../../drivers/modbus/profile-file.js';
import { type ModbusDeviceConfig, type ModbusDeviceInput, modbusDeviceSchema } from '../../drivers/modbus/schema.js';
import type { RawSample } from '../../gateway/devices/driver.js';
import type { RecordingContext } from '../helpers/recording-context.js';

/** A validated device config whose points come from a shipped profile (as the core resolves them). */
export async function deviceFromProfile(
  profile: string,
  device: Omit<ModbusDeviceInput, 'kind' | 'driver' | 'points'> & { points?: ModbusDeviceInput['points'] },
): Promise<ModbusDeviceConfig> {
  const p = await readModbusProfile(profile);
  return modbusDeviceSchema.parse({ kind: 'modbus', driver: 'modbus', ...device, points: device.points ?? p.points, profile });
}

/** The samples of one device (optionally one point) recorded so far. */
export function samplesOf(ctx: RecordingContext, device: string, point?: string): RawSample[] {
  return ctx.recorded.samples.filter((s) => s.device === device && (point === undefined || s.point === point));
}

/** The latest sample of a point. */
export function last(ctx: RecordingContext, device: string, point: string): RawSample | undefined {
  return samplesOf(ctx, device, point).at(-1);
}

/** Resolves after `ms` (for letting a few poll cycles pass; never asserted as a limit). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
