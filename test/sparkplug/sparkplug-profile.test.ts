import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { startGateway, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { SparkplugTestHost } from './sparkplug-host.js';

const GROUP = 'test-site';
const NODE = 'gw-test-01';
const NCMD = `spBv1.0/${GROUP}/NCMD/${NODE}`;
const WAIT = { timeout: 20_000, interval: 50 };

/**
 * gridgate as a Sparkplug B Edge Node against Debian's Mosquitto, checked by a host that decodes
 * with Eclipse Tahu (sparkplug-host.ts) and records every Sparkplug 3.0 statement broken.
 */
describe('Sparkplug B profile against Mosquitto, decoded by Tahu', () => {
  const tmp = tempDir();
  let broker: Awaited<ReturnType<typeof startMosquitto>>;
  let host: SparkplugTestHost;
  let gateway: Gateway;
  let stateTs = Date.now();

  beforeAll(async () => {
    broker = await startMosquitto(tmp.dir);
    host = new SparkplugTestHost(broker.url, 1);
    await host.start();
    await host.publishState('scada', false, stateTs);
    const base = testConfig(broker.url, join(tmp.dir, 'data'));
    // Two fast devices so the seq wraps past 255 soon.
    const fast = ['fast-1', 'fast-2'].map((id) => ({
      id,
      kind: 'other' as const,
      driver: 'synthetic' as const,
      intervalMs: 20,
      points: [{ name: 'level', wave: 'sine' as const, min: 0, max: 10 }],
    }));
    gateway = await startGateway(
      testConfig(broker.url, join(tmp.dir, 'data'), {
        devices: [
          ...(base.devices ?? []),
          ...fast,
          {
            id: 'gate-1',
            kind: 'people-counter',
            driver: 'synthetic',
            intervalMs: 100,
            points: [{ name: 'in', wave: 'counter', min: 0, max: 1_000_000_000, step: 5 }],
          },
        ],
        batching: { maxReadings: 500, maxDelayMs: 20 },
        platform: { url: broker.url, profile: 'sparkplug-b', sparkplug: { primaryHostId: 'scada' }, reconnect: { minDelayMs: 100, maxDelayMs: 1000 } },
        // A zone counted by gate-1: occupancy readings and crowd.threshold events of device zone.square.
        zones: [{ id: 'square', lines: [{ device: 'gate-1', in: 'in' }], thresholds: { default: [{ level: 1, at: 3 }] }, hysteresis: 0, reportEveryMs: 200 }],
      }),
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await host?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('waits for the primary host to be online before any birth ([tck-id-message-flow-edge-node-birth-publish-phid-wait])', async () => {
    await vi.waitFor(() => expect(gateway.status().uplink.connected).toBe(true), WAIT);
    // Data accumulates in the outbox meanwhile; nothing reaches the broker.
    await vi.waitFor(() => expect(gateway.status().outbox.events.count).toBeGreaterThan(5), WAIT);
    expect(host.messages).toEqual([]);
    stateTs += 1;
    await host.publishState('scada', true, stateTs);
    await vi.waitFor(() => expect(host.count('NBIRTH')).toBe(1), WAIT);
    await vi.waitFor(() => expect(host.count('DBIRTH', 'env-1')).toBe(1), WAIT);
  });

  it('replays the backlog held while the host was offline with is_historical, in order', async () => {
    await vi.waitFor(() => expect(gateway.status().outbox.events.count).toBe(0), WAIT);
    const historical = host.events.filter((e) => e.historical);
    expect(historical.length).toBeGreaterThan(5);
    const seqs = host.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[0]).toBe(1);
    // Live data after the birth is not historical.
    await vi.waitFor(() => expect(host.data.some((d) => d.device === 'env-1' && d.name === 'temperature' && !d.historical)).toBe(true), WAIT);
  });

  it('sends readings as DDATA with aliases declared in the DBIRTH, and events as Event/* metrics', async () => {
    await vi.waitFor(() => expect(host.data.filter((d) => d.device === 'env-1' && d.name === 'power').length).toBeGreaterThan(10), WAIT);
    expect(host.events.some((e) => e.type === 'crowd.density' && e.device === 'env-1')).toBe(true);
    // gateway.started has no device: a node event (NDATA).
    expect(host.events.some((e) => e.type === 'gateway.started' && e.device === '')).toBe(true);
    // The zone is a device of its own: occupancy readings and its crowd levels as events.
    expect(host.count('DBIRTH', 'zone.square')).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(host.data.some((d) => d.device === 'zone.square' && d.name === 'occupancy')).toBe(true), WAIT);
    await vi.waitFor(() => expect(host.events.map((e) => `${e.type}@${e.device}`)).toContain('crowd.threshold@zone.square'), WAIT);
    const bad = host.data.find((d) => d.device === 'env-1' && d.name === 'voltage' && d.value === null);
    expect(bad).toBeDefined();
    expect(host.violations).toEqual([]);
  });

  it('keeps seq 0..255 continuous over many messages ([tck-id-payloads-sequence-num-incrementing])', async () => {
    await vi.waitFor(() => expect(host.messages.length).toBeGreaterThan(300), { timeout: 60_000, interval: 100 });
    expect(host.messages.some((m) => m.payload.seq !== undefined && Number(m.payload.seq) === 255)).toBe(true);
    expect(host.violations).toEqual([]);
  });

  it('answers Node Control/Rebirth with a new NBIRTH (same bdSeq) and DBIRTHs ([tck-id-operational-behavior-data-commands-rebirth-action-1..3])', async () => {
    const births = host.count('NBIRTH');
    await host.command(NCMD, [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
    await vi.waitFor(() => expect(host.count('NBIRTH')).toBe(births + 1), WAIT);
    await vi.waitFor(() => expect(host.count('DBIRTH', 'env-1')).toBeGreaterThanOrEqual(2), WAIT);
    const size = host.messages.length;
    await vi.waitFor(() => expect(host.messages.length).toBeGreaterThan(size + 20), WAIT);
    expect(host.violations).toEqual([]);
  });

  it('refuses hostile commands without harm: garbage NCMD, bad STATE, DCMD to a point that cannot be written', async () => {
    const refused = async () => (await gateway.metrics.registry.getSingleMetric('gridgate_commands_total')!.get()).values;
    await host.raw(NCMD, Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
    await host.raw('spBv1.0/STATE/scada', '{not json', false);
    await host.command(`spBv1.0/${GROUP}/DCMD/${NODE}/env-1`, [{ alias: host.alias('env-1', 'temperature'), type: 'Double', value: 12 }]);
    await host.command(`spBv1.0/${GROUP}/DCMD/${NODE}/env-1`, [{ name: 'Event/Type', type: 'String', value: 'fake' }]);
    await vi.waitFor(async () => {
      const v = await refused();
      expect(v.find((x) => x.labels.command === 'sparkplug' && x.labels.code === 'E_BAD_COMMAND')?.value).toBe(1);
      // write-point's own check: the synthetic point is not writable.
      expect(v.find((x) => x.labels.command === 'sparkplug-dcmd' && x.labels.code === 'E_NOT_WRITABLE')?.value).toBe(2);
    }, WAIT);
    const size = host.messages.length;
    await vi.waitFor(() => expect(host.messages.length).toBeGreaterThan(size + 10), WAIT);
    expect(host.violations).toEqual([]);
  });

  it('a mode change is a node event and updates Node Info/Mode (NDATA)', async () => {
    gateway.setMode('emergency', 'test', 'drill');
    await vi.waitFor(() => expect(host.events.some((e) => e.type === 'mode.changed' && e.device === '')).toBe(true), WAIT);
    await vi.waitFor(() => expect(host.data.some((d) => d.device === '' && d.name === 'Node Info/Mode' && d.value === 'emergency')).toBe(true), WAIT);
    gateway.setMode('normal', 'test', 'drill over');
    await vi.waitFor(
      () => expect(host.data.some((d) => d.device === '' && d.name === 'Node Info/Mode' && d.value === 'normal' && !d.historical)).toBe(true),
      WAIT,
    );
    expect(host.violations).toEqual([]);
  });

  it('on a STATE offline it publishes NDEATH and leaves; back online: new bdSeq, birth, then the backlog ([tck-id-message-flow-edge-node-birth-publish-phid-offline])', async () => {
    const deaths = host.count('NDEATH');
    const births = host.count('NBIRTH');
    // An offline STATE older than the last online one is stale: ignored ([tck-id-operational-behavior-edge-node-termination-host-offline-timestamp]).
    await host.publishState('scada', false, stateTs - 5);
    const size = host.messages.length;
    await vi.waitFor(() => expect(host.messages.length).toBeGreaterThan(size + 20), WAIT);
    expect(host.count('NDEATH')).toBe(deaths);
    stateTs += 1;
    await host.publishState('scada', false, stateTs);
    await vi.waitFor(() => expect(host.count('NDEATH')).toBe(deaths + 1), WAIT);
    await vi.waitFor(() => expect(gateway.status().outbox.events.count).toBeGreaterThan(10), WAIT);
    expect(host.count('NBIRTH')).toBe(births);
    stateTs += 1;
    await host.publishState('scada', true, stateTs);
    await vi.waitFor(() => expect(host.count('NBIRTH')).toBe(births + 1), WAIT);
    await vi.waitFor(() => expect(gateway.status().outbox.events.count).toBe(0), WAIT);
    const seqs = host.events.map((e) => e.seq);
    const unique = [...new Set(seqs)].sort((a, b) => a - b);
    expect(unique[0]).toBe(1);
    expect(unique.at(-1)).toBe(unique.length);
    expect(host.violations).toEqual([]);
  });
});
