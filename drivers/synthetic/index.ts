import { defineDriverModule } from '../../gateway/devices/driver-module.js';
import { syntheticDeviceSchema, syntheticProfileSchema } from './schema.js';
import { SyntheticDriver } from './synthetic-driver.js';

/** Simulated points and events without hardware (the demo, tests). */
export const syntheticModule = defineDriverModule({
  name: 'synthetic',
  deviceSchema: syntheticDeviceSchema,
  profileSchema: syntheticProfileSchema,
  create: () => new SyntheticDriver(),
});
