import { defineDriverModule } from '../../gateway/devices/driver-module.js';
import { MqttDriver } from './mqtt-driver.js';
import { mqttDeviceSchema, mqttProfileSchema } from './schema.js';

/** MQTT sensors and people counters, on the site broker or the embedded one (docs/mqtt.md). */
export const mqttModule = defineDriverModule({
  name: 'mqtt',
  deviceSchema: mqttDeviceSchema,
  profileSchema: mqttProfileSchema,
  create: (options) => new MqttDriver(options.readSecret ? { readSecret: options.readSecret } : {}),
});
