import { afterEach, describe, expect, it } from 'vitest';
import { eventsOf, type Harness, poll, startHarness } from './sim-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('ONVIF driver at site scale', () => {
  it('runs 89 cameras where 9 are dead, slow or hostile; the other 80 subscribe and deliver', async () => {
    const bad = Array.from({ length: 89 }, (_, i) => `cam-${String(i + 1).padStart(3, '0')}`).filter((_, i) => i % 10 === 3);
    h = await startHarness({ cameras: 89 }, {}, undefined, async (set) => {
      // Faulty from the start, added with the others: their retries must not hold anyone up.
      await Promise.all(
        bad.map((id, i) => set.setFaults(id, i % 3 === 0 ? { offline: true } : i % 3 === 1 ? { slowMs: 5000 } : { malformed: 'billion-laughs' })),
      );
    });
    const good = h.set.devices.map((d) => d.id).filter((id) => !bad.includes(id));
    expect(good).toHaveLength(80);
    await poll(() => good.every((id) => h!.driver.stats().find((s) => s.device === id)?.subscription?.state === 'active'), '80 healthy cameras subscribed');
    for (const id of good) h.set.emit(id, 'line-crossed');
    await h.ctx.until(() => good.every((id) => eventsOf(h!, id, 'line.crossed').length === 1), 20_000, 'one event from each healthy camera');
    await poll(() => bad.every((id) => h!.ctx.lastStatus(id) && h!.ctx.lastStatus(id)!.status !== 'online'), 'bad cameras reported');
    expect(new Set(bad.map((id) => h!.ctx.lastStatus(id)!.meta?.reason))).toEqual(new Set(['unreachable', 'protocol']));
  });
});
