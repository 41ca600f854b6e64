import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../../drivers/onvif/discovery/ws-discovery-client.js';
import { deviceConfigFromDiscovery } from '../../drivers/onvif/discovery/discovered-config.js';
import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import { onvifDeviceSchema } from '../../drivers/onvif/schema.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { RecordingContext } from '../helpers/recording-context.js';

let set: CameraSet | undefined;
afterEach(async () => {
  await set?.stop();
  set = undefined;
});

/*
 * Multicast rule: WS-Discovery in tests never leaves loopback. The unit tests below send unicast
 * probes to the responder's port on 127.0.0.1 (the "add by address" path); the multicast test
 * runs in a network namespace it creates with only `lo` up and 224.0.0.0/4 routed to lo.
 */
describe('WS-Discovery', () => {
  it('finds every simulated device by unicast probe and merges duplicates by endpoint reference', async () => {
    set = await startCameraSet({ cameras: 4, nvrChannels: 3, discovery: { port: 0, maxDelayMs: 20 } });
    const port = set.discoveryPort!;
    // The same responder probed twice (two targets): each device must still appear once.
    const found = await discover(
      {
        interfaces: ['127.0.0.1'],
        multicast: false,
        unicastTargets: [
          { host: '127.0.0.1', port },
          { host: 'localhost', port },
        ],
      },
      800,
      silentLogger(),
    );
    expect(found.map((d) => d.identity).sort()).toEqual(set.devices.map((d) => d.uuid).sort());
    const nvr = found.find((d) => d.identity === set!.camera('nvr-01').uuid)!;
    expect(nvr).toMatchObject({ driver: 'onvif', address: set.camera('nvr-01').url, name: 'nvr-01', model: 'GS-NVR-64' });
    expect(nvr.meta!.types).toContain('dn:NetworkVideoTransmitter');
  });

  it('offers devices through driver.discover and adds none', async () => {
    set = await startCameraSet({ cameras: 2, discovery: { port: 0, maxDelayMs: 10 } });
    const ctx = new RecordingContext();
    const driver = new OnvifDriver({
      readSecret: () => 'x',
      discovery: { interfaces: ['127.0.0.1'], multicast: false, unicastTargets: [{ host: '127.0.0.1', port: set.discoveryPort! }] },
    });
    await driver.start(ctx);
    const offered = await driver.discover({ timeoutMs: 500 });
    expect(offered).toHaveLength(2);
    // What the core adds when auto-add is configured: a valid device configuration.
    const cfg = onvifDeviceSchema.parse(
      deviceConfigFromDiscovery(offered[0]!, { idPrefix: 'cam-', username: 'gridgate', password: { env: 'GRIDGATE_CAM_PASSWORD' } }),
    );
    expect(cfg).toMatchObject({ driver: 'onvif', url: offered[0]!.address, id: expect.stringMatching(/^cam-[0-9a-f]{12}$/) });
    expect(driver.stats()).toEqual([]);
    expect(ctx.recorded.statuses).toEqual([]);
    await driver.stop(AbortSignal.timeout(1000));
  });

  it('ignores answers to probes it did not send and malformed datagrams', async () => {
    const dgram = await import('node:dgram');
    const rogue = dgram.createSocket('udp4');
    await new Promise<void>((r) => rogue.bind(0, '127.0.0.1', r));
    // Answers everything with garbage and with a ProbeMatches for another MessageID.
    rogue.on('message', (_m, rinfo) => {
      rogue.send('<<<not xml', rinfo.port, rinfo.address);
      rogue.send(
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header><a:RelatesTo>urn:uuid:someone-else</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:x</a:Address></a:EndpointReference><d:XAddrs>http://10.0.0.1/onvif/device_service</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>',
        rinfo.port,
        rinfo.address,
      );
    });
    const found = await discover(
      { interfaces: ['127.0.0.1'], multicast: false, unicastTargets: [{ host: '127.0.0.1', port: (rogue.address() as { port: number }).port }] },
      400,
      silentLogger(),
    );
    rogue.close();
    expect(found).toEqual([]);
  });

  it('discovers by multicast inside a private network namespace (loopback only), for the driver and for node-onvif', () => {
    const ns = `gg-onvif-${process.pid}`;
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    ip('netns', 'add', ns);
    try {
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'multicast', 'on');
      ip('netns', 'exec', ns, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
      const out = execFileSync(
        'ip',
        ['netns', 'exec', ns, process.execPath, '--import', 'tsx', new URL('./netns-discovery-child.ts', import.meta.url).pathname],
        { encoding: 'utf8', timeout: 30_000 },
      );
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
        expected: Array<{ uuid: string; url: string }>;
        ours: Array<{ identity: string; address: string }>;
        theirs: Array<{ urn: string; xaddrs: string[] }>;
      };
      const want = r.expected.map((d) => d.uuid).sort();
      expect(r.ours.map((d) => d.identity).sort()).toEqual(want);
      expect(r.theirs.map((d) => d.urn).sort()).toEqual(want);
      expect(r.theirs.find((d) => d.urn === r.expected[0]!.uuid)!.xaddrs).toEqual([r.expected[0]!.url]);
    } finally {
      ip('netns', 'del', ns);
    }
  });
});
