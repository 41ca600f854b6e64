import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { CONTRACT_DIR, type ContractKind, contractValidator } from '../helpers/contract.js';
import { startGateway, TEST_ROOT, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { PlatformRecorder, startPlatform, type TestPlatform } from '../helpers/platform.js';

const contract = contractValidator();

describe('the contract examples', () => {
  it('validate against their schemas (the validator itself works)', () => {
    for (const file of readdirSync(resolve(CONTRACT_DIR, 'examples'))) {
      const kind = file.replace('.json', '') as ContractKind;
      expect(contract.check(kind, JSON.parse(readFileSync(resolve(CONTRACT_DIR, 'examples', file), 'utf8'))), file).toBeUndefined();
    }
    expect(contract.check('event', { schema: 'gridgate.event/1' })).toMatch(/required/);
  });
});

describe('every message the gateway publishes', () => {
  let site: TestPlatform;
  let platform: PlatformRecorder;
  let gateway: Gateway;
  const tmp = tempDir();

  beforeAll(async () => {
    site = await startPlatform();
    platform = site.recorder;
    gateway = await startGateway(testConfig(site.broker.url, tmp.dir));
    await platform.until(() => platform.readings().length >= 30 && platform.events('crowd.density').length >= 2);
    await platform.command(TEST_ROOT, 'set-mode', { id: 'c-1', args: { mode: 'emergency', reason: 'test' } });
    await platform.command(TEST_ROOT, 'resync', { id: 'c-2', args: {} });
    await platform.command(TEST_ROOT, 'set-mode', { id: 'c-3', args: { mode: 'bogus' } });
    await platform.command(TEST_ROOT, 'write-point', { id: 'c-4', args: { device: 'env-1', point: 'temperature', value: 3 } });
    await platform.command(TEST_ROOT, 'snapshot', { id: 'c-5', args: { device: 'nope' } });
    await platform.until(() => platform.events('mode.changed').length === 1);
  });

  afterAll(async () => {
    await gateway.stop();
    await site?.stop();
    tmp.cleanup();
  });

  it('validates against the contract schema for its topic', () => {
    const kinds = new Set<string>();
    for (const m of platform.messages) {
      if (m.kind === 'snapshot' || m.kind === 'command' || m.kind === undefined) continue;
      kinds.add(m.kind);
      expect(contract.check(m.kind, m.doc), `${m.topic}: ${m.payload.toString()}`).toBeUndefined();
    }
    expect([...kinds].sort()).toEqual(['command-result', 'device-state', 'event', 'state', 'telemetry']);
  });

  it('sends state and device states retained, telemetry and events not', () => {
    const state = platform.of('state').at(-1)!;
    expect(state.doc).toMatchObject({ online: true, gateway: 'gw-test-01', site: 'test-site', mode: 'emergency', devices: { total: 1, online: 1 } });
    const late = new PlatformRecorder(site.broker.url);
    return late.start().then(async () => {
      await late.until(() => late.of('state').length > 0 && late.of('device-state').length > 0);
      expect(late.of('state')[0]!.retained).toBe(true);
      expect(late.of('device-state')[0]!.doc).toMatchObject({ device: 'env-1', status: 'online', kind: 'other' });
      await late.stop();
    });
  });

  it('normalizes readings: units converted, bad quality carries an error and null', () => {
    const readings = platform.readings();
    const power = readings.filter((r) => r.point === 'power');
    expect(power.every((r) => r.unit === 'kW' && r.value <= 5)).toBe(true);
    const bad = readings.filter((r) => r.quality === 'bad');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]).toMatchObject({ value: null, point: 'voltage', error: 'synthetic failure (failEvery)' });
  });

  it('numbers each lane from 1 without gaps', () => {
    const seqs = (kind: 'telemetry' | 'event') => platform.of(kind).map((m) => m.doc.seq as number);
    for (const kind of ['telemetry', 'event'] as const) {
      const s = [...new Set(seqs(kind))];
      expect(s[0]).toBe(1);
      expect(s).toEqual(s.map((_, i) => i + 1));
    }
  });

  it('answers commands: set-mode, resync, and bad ones with codes', () => {
    const results = platform.of('command-result').map((m) => m.doc);
    const byId = (id: string) => results.find((r) => r.id === id);
    expect(byId('c-1')).toMatchObject({ ok: true, result: { mode: 'emergency', previous: 'normal' } });
    expect(byId('c-2')).toMatchObject({ ok: true, result: { devices: 1 } });
    expect(byId('c-3')).toMatchObject({ ok: false, error: { code: 'E_BAD_ARGS' } });
    expect(byId('c-4')).toMatchObject({ ok: false, error: { code: 'E_NOT_WRITABLE' } });
    expect(byId('c-5')).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN_DEVICE' } });
    const changed = platform.events('mode.changed')[0];
    expect(changed).toMatchObject({ mode: 'emergency', data: { previous: 'normal', by: 'platform:command:c-1', reason: 'test' } });
  });
});
