export { OnvifDriver, type OnvifDriverOptions } from './onvif-driver.js';
export { onvifDeviceSchema, type OnvifDeviceConfig } from './schema.js';
export { EventRegistry } from './events/event-registry.js';
export { ONVIF_ERROR_CODES } from './error-codes.js';
export { deviceConfigFromDiscovery, type AutoAddTemplate } from './discovery/discovered-config.js';
export type { DeviceStats } from './device/device-runner.js';
