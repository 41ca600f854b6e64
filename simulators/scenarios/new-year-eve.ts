import type { ModbusSimulator } from '../modbus/simulator.js';

/** Cameras the scenario can drive (the ONVIF camera-set simulator provides this). */
export interface ScenarioCameras {
  crowdDensity(zone: string, level: 'rising' | 'high' | 'very-high'): void;
  fireworks(zone: string): void;
}

export interface NewYearEveOptions {
  modbus: ModbusSimulator;
  /** Simulated counting lines of the zone: device ids and their in/out point names. */
  counters: Array<{ device: string; in: string; out: string }>;
  zone: string;
  /** Occupancy added at the start, and reached at "midnight". */
  from?: number;
  to?: number;
  /** How long the climb from `from` to `to` takes (compressed New Year's Eve). */
  rampMs?: number;
  stepMs?: number;
  /** Wait before the first count, so the gateway has read every counter's baseline. */
  settleMs?: number;
  cameras?: ScenarioCameras;
  /** One line per scenario step, for the demo's console. */
  say?: (line: string) => void;
  /** Called when the zone's simulated occupancy passes a value (benchmarks time from here). */
  onPass?: (value: number, at: number) => void;
  watch?: number[];
}

/**
 * New Year's Eve at the CBD square: the people counters take the zone from 20,000 to 52,000
 * over a few minutes (people keep leaving too), the cameras report rising crowd density, and at
 * "midnight" — the end of the climb — fireworks. The gateway is expected to raise crowd levels
 * 3, 2 and 1, switch to emergency, and attach the zone cameras' snapshots.
 */
export function runNewYearEve(o: NewYearEveOptions): { done: Promise<void>; stop: () => void } {
  const from = o.from ?? 20_000;
  const to = o.to ?? 52_000;
  const rampMs = o.rampMs ?? 180_000;
  const stepMs = o.stepMs ?? 500;
  const say = o.say ?? (() => {});
  const watch = [...(o.watch ?? [])].sort((a, b) => a - b);
  let stopped = false;
  let occupancy = 0;
  const densityMarks: Array<[number, 'rising' | 'high' | 'very-high']> = [
    [25_000, 'rising'],
    [35_000, 'high'],
    [45_000, 'very-high'],
  ];

  const add = (entering: number, leaving: number) => {
    // Spread over the lines, and move each counter from its current value: the simulator's own
    // slow counting goes on underneath, so setting absolute values would make counters go back.
    const lines = o.counters.length;
    o.counters.forEach((line, i) => {
      const device = o.modbus.device(line.device);
      const share = (n: number) => Math.floor(n / lines) + (i < n % lines ? 1 : 0);
      device.setValue(line.in, Number(device.value(line.in) ?? 0) + share(entering));
      device.setValue(line.out, Number(device.value(line.out) ?? 0) + share(leaving));
    });
    const before = occupancy;
    occupancy += entering - leaving;
    while (watch.length && before < watch[0]! && occupancy >= watch[0]!) o.onPass?.(watch.shift()!, Date.now());
    while (densityMarks.length && occupancy >= densityMarks[0]![0]) {
      const [, level] = densityMarks.shift()!;
      say(`cameras: crowd density ${level} at ${o.zone}`);
      o.cameras?.crowdDensity(o.zone, level);
    }
  };

  const done = (async () => {
    say(`new-year-eve: ${o.zone} fills from ${from} to ${to} over ${Math.round(rampMs / 1000)} s`);
    await sleep(o.settleMs ?? 3000);
    if (stopped) return;
    add(from, 0);
    say(`${o.zone}: ${occupancy} people (evening crowd)`);
    const steps = Math.max(1, Math.round(rampMs / stepMs));
    const perStep = (to - from) / steps;
    let carried = 0;
    for (let i = 0; i < steps && !stopped; i++) {
      await sleep(stepMs);
      carried += perStep;
      const net = Math.floor(carried);
      carried -= net;
      const leaving = Math.floor(net * 0.15);
      add(net + leaving, leaving);
      if (i % Math.max(1, Math.round(10_000 / stepMs)) === 0) say(`${o.zone}: ${occupancy} people`);
    }
    if (stopped) return;
    say(`midnight: fireworks over ${o.zone} (${occupancy} people)`);
    o.cameras?.fireworks(o.zone);
  })();
  return {
    done,
    stop: () => {
      stopped = true;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
