import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readModbusProfile, SHIPPED_MODBUS_PROFILES } from '../../drivers/modbus/profile-file.js';
import { modbusDeviceSchema, modbusProfileSchema } from '../../drivers/modbus/schema.js';

const errorsOf = (schema: z.ZodType, data: unknown) => {
  const r = schema.safeParse(data);
  if (r.success) throw new Error('expected a validation error');
  return z.prettifyError(r.error);
};

describe('modbus profiles', () => {
  for (const name of SHIPPED_MODBUS_PROFILES) {
    it(`shipped profile ${name} is valid`, async () => {
      const profile = await readModbusProfile(name);
      expect(profile.name).toBe(name);
      expect(profile.points.length).toBeGreaterThan(0);
    });
  }

  it('names the path of each mistake in a bad profile', () => {
    const text = errorsOf(modbusProfileSchema, {
      name: 'bad-meter',
      driver: 'modbus',
      points: [
        { name: 'v', table: 'input-register', address: '40001', type: 'float32' },
        { name: 'c', table: 'coil', address: 0, type: 'uint16' },
        { name: 's', table: 'holding-register', address: 3, type: 'string' },
        { name: 'b', table: 'holding-register', address: 4, type: 'bit' },
        { name: 'w', table: 'input-register', address: 5, writable: { max: 3 } },
        { name: 'n', table: 'input-register', address: 6, type: 'float32', counter: true },
        { name: 'u', table: 'input-register', address: 7, unit: 'furlong' },
        { name: 'o', table: 'input-register', address: 8, order: 'ACBD' },
      ],
    });
    expect(text).toContain('points[0].address');
    expect(text).toContain('holding-register table but the point says table input-register');
    expect(text).toContain('points[1].type');
    expect(text).toContain('points[2].length');
    expect(text).toContain('points[3].bit');
    expect(text).toContain('points[4].writable');
    expect(text).toContain('read-only');
    expect(text).toContain('points[5].counter');
    expect(text).toContain('points[6].unit');
    expect(text).toContain('points[7].order');
  });

  it('refuses a point name used twice', () => {
    const text = errorsOf(modbusProfileSchema, {
      name: 'twice',
      driver: 'modbus',
      points: [
        { name: 'v', table: 'input-register', address: 0 },
        { name: 'v', table: 'input-register', address: 1 },
      ],
    });
    expect(text).toContain('point "v" is defined twice');
    expect(text).toContain('points[1].name');
  });
});

describe('modbus device config', () => {
  const base = { id: 'pm-1', kind: 'modbus', driver: 'modbus', connection: { transport: 'tcp', host: '10.0.0.7' } };

  it('fills defaults', () => {
    const d = modbusDeviceSchema.parse(base);
    expect(d.connection).toEqual({ transport: 'tcp', host: '10.0.0.7', port: 502 });
    expect(d.blocks).toEqual({ maxRegisters: 125, maxBits: 2000, gapFill: 16, reprobeMs: 600_000 });
    expect(d.timeoutMs).toBe(1000);
    expect(d.maxInFlight).toBe(1);
  });

  it('rejects limits beyond the protocol and serial-line mistakes, with paths', () => {
    const text = errorsOf(modbusDeviceSchema, {
      ...base,
      connection: { transport: 'rtu', path: '/dev/ttyUSB0' },
      unitId: 250,
      maxInFlight: 2,
      timeoutMs: 10,
      blocks: { maxRegisters: 126 },
    });
    expect(text).toContain('unitId');
    expect(text).toContain('1..247');
    expect(text).toContain('maxInFlight');
    expect(text).toContain('timeoutMs');
    expect(text).toContain('blocks.maxRegisters');
  });
});
