import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusDriver } from '../../drivers/modbus/modbus-driver.js';
import { readModbusProfile } from '../../drivers/modbus/profile-file.js';
import { modbusDeviceSchema } from '../../drivers/modbus/schema.js';
import { type ModbusDemo, startModbusDemo } from '../../simulators/modbus/demo.js';
import { RecordingContext } from '../helpers/recording-context.js';

describe('modbus demo site', () => {
  let demo: ModbusDemo;
  beforeAll(async () => {
    demo = await startModbusDemo({ intervalMs: 200 });
  });
  afterAll(async () => {
    await demo.stop();
  });

  it('gives device configs that validate and come online with their profiles', async () => {
    const ctx = new RecordingContext();
    const driver = new ModbusDriver();
    await driver.start(ctx);
    try {
      for (const input of demo.devices) {
        // What the core does: validate, then take the points of the named profile.
        const device = modbusDeviceSchema.parse(input);
        const profile = await readModbusProfile(device.profile!);
        await driver.addDevice({ ...device, points: profile.points });
      }
      await ctx.until(() => demo.devices.every((d) => ctx.lastStatus(d.id)?.status === 'online'), 10_000, 'all online');
      expect(ctx.recorded.samples.filter((s) => s.quality === 'bad')).toEqual([]);
    } finally {
      await driver.stop(AbortSignal.timeout(5000));
    }
  });
});
