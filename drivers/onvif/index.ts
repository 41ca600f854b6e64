import { join } from 'node:path';
import { defineDriverModule } from '../../gateway/devices/driver-module.js';
import { OnvifDriver } from './onvif-driver.js';
import { onvifDeviceSchema, onvifProfileSchema } from './schema.js';

export { OnvifDriver, type OnvifDriverOptions } from './onvif-driver.js';
export { onvifDeviceSchema, type OnvifDeviceConfig } from './schema.js';
export { EventRegistry } from './events/event-registry.js';
export { ONVIF_ERROR_CODES } from './error-codes.js';
export { deviceConfigFromDiscovery, type AutoAddTemplate } from './discovery/discovered-config.js';
export type { DeviceStats } from './device/device-runner.js';

/** ONVIF cameras and NVRs: events, snapshots, discovery (docs/onvif.md). */
export const onvifModule = defineDriverModule({
  name: 'onvif',
  deviceSchema: onvifDeviceSchema,
  profileSchema: onvifProfileSchema,
  create: (options) =>
    new OnvifDriver({
      ...(options.readSecret ? { readSecret: options.readSecret } : {}),
      ...(options.stateDir ? { subscriptionFile: join(options.stateDir, 'onvif-subscriptions.json') } : {}),
    }),
});
