import { z } from 'zod';
import { millisSchema, modeSchema } from '../../gateway/config/schema/common.js';
import { baseDeviceFields, profileSchemaFor } from '../../gateway/config/schema/device.js';
import { basePointFields, pointListSchema } from '../../gateway/config/schema/point.js';
import { isBitTable, resolveAddress, TABLES } from './address.js';
import { DATA_TYPES, integerRange, registerCount, WORD_ORDERS } from './data-types.js';

/** Per-mode poll intervals: `{ emergency: 250 }` polls every 250 ms while the site is in emergency. */
const intervalByModeSchema = z
  .partialRecord(modeSchema, millisSchema(50, 86_400_000, 1000))
  .meta({ description: 'poll interval (ms) per site mode, overriding intervalMs', examples: [{ emergency: 250 }] });

/** When and with whom a point is polled. Points of one group are read together, in one cycle. */
export const pollSchema = z.strictObject({
  group: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be lower-case letters, digits and dashes')
    .default('default'),
  intervalMs: millisSchema(50, 86_400_000, 1000).optional(),
  modes: intervalByModeSchema.optional(),
});

/** A Modbus point: where it is in the device's register map and how to decode it. */
export const modbusPointSchema = z
  .strictObject({
    ...basePointFields,
    table: z.enum(TABLES).optional().meta({ description: 'optional when the address is a Modicon reference (40101)' }),
    address: z
      .union([
        z.number().int().meta({ description: '0-based protocol address' }),
        z.string().meta({ description: 'Modicon reference: 40101 / 400101 = holding register number 101' }),
        z.strictObject({ oneBased: z.number().int() }).meta({ description: '1-based register number of a data sheet' }),
      ])
      .meta({ examples: [100, '40101', { oneBased: 101 }] }),
    type: z.enum(DATA_TYPES).default('uint16'),
    order: z.enum(WORD_ORDERS).default('ABCD'),
    /** Registers of a `string` (two characters each). */
    length: z.number().int().min(1).max(125).optional(),
    /** Bit 0 (least significant) .. 15 of a register, for type `bit`. */
    bit: z.number().int().min(0).max(15).optional(),
    /** A counter that only rises: wraps at its type's maximum and resets are smoothed into a continuous total. */
    counter: z.boolean().default(false),
    poll: pollSchema.prefault({}),
  })
  .superRefine((p, ctx) => {
    const resolved = resolveAddress(p.table, p.address);
    if (typeof resolved === 'string') {
      ctx.addIssue({ code: 'custom', path: ['address'], message: resolved });
      return;
    }
    const bits = isBitTable(resolved.table);
    if (bits && p.type !== 'bool')
      ctx.addIssue({ code: 'custom', path: ['type'], message: `the ${resolved.table} table holds single bits: type must be bool` });
    if (p.type === 'string' && p.length === undefined) ctx.addIssue({ code: 'custom', path: ['length'], message: 'a string needs length (registers)' });
    if (p.type !== 'string' && p.length !== undefined) ctx.addIssue({ code: 'custom', path: ['length'], message: 'length applies to type string only' });
    if (p.type === 'bit' && p.bit === undefined) ctx.addIssue({ code: 'custom', path: ['bit'], message: 'type bit needs bit (0..15)' });
    if (p.type !== 'bit' && p.bit !== undefined) ctx.addIssue({ code: 'custom', path: ['bit'], message: 'bit applies to type bit only' });
    if (!bits && resolved.address + registerCount(p) > 65_536) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'the value runs past register 65535' });
    }
    if (p.counter && !integerRange(p.type))
      ctx.addIssue({ code: 'custom', path: ['counter'], message: 'a counter must be an integer type (uint16, uint32, int16, int32)' });
    if (p.writable && (resolved.table === 'discrete-input' || resolved.table === 'input-register')) {
      ctx.addIssue({
        code: 'custom',
        path: ['writable'],
        message: `the ${resolved.table} table is read-only in Modbus: only coils and holding registers can be written`,
      });
    }
  });
export type ModbusPoint = z.infer<typeof modbusPointSchema>;

export const modbusPointList = pointListSchema(modbusPointSchema);

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .meta({ examples: ['10.0.0.7'] });
const portSchema = z.number().int().min(1).max(65_535);

