import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceTestLog } from '../../gateway/ui/device-test-log.js';
import type { DeviceTestResult } from '../../gateway/ui/device-tester.js';
import { tempDir } from '../helpers/gateway-harness.js';

const passed: DeviceTestResult = {
  ok: true,
  status: { status: 'online' },
  reading: { id: 'r1', device: 'wl-9', point: 'level', ts: '2026-11-30T00:00:00.000Z', value: 1.25, unit: 'm', quality: 'good' },
  seen: [],
  snapshot: 'data:image/jpeg;base64,AAAA',
  errors: [],
  tookMs: 42,
};

describe('DeviceTestLog: the last test before save per device, for the commissioning report', () => {
  it('keeps the last test of each device across a restart, without the picture', () => {
    const dir = tempDir('gridgate-tests-');
    try {
      const file = join(dir.dir, 'ui', 'device-tests.json');
      const log = new DeviceTestLog(file);
      log.record(
        'wl-9',
        'admin',
        { ...passed, ok: false, errors: ['no answer in 500 ms from holding 1 on unit 9'], reading: undefined, snapshot: undefined },
        new Date('2026-11-30T00:00:00Z'),
      );
      log.record('wl-9', 'tech1', passed, new Date('2026-11-30T00:01:00Z'));
      const again = new DeviceTestLog(file);
      expect(again.get('wl-9')).toEqual({
        at: '2026-11-30T00:01:00.000Z',
        by: 'tech1',
        ok: true,
        tookMs: 42,
        status: 'online',
        reading: { point: 'level', value: 1.25, unit: 'm', quality: 'good' },
        snapshot: true,
      });
      expect(readFileSync(file, 'utf8')).not.toContain('base64');
      expect(again.get('cam-1')).toBeUndefined();
    } finally {
      dir.cleanup();
    }
  });

  it('reads a broken file as empty and writes over it', () => {
    const dir = tempDir('gridgate-tests-');
    try {
      const file = join(dir.dir, 'device-tests.json');
      writeFileSync(file, '{not json');
      const log = new DeviceTestLog(file);
      expect(log.get('wl-9')).toBeUndefined();
      log.record('wl-9', 'admin', passed);
      expect(new DeviceTestLog(file).get('wl-9')?.ok).toBe(true);
    } finally {
      dir.cleanup();
    }
  });
});
