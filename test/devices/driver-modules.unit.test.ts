import { describe, expect, expectTypeOf, it } from 'vitest';
import { DRIVER_MODULES } from '../../drivers/index.js';
import { type DeviceConfig, DRIVER_NAMES, deviceSchema, type ProfileConfig, profileSchema } from '../../gateway/config/schema/devices.js';
import { gatewayConfigSchema } from '../../gateway/config/schema/gateway-config.js';
import { createDrivers } from '../../gateway/devices/driver-module.js';

/**
 * One module per driver (drivers/<protocol>/index.ts), one list (drivers/index.ts): the config
 * union, the runtime registry and the UI's forms all come from the list, so they cannot disagree.
 */
const minimal: Record<string, Record<string, unknown>> = {
  synthetic: { id: 'syn-1', kind: 'other', driver: 'synthetic', points: [] },
  modbus: { id: 'mb-1', kind: 'modbus', driver: 'modbus', connection: { transport: 'tcp', host: '127.0.0.1', port: 502 }, points: [] },
  mqtt: {
    id: 'mq-1',
    kind: 'mqtt',
    driver: 'mqtt',
    connection: { mode: 'embedded' },
    auth: { username: 'sensor-1', password: { env: 'SENSOR_PASSWORD' } },
    topic: 'site/mq-1',
    points: [],
  },
  onvif: {
    id: 'cam-1',
    kind: 'camera',
    driver: 'onvif',
    url: 'http://127.0.0.1:8080/onvif/device_service',
    username: 'admin',
    password: { env: 'CAM_PASSWORD' },
  },
};

describe('driver modules', () => {
  it('name each protocol once, and the names are what devices use in `driver`', () => {
    const names = DRIVER_MODULES.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...DRIVER_NAMES]).toEqual(names);
    expectTypeOf<DeviceConfig['driver']>().toEqualTypeOf<'synthetic' | 'modbus' | 'mqtt' | 'onvif'>();
    expectTypeOf<ProfileConfig['driver']>().toEqualTypeOf<'synthetic' | 'modbus' | 'mqtt' | 'onvif'>();
  });

  it.each(DRIVER_MODULES.map((m) => [m.name, m] as const))(
    '%s: its device schema and the config union accept its device; the union refuses it under another driver',
    (name, module) => {
      const device = minimal[name];
      const own = module.deviceSchema.safeParse(device);
      expect(own.success, JSON.stringify(own.error?.issues)).toBe(true);
      const union = deviceSchema.safeParse(device);
      expect(union.success).toBe(true);
      expect(union.data?.driver).toBe(name);
      const other = DRIVER_MODULES.find((m) => m.name !== name)!;
      expect(deviceSchema.safeParse({ ...device, driver: other.name }).success).toBe(false);
    },
  );

  it.each(DRIVER_MODULES.map((m) => [m.name, m] as const))('%s: its profile schema and the profile union agree', (name, module) => {
    const profile = { name: `${name}-profile`, driver: name, points: [] };
    expect(module.profileSchema.safeParse(profile).success).toBe(true);
    expect(profileSchema.safeParse(profile).success).toBe(true);
  });

  it('refuses a device of a driver this build does not have, naming where', () => {
    const r = gatewayConfigSchema.safeParse({
      gateway: 'gw-1',
      site: 'site-1',
      platform: { url: 'mqtt://127.0.0.1:1883' },
      devices: [{ id: 'x-1', kind: 'other', driver: 'bacnet', points: [] }],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.some((i) => i.path.join('.').startsWith('devices.0'))).toBe(true);
  });

  it('the registry makes one fresh driver per module, under the module name (constructors only assign)', () => {
    const a = createDrivers(DRIVER_MODULES, { readSecret: () => 'unused', stateDir: '/nonexistent' });
    const b = createDrivers(DRIVER_MODULES);
    expect([...a.keys()]).toEqual(DRIVER_MODULES.map((m) => m.name));
    for (const [name, driver] of a) {
      expect(driver.name).toBe(name);
      expect(b.get(name)).not.toBe(driver);
    }
  });
});
