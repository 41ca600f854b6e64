import { z } from 'zod';
import type { RawValue } from '../../gateway/devices/driver.js';
import { integerRange, registerCount } from './data-types.js';
import { ModbusError } from './modbus-errors.js';
import type { ResolvedPoint } from './resolved-point.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/** What a raw write value must be for this point's register type (the core checked engineering limits). */
export function writeValueSchema(p: ResolvedPoint): z.ZodType<number | boolean | string> {
  switch (p.type) {
    case 'bool':
    case 'bit':
      return z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((v) => v === true || v === 1);
    case 'float32':
      return z.number().finite().min(-FLOAT32_MAX).max(FLOAT32_MAX);
    case 'float64':
      return z.number().finite();
    case 'string':
      return z
        .string()
        .max(registerCount(p) * 2, `at most ${registerCount(p) * 2} characters (${registerCount(p)} registers)`)
        .regex(/^[\x20-\x7e]*$/, 'printable ASCII only');
    default: {
      const [min, max] = integerRange(p.type)!;
      return z.number().int(`${p.type} takes whole numbers`).min(min).max(max);
    }
  }
}

/** Checks a raw write value, or throws E_MODBUS_BAD_WRITE with the reason. */
export function checkWriteValue(device: string, p: ResolvedPoint, raw: RawValue): number | boolean | string {
  if (!p.writable) throw new ModbusError('E_MODBUS_BAD_WRITE', `point ${p.name} of ${device} is not writable (its profile has no writable limits)`);
  const parsed = writeValueSchema(p).safeParse(raw);
  if (!parsed.success) {
    throw new ModbusError('E_MODBUS_BAD_WRITE', `cannot write ${JSON.stringify(raw)} to ${p.name} of ${device} (${p.type}): ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
