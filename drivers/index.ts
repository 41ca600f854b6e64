import { modbusModule } from './modbus/index.js';
import { mqttModule } from './mqtt/index.js';
import { onvifModule } from './onvif/index.js';
import { syntheticModule } from './synthetic/index.js';

/**
 * The drivers of this build: one module per protocol (`drivers/<protocol>/index.ts`). The
 * configuration's device and profile unions (gateway/config/schema/devices.ts), the runtime
 * registry (gateway/devices/driver-module.ts `createDrivers`) and the UI's device forms are
 * derived from this list. A new protocol is one folder and one entry here.
 */
export const DRIVER_MODULES = [syntheticModule, modbusModule, mqttModule, onvifModule] as const;