/** How the gateway reaches the device. Devices with the same connection share it (several unit ids). */
export const modbusConnectionSchema = z.discriminatedUnion('transport', [
  z.strictObject({
    transport: z.literal('tcp'),
    host: hostSchema,
    port: portSchema.default(502),
  }),
  z.strictObject({
    transport: z.literal('rtu-over-tcp').meta({ description: 'RTU frames through a serial device server (transparent TCP)' }),
    host: hostSchema,
    port: portSchema.meta({ examples: [4001] }),
  }),
  z.strictObject({
    transport: z.literal('rtu'),
    path: z
      .string()
      .min(1)
      .meta({ examples: ['/dev/ttyUSB0'] }),
    baudRate: z.number().int().min(300).max(921_600).default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  }),
]);
export type ModbusConnection = z.infer<typeof modbusConnectionSchema>;

/** A poll group's interval set on the device, overriding what its points say. */
const pollGroupSchema = z.strictObject({
  intervalMs: millisSchema(50, 86_400_000, 1000).optional(),
  modes: intervalByModeSchema.optional(),
});

export const modbusDeviceSchema = z
  .strictObject({
    ...baseDeviceFields,
    driver: z.literal('modbus'),
    connection: modbusConnectionSchema,
    /** Modbus app. protocol 4.1 / serial line 2.2: 1..247 on a line; 0..255 on TCP (255 when unused). */
    unitId: z.number().int().min(0).max(255).default(1),
    /** Default poll interval of points that name none. */
    intervalMs: millisSchema(50, 86_400_000, 1000).default(1000),
    pollGroups: z.record(z.string(), pollGroupSchema).default({}),
    /** Per request; a dead device on a shared line costs at most this per cycle. */
    timeoutMs: millisSchema(50, 60_000, 1000).default(1000),
    /** Retries of a failed request; timeouts are not retried on a shared line (it would hold the others). */
    retries: z.number().int().min(0).max(5).default(1),
    /** Requests in flight at once for this TCP device (a serial line always has one). */
    maxInFlight: z.number().int().min(1).max(16).default(1),
    blocks: z
      .strictObject({
        /** Modbus app. protocol 6.3/6.4: at most 125 registers per read. */
        maxRegisters: z.number().int().min(1).max(125).default(125),
        /** Modbus app. protocol 6.1/6.2: at most 2000 coils or inputs per read. */
        maxBits: z.number().int().min(1).max(2000).default(2000),
        /** Unused registers (or bits) read through to join two blocks; 0 = never read what no point needs. */
        gapFill: z.number().int().min(0).max(124).default(16),
        /** After holes were learned in a block (exception 02), the whole block is tried again this often (a firmware update may close them). */
        reprobeMs: millisSchema(1000, 86_400_000, 600_000).default(600_000),
      })
      .prefault({}),
    breaker: z
      .strictObject({
        /** Consecutive cycles without any answer before the device is offline; also cycles with answers but no valid read before it is in error. */
        failCycles: z.number().int().min(1).max(100).default(3),
        backoffMs: millisSchema(100, 3_600_000, 5000).default(5000),
        maxBackoffMs: millisSchema(100, 3_600_000, 60_000).default(60_000),
      })
      .prefault({}),
    points: modbusPointList.default([]),
  })
  .superRefine((d, ctx) => {
    if (d.connection.transport !== 'tcp' && (d.unitId < 1 || d.unitId > 247)) {
      ctx.addIssue({ code: 'custom', path: ['unitId'], message: 'on a serial line the unit id must be 1..247 (Modbus serial line 2.2)' });
    }
    if (d.connection.transport !== 'tcp' && d.maxInFlight > 1) {
      ctx.addIssue({ code: 'custom', path: ['maxInFlight'], message: 'a serial line carries one request at a time' });
    }
  });
export type ModbusDeviceConfig = z.infer<typeof modbusDeviceSchema>;
export type ModbusDeviceInput = z.input<typeof modbusDeviceSchema>;

export const modbusProfileSchema = profileSchemaFor('modbus', modbusPointList);
export type ModbusProfile = z.infer<typeof modbusProfileSchema>;
