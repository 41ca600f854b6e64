import mqtt from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlatformOracle } from '../../bench/soak-oracle.js';
import { autoCompress, NOMINAL_OUTAGE_S, planDay } from '../../bench/soak-schedule.js';
import { linearFit, quantile } from '../../bench/soak-sampling.js';
import { type PlatformBroker, startPlatformBroker } from '../../simulators/platform/platform-broker.js';

/** The soak's platform-side oracle must be able to fail: fed crafted lanes through a real broker. */
describe('soak oracle', () => {
  let broker: PlatformBroker | undefined;
  let oracle: PlatformOracle | undefined;
  afterEach(async () => {
    await oracle?.stop();
    await broker?.stop();
  });

  const feed = async (telemetry: number[], events: Array<{ seq: number; mark?: string }>) => {
    broker = await startPlatformBroker();
    oracle = new PlatformOracle(broker.url);
    await oracle.start();
    const gw = mqtt.connect(broker.url);
    await new Promise((r) => gw.once('connect', r));
    for (const seq of telemetry)
      await gw.publishAsync('gridgate/v1/site/gw/telemetry', JSON.stringify({ seq, readings: [{ id: `r${seq}` }, { id: `s${seq}` }] }), { qos: 1 });
    for (const e of events)
      await gw.publishAsync(
        'gridgate/v1/site/gw/events',
        JSON.stringify({
          seq: e.seq,
          id: `e${e.seq}`,
          type: 'fire.smoke',
          ts: new Date().toISOString(),
          source: { device: 'cam-080' },
          data: e.mark ? { SoakMark: e.mark } : {},
        }),
        { qos: 1 },
      );
    await gw.endAsync();
    const o = oracle;
    await vi.waitFor(() => expect(o.lanes.telemetry.messages + o.lanes.events.messages).toBe(telemetry.length + events.length));
    return o;
  };

  it('passes gap-free, ordered lanes with every mark arrived', async () => {
    const o = await feed(
      [1, 2, 3],
      [
        { seq: 1, mark: '1' },
        { seq: 2, mark: '1-off' },
      ],
    );
    o.expectMark({ mark: 1, camera: 'cam-080', raisedAt: Date.now(), during: 'normal' });
    const v = o.verdict([]);
    expect(v.ok).toBe(true);
    expect(v.readings).toBe(6);
    expect(v.marks).toMatchObject({ raised: 1, arrived: 1 });
  });

  it('finds a gap, a reordering, a repeat outside any window and a missing mark', async () => {
    const o = await feed([1, 3, 2, 4, 4, 6], [{ seq: 1, mark: '1' }]);
    o.expectMark({ mark: 1, camera: 'cam-080', raisedAt: Date.now(), during: 'normal' });
    o.expectMark({ mark: 2, camera: 'cam-081', raisedAt: Date.now(), during: 'normal' });
    const v = o.verdict([]);
    expect(v.ok).toBe(false);
    expect(v.telemetry).toMatchObject({ gaps: 1, firstGaps: [5], reordered: 1, repeats: 1, repeatsByCause: { elsewhere: 1 } });
    expect(v.readings).toBe(10); // the repeat is not counted twice
    expect(v.marks.missing.map((m) => m.mark)).toEqual([2]);
  });

  it('counts repeats inside a kill -9 window as expected, not as a failure', async () => {
    const from = Date.now();
    const o = await feed([1, 2, 2, 3], []);
    const v = o.verdict([{ cause: 'kill-9', from, to: Date.now() + 1000 }]);
    expect(v.telemetry.repeatsByCause).toEqual({ 'kill-9': 1 });
    expect(v.ok).toBe(true);
  });

  it('counts apart only a mark raised in the last second before a stop or while it stops (on the wire); any other missing mark fails', async () => {
    const o = await feed([1], []);
    const stop = Date.now();
    const windows = [{ cause: 'restart', from: stop, stoppedAt: stop + 200, to: stop + 20_000 }];
    o.expectMark({ mark: 1, camera: 'cam-080', raisedAt: stop - 500, during: 'normal' });
    o.expectMark({ mark: 2, camera: 'cam-081', raisedAt: stop + 100, during: 'normal' });
    expect(o.verdict(windows)).toMatchObject({ ok: true, marks: { raisedNearStop: 2, onTheWireAtStop: 2, missing: [] } });
    // Raised 2 s before the stop, or while no gateway ran: the camera queued it; it must arrive.
    o.expectMark({ mark: 3, camera: 'cam-082', raisedAt: stop - 2000, during: 'normal' });
    o.expectMark({ mark: 4, camera: 'cam-083', raisedAt: stop + 5000, during: 'gateway down' });
    const v = o.verdict(windows);
    expect(v.ok).toBe(false);
    expect(v.marks.missing.map((m) => m.mark)).toEqual([3, 4]);
    expect(v.marks).toMatchObject({ raisedWhileDown: 1, arrivedWhileDown: 0 });
  });
});

describe('soak schedule and figures', () => {
  it('keeps real outage durations on a 2 h run and compresses them on a short one', () => {
    expect(autoCompress(2 * 3_600_000)).toBe(1);
    const day = planDay(2 * 3_600_000, 1);
    const outages = day.filter((p) => p.what.kind === 'outage').map((p) => p.durationMs / 1000);
    expect(Math.min(...outages)).toBe(30);
    expect(Math.max(...outages)).toBe(600);
    // 6 min: the outages fill at most a fifth of the run, and the day ends inside it.
    const short = planDay(6 * 60_000, autoCompress(6 * 60_000));
    const outageMs = short.filter((p) => p.what.kind === 'outage').reduce((n, p) => n + p.durationMs, 0);
    expect(outageMs).toBeLessThanOrEqual(0.2 * 6 * 60_000 + 1);
    expect(NOMINAL_OUTAGE_S).toBe(1290);
    expect(short.every((p) => p.atMs < 6 * 60_000)).toBe(true);
  });

  it('fits a slope and takes quantiles', () => {
    expect(
      linearFit([
        [0, 100],
        [1, 101],
        [2, 102],
      ])?.slope,
    ).toBeCloseTo(1);
    expect(linearFit([[0, 1]])).toBeUndefined();
    expect(quantile([5, 1, 4, 2, 3], 0.99)).toBe(5);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});
