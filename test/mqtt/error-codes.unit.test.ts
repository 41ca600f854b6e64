import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MQTT_ERROR_CODES } from '../../drivers/mqtt/error-codes.js';

describe('mqtt error codes', () => {
  it('are all documented in docs/mqtt.md, and nothing else is', async () => {
    const doc = await readFile(new URL('../../docs/mqtt.md', import.meta.url), 'utf8');
    const documented = new Set(doc.match(/\bE_MQTT_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.keys(MQTT_ERROR_CODES).sort());
  });
});
