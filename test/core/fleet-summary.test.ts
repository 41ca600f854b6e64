import { describe, expect, it } from 'vitest';
import { fleetEntry, fleetLines } from '../../gateway/cli/fleet-summary.js';

const state = (doc: Record<string, unknown>) => Buffer.from(JSON.stringify(doc));

describe('tail --fleet lines (pure)', () => {
  it('reads only gateway state topics, and refuses what is not a state', () => {
    expect(fleetEntry('gridgate/v1', 'gridgate/v1/s/g/state', state({ online: true, mode: 'normal' }))).toMatchObject({
      site: 's',
      gateway: 'g',
      online: true,
    });
    expect(fleetEntry('gridgate/v1', 'gridgate/v1/s/g/devices/d/state', state({ online: true }))).toBeUndefined();
    expect(fleetEntry('gridgate/v1', 'gridgate/v1/s/g/state', Buffer.from('{nope'))).toBeUndefined();
    expect(fleetEntry('gridgate/v1', 'gridgate/v1/s/g/state', state({ mode: 'normal' }))).toBeUndefined();
  });

  it('prints one line per gateway, sorted, and a total', () => {
    const now = Date.parse('2026-01-01T00:00:10.000Z');
    const lines = fleetLines(
      [
        { site: 'b', gateway: 'gw-2', online: false, ts: '2026-01-01T00:00:00.000Z' },
        {
          site: 'a',
          gateway: 'gw-1',
          online: true,
          mode: 'emergency',
          devices: { online: 3, total: 4 },
          outbox: { events: 2, telemetry: 10 },
          ts: '2026-01-01T00:00:08.000Z',
        },
      ],
      now,
    );
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^a\/gw-1\s+ONLINE\s+mode=emergency\s+devices=3\/4\s+backlog=2 ev 10 rd\s+state 2 s ago$/);
    expect(lines[1]).toMatch(/^b\/gw-2\s+OFFLINE\s+mode=-\s+devices=-\s+backlog=-\s+state 10 s ago$/);
    expect(lines[2]).toBe('2 gateways at 2 site(s): 1 online, 1 offline');
  });
});
