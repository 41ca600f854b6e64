/**
 * Runs inside a network namespace that test/onvif/discovery.system.test.ts creates with only `lo` up
 * (so multicast cannot leave the namespace): starts a camera set with a WS-Discovery responder
 * joined to 239.255.255.250 on 127.0.0.1, probes with the driver and with node-onvif, prints JSON.
 */
import { createRequire } from 'node:module';
import { discover } from '../../drivers/onvif/discovery/ws-discovery-client.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { startCameraSet } from '../../simulators/onvif/camera-set.js';

const require = createRequire(import.meta.url);
const set = await startCameraSet({ cameras: 5, nvrChannels: 2, discovery: { port: 3702, multicastInterface: '127.0.0.1', maxDelayMs: 50 } });
try {
  const ours = await discover({ interfaces: ['127.0.0.1'] }, 1500, silentLogger());
  const nodeOnvif = require('node-onvif') as { startProbe(): Promise<Array<{ urn: string; xaddrs: string[]; name: string }>> };
  const theirs = await nodeOnvif.startProbe();
  console.log(JSON.stringify({ expected: set.devices.map((d) => ({ uuid: d.uuid, url: d.url })), ours, theirs }));
} finally {
  await set.stop();
}
