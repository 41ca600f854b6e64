import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { runNewYearEve } from '../../simulators/scenarios/new-year-eve.js';
import { contractValidator } from '../helpers/contract.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { type PlatformRecorder, startPlatform, type TestPlatform } from '../helpers/platform.js';

const contract = contractValidator();

describe("the New Year's Eve scenario, end to end", () => {
  const tmp = tempDir();
  let site: TestPlatform;
  let platform: PlatformRecorder;
  let modbus: ModbusSimulator;
  let gateway: Gateway;
  let cameras: CameraSet;
  afterAll(async () => {
    await gateway?.stop();
    await cameras?.stop();
    await modbus?.stop();
    await site?.stop();
    tmp.cleanup();
  });

  it("raises levels 3, 2, 1 with the zone cameras' snapshots, switches to emergency by rule, and the platform receives it all per the contract", async () => {
    site = await startPlatform();
    platform = site.recorder;
    modbus = await startModbusSimulator({
      devices: [
        { id: 'gate-1', model: 'people-counter', port: 0 },
        { id: 'gate-2', model: 'rs485-people-counter', unitId: 5, port: 0 },
      ],
    });
    const tcp = (id: string) => ({ transport: 'tcp' as const, host: '127.0.0.1', port: modbus.ports[id]! });
    process.env.GRIDGATE_TEST_CAMERA_PASSWORD = 'camera-pass-1';
    cameras = await startCameraSet({ cameras: 2, credentials: { username: 'gridgate', password: 'camera-pass-1' }, discovery: false });
    const cameraDevices = cameras.devices.map((d) => ({
      id: d.id,
      kind: 'camera' as const,
      driver: 'onvif' as const,
      zone: 'cbd-square',
      url: d.url,
      username: 'gridgate',
      password: { env: 'GRIDGATE_TEST_CAMERA_PASSWORD' },
    }));
    const config = testConfig(site.broker.url, tmp.dir, {
      modes: {
        initial: 'major-event',
        policies: { 'major-event': { snapshots: ['crowd.threshold'] }, emergency: { snapshots: ['fireworks'], batching: { maxDelayMs: 0 } } },
      },
      devices: [
        ...cameraDevices,
        {
          id: 'gate-1',
          kind: 'people-counter',
          driver: 'modbus',
          profile: 'modbus-people-counter',
          zone: 'cbd-square',
          connection: tcp('gate-1'),
          unitId: 1,
          intervalMs: 200,
        },
        {
          id: 'gate-2',
          kind: 'people-counter',
          driver: 'modbus',
          profile: 'rs485-people-counter',
          zone: 'cbd-square',
          connection: tcp('gate-2'),
          unitId: 5,
          intervalMs: 200,
        },
      ],
      zones: [
        {
          id: 'cbd-square',
          // The scenario compresses an evening into seconds (20 000 people arrive at once, then
          // thousands per second): far above a real line's plausible rate, so the lines allow it.
          lines: [
            { device: 'gate-1', in: 'in', out: 'out', maxRatePerSec: 100_000 },
            { device: 'gate-2', in: 'in-total', out: 'out-total', maxRatePerSec: 100_000 },
          ],
          reportEveryMs: 500,
          thresholds: {
            default: [
              { level: 3, at: 30_000 },
              { level: 2, at: 40_000 },
              { level: 1, at: 50_000 },
            ],
          },
        },
      ],
      rules: { suppression: { windowMs: 0 }, modeRules: [{ id: 'crowd-level-1', zone: 'cbd-square', level: 1, switchTo: 'emergency' }] },
    });
    gateway = await startGateway(config, process.env);
    await vi.waitFor(() => expect(gateway.deviceStates().filter((d) => d.kind === 'camera' && d.status === 'online')).toHaveLength(2), {
      timeout: 30_000,
      interval: 100,
    });
    const scenario = runNewYearEve({
      modbus,
      counters: [
        { device: 'gate-1', in: 'in', out: 'out' },
        { device: 'gate-2', in: 'in-total', out: 'out-total' },
      ],
      zone: 'cbd-square',
      rampMs: 6000,
      stepMs: 200,
      settleMs: 1500,
    });
    await scenario.done;
    await platform.until(
      () => platform.events('mode.changed').length === 1 && platform.events('crowd.threshold').length === 3,
      20_000,
      'levels and the mode change',
    );

    const crowd = platform.events('crowd.threshold');
    expect(crowd.map((e) => [e.data.level, e.state, e.severity])).toEqual([
      [3, 'active', 'minor'],
      [2, 'active', 'major'],
      [1, 'active', 'critical'],
    ]);
    expect(crowd[2]).toMatchObject({ key: 'zone:cbd-square:level-1', source: { zone: 'cbd-square' }, data: { threshold: 50_000 } });
    // Each level came with a picture from one of the zone's cameras, published before the event.
    for (const e of crowd) {
      expect(e.snapshot).toMatchObject({ contentType: 'image/jpeg' });
      const picture = platform.messages.find((m) => m.topic.endsWith(`/snapshots/${e.id}`));
      expect(picture?.payload.length).toBe(e.snapshot.bytes);
      expect(picture!.payload.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    }
    expect(crowd[2].data.occupancy).toBeGreaterThanOrEqual(50_000);
    const changed = platform.events('mode.changed')[0];
    expect(changed).toMatchObject({ mode: 'emergency', data: { previous: 'major-event', by: 'rule:crowd-level-1' } });
    // The level's event waits for its picture (never other events for it), so mode.changed may be
    // numbered first; by time, the level came first.
    expect(Date.parse(changed.ts)).toBeGreaterThanOrEqual(Date.parse(crowd[2].ts));
    const occupancy = platform.readings().filter((r) => r.device === 'zone.cbd-square' && r.point === 'occupancy');
    expect(occupancy.at(-1).value).toBeGreaterThanOrEqual(50_000);
    await platform.until(() => platform.of('state').some((m) => m.doc.mode === 'emergency'));

    // The platform asks for a picture of a camera: the `snapshot` command.
    const result = await platform.command('gridgate/v1/test-site/gw-test-01', 'snapshot', { id: 'snap-1', args: { device: cameras.devices[0]!.id } });
    expect(result).toMatchObject({ ok: true, result: { eventId: expect.stringMatching(/^[0-9A-Z]{26}$/) } });
    // The picture is published just before its event: wait for both (waiting for the picture alone raced the event).
    await platform.until(
      () =>
        platform.messages.some((m) => m.topic.endsWith(`/snapshots/${result.result.eventId}`)) && platform.events().some((e) => e.id === result.result.eventId),
    );
    const snapEvent = platform.events().find((e) => e.id === result.result.eventId);
    expect(snapEvent).toMatchObject({ source: { device: cameras.devices[0]!.id }, snapshot: { contentType: 'image/jpeg' } });
    for (const m of platform.messages) {
      if (m.kind === 'event' || m.kind === 'telemetry' || m.kind === 'state') expect(contract.check(m.kind, m.doc), m.topic).toBeUndefined();
    }
  });
});
