import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PayloadMapper } from '../../drivers/mqtt/payload-mapper.js';
import { readMqttProfile, SHIPPED_MQTT_PROFILES } from '../../drivers/mqtt/profile-file.js';
import { mqttDeviceSchema, mqttProfileSchema } from '../../drivers/mqtt/schema.js';

const base = { id: 'env-07', kind: 'mqtt', driver: 'mqtt', connection: { mode: 'embedded' }, auth: { password: { env: 'PW' } } };
const problems = (input: unknown) => {
  const r = mqttDeviceSchema.safeParse(input);
  return r.success ? '' : z.prettifyError(r.error);
};

describe('the MQTT configuration', () => {
  it('ships valid profiles', async () => {
    for (const name of SHIPPED_MQTT_PROFILES) expect((await readMqttProfile(name)).name).toBe(name);
  });

  it('fills defaults: loopback 1883, 120 s silence, 64 KiB payloads', () => {
    expect(mqttDeviceSchema.parse(base)).toMatchObject({
      connection: { mode: 'embedded', host: '127.0.0.1', port: 1883 },
      offlineAfterMs: 120_000,
      maxPayloadBytes: 65_536,
      duplicateWindowMs: 0,
      acl: { publish: [], subscribe: [] },
    });
  });

  it('refuses a sensor without a login on the embedded broker and inline passwords', () => {
    expect(problems({ ...base, auth: undefined })).toMatch(/needs auth: \{ username, password: \{ env \| file \} \}/);
    expect(problems({ ...base, auth: { password: 'hunter2' } })).toMatch(/auth\.password/);
    expect(problems({ ...base, connection: { mode: 'client', url: 'mqtt://user:pw@broker:1883' } })).toMatch(
      /must not contain credentials|without credentials/,
    );
    expect(problems({ ...base, connection: { mode: 'client', url: 'http://broker' } })).toMatch(/mqtt:\/\/host:port or mqtts:\/\/host:port/);
    expect(problems({ ...base, connection: { mode: 'client', url: 'mqtts://broker.site:8883' }, auth: undefined })).toBe('');
  });

  it('explains bad topics, paths and counter settings', () => {
    const point = (p: Record<string, unknown>) => problems({ ...base, points: [{ name: 'x', topic: 'a/{device}', path: '$.x', ...p }] });
    expect(point({ topic: 'a/#/b' })).toMatch(/topic pattern has "#": # must be the whole last level/);
    expect(point({ path: '$.a[?(@.b)]' })).toMatch(/JSON path has a filter/);
    expect(point({ path: undefined })).toMatch(/needs a JSON path/);
    expect(point({ counter: 'cumulative', type: 'string' })).toMatch(/a counter is a number/);
    expect(point({ wrapAt: 65_536 })).toMatch(/wrapAt applies to cumulative counters only/);
    expect(point({ deltaOf: 'y' })).toMatch(/derived: it has no path/);
    expect(problems({ ...base, topicId: 'a/b' })).toMatch(/topicId must not contain/);
  });

  it('reports what only the merged point list shows when the device is added', () => {
    const noTopic = mqttDeviceSchema.parse({ ...base, points: [{ name: 't', path: '$.t' }] });
    expect(() => new PayloadMapper(noTopic)).toThrow(/point t names no topic and the device has no default topic/);
    const withDefault = mqttDeviceSchema.parse({ ...base, topic: 'env/{device}', points: [{ name: 't', path: '$.t' }] });
    expect(new PayloadMapper(withDefault).filters).toEqual(['env/env-07']);
    const badDelta = mqttDeviceSchema.parse({
      ...base,
      topic: 'env/{device}',
      points: [
        { name: 't', path: '$.t' },
        { name: 'd', deltaOf: 't' },
      ],
    });
    expect(() => new PayloadMapper(badDelta)).toThrow(
      expect.objectContaining({ code: 'E_MQTT_CONFIG', message: 'env-07: point d is deltaOf t, which is not a counter point of this device' }),
    );
  });

  it('keeps profiles to points only, like every driver', () => {
    expect(mqttProfileSchema.safeParse({ name: 'p', driver: 'mqtt', points: [], topics: ['x'] }).success).toBe(false);
  });
});
