/**
 * The MQTT parts fill mqtt-packet's length cache before they write (gateway/core/mqtt-length-cache.ts):
 * the platform connection and the embedded sensor broker. Each case in a fresh module graph, so
 * neither sees the other's fill.
 */
import pino from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { platformSchema } from '../../gateway/config/schema/gateway-config.js';

const log = pino({ level: 'silent' });

describe('mqtt-packet length cache is filled by', () => {
  beforeEach(() => vi.resetModules());

  it('the platform connection, before its first connect', async () => {
    const cache = await import('../../gateway/core/mqtt-length-cache.js');
    const { PlatformConnection } = await import('../../gateway/uplink/platform-connection.js');
    expect(cache.mqttLengthCacheFilled()).toBe(false);
    // Nothing listens on port 1 of loopback: the attempt fails, after the fill.
    const c = new PlatformConnection({
      config: platformSchema.parse({ url: 'mqtt://127.0.0.1:1' }),
      clientId: 'wiring',
      will: () => ({ topic: 't', payload: '' }),
      log,
      now: () => Date.now(),
    });
    c.start({ up: () => {}, down: () => {}, message: () => {} });
    expect(cache.mqttLengthCacheFilled()).toBe(true);
    await c.stop();
  });

  it('the embedded broker, before it listens', async () => {
    const cache = await import('../../gateway/core/mqtt-length-cache.js');
    const { EmbeddedBroker } = await import('../../drivers/mqtt/embedded-broker.js');
    expect(cache.mqttLengthCacheFilled()).toBe(false);
    const broker = new EmbeddedBroker('127.0.0.1', 0, undefined, log);
    await broker.start();
    expect(cache.mqttLengthCacheFilled()).toBe(true);
    await broker.stop();
  });
});
