import { type AnalyticsKind, raise } from './analytics.js';
import type { SimCamera } from './sim-camera.js';

/** Named scenarios the control API and CLI can start. */
export const SCENARIOS = ['crowd', 'illegal-parking-wave', 'floating-objects', 'fireworks-midnight', 'tamper', 'load', 'flap'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  /** Period of the scenario's tick, ms (defaults per scenario). */
  intervalMs?: number;
  /** How long a raised condition lasts before it clears, ms. */
  dwellMs?: number;
  /** fireworks-midnight: start now instead of at the next device-clock midnight (UTC). */
  now?: boolean;
  /** fireworks-midnight: how long the show lasts, ms. */
  durationMs?: number;
  /** load: pulse events per camera per second. */
  ratePerCamera?: number;
  /** flap: share of cameras that go offline and back (0..1). */
  fraction?: number;
  random?: () => number;
}

export interface RunningScenario {
  name: ScenarioName;
  stop(): void;
}

/** Starts a scenario over a camera list; every timer it makes is released by `stop()`. */
export function startScenario(name: ScenarioName, cameras: SimCamera[], o: ScenarioOptions = {}): RunningScenario {
  const rnd = o.random ?? Math.random;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const every = (ms: number, fn: () => void) => timers.add(setInterval(() => !stopped && fn(), ms));
  const after = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };
  const pick = () => cameras[Math.floor(rnd() * cameras.length)]!;
  const channelOf = (cam: SimCamera) => 1 + Math.floor(rnd() * cam.o.channels);
  const condition = (kind: AnalyticsKind, dwell: number, extra: { objectId?: string } = {}) => {
    const cam = pick();
    const channel = channelOf(cam);
    raise(cam, kind, { channel, on: true, ...extra });
    after(dwell, () => raise(cam, kind, { channel, on: false, ...extra }));
  };

  switch (name) {
    case 'crowd': {
      // A random walk of occupancy per camera channel; counters report the in/out since the last tick.
      const occ = new Map<string, number>();
      every(o.intervalMs ?? 5000, () => {
        for (const cam of cameras) {
          for (let ch = 1; ch <= cam.o.channels; ch++) {
            const key = `${cam.o.id}/${ch}`;
            const inN = Math.floor(rnd() * 20);
            const outN = Math.min(occ.get(key) ?? 0, Math.floor(rnd() * 20));
            const now = (occ.get(key) ?? 0) + inN - outN;
            occ.set(key, now);
            raise(cam, 'people-count', { channel: ch, in: inN, out: outN });
            raise(cam, 'occupancy', { channel: ch, occupancy: now });
            raise(cam, 'crowd-density', { channel: ch, density: Math.round((now / 500) * 100) / 100, count: now });
          }
        }
      });
      break;
    }
    case 'illegal-parking-wave': {
      let n = 0;
      every(o.intervalMs ?? 2000, () => condition('illegal-parking', o.dwellMs ?? 10_000, { objectId: `veh-${++n}` }));
      break;
    }
    case 'floating-objects':
      every(o.intervalMs ?? 3000, () => {
        const river = cameras.filter((_, i) => i % 5 === 0);
        const cam = river[Math.floor(rnd() * river.length)] ?? pick();
        raise(cam, 'floating-object', { channel: channelOf(cam), objectId: `obj-${Math.floor(rnd() * 1e6)}` });
      });
      break;
    case 'fireworks-midnight': {
      const show = () => {
        const end = Date.now() + (o.durationMs ?? 60_000);
        const smoky = cameras.filter(() => rnd() < 0.1);
        for (const cam of smoky) raise(cam, 'smoke', { on: true });
        every(o.intervalMs ?? 1000, () => {
          if (Date.now() > end) return;
          for (let i = 0; i < Math.max(1, Math.round(cameras.length / 10)); i++) raise(pick(), 'fireworks');
        });
        after(o.durationMs ?? 60_000, () => {
          for (const cam of smoky) raise(cam, 'smoke', { on: false });
        });
      };
      if (o.now) show();
      else {
        const deviceNow = cameras[0]?.deviceNow() ?? Date.now();
        const midnight = new Date(deviceNow);
        midnight.setUTCHours(24, 0, 0, 0);
        after(midnight.getTime() - deviceNow, show);
      }
      break;
    }
    case 'tamper':
      every(o.intervalMs ?? 30_000, () => condition('tamper', o.dwellMs ?? 5000));
      break;
    case 'load': {
      const period = 1000 / (o.ratePerCamera ?? 5);
      for (const cam of cameras) {
        // Random phase so 89 cameras do not fire in the same millisecond.
        after(rnd() * period, () =>
          every(period, () => raise(cam, 'line-crossed', { channel: 1, objectId: String(cam.counters.emitted), extra: { SentAt: String(Date.now()) } })),
        );
      }
      break;
    }
    case 'flap': {
      const flappers = cameras.filter(() => rnd() < (o.fraction ?? 0.1));
      every(o.intervalMs ?? 10_000, () => {
        for (const cam of flappers) void cam.setFaults({ offline: !cam.faults.offline });
      });
      break;
    }
  }
  return {
    name,
    stop: () => {
      stopped = true;
      for (const t of timers) {
        clearInterval(t);
        clearTimeout(t);
      }
      timers.clear();
    },
  };
}
