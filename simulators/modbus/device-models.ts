import type { Behaviour } from './behaviours.js';

/**
 * A simulated device model: the profile that is its register map (config/profiles/<profile>.yaml,
 * the same file the gateway polls it with) and how each point moves. Rules are tried in order;
 * the first whose pattern matches the point name applies; unmatched points stay at 0.
 */
export interface DeviceModel {
  profile: string;
  rules: Array<[RegExp, Behaviour]>;
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const WRAP_SOON = 4_294_967_295 - 600;

export const DEVICE_MODELS = {
  'env-sensor': {
    profile: 'modbus-env-sensor',
    rules: [
      [/^temperature$/, { kind: 'cycle', mean: 22, amplitude: 6, periodMs: 30 * 60_000, noise: 0.1 }],
      [/^humidity$/, { kind: 'walk', mean: 55, spread: 25, step: 0.5 }],
      [/^pm25$/, { kind: 'walk', mean: 35, spread: 30, step: 2 }],
      [/^pm10$/, { kind: 'walk', mean: 60, spread: 40, step: 3 }],
      [/^noise$/, { kind: 'walk', mean: 62, spread: 15, step: 3 }],
      [/^sensor-fault$/, { kind: 'constant', value: false }],
      [/^heater-on$/, { kind: 'derived', from: (v) => num(v.get('humidity')) > 75 }],
      [/^pm25-alarm-level$/, { kind: 'constant', value: 75 }],
    ],
  },
  'power-meter': {
    profile: 'modbus-power-meter',
    rules: [
      [/^voltage$/, { kind: 'walk', mean: 230, spread: 8, step: 0.5 }],
      [/^current$/, { kind: 'walk', mean: 12, spread: 10, step: 0.5 }],
      [/^power-factor$/, { kind: 'walk', mean: 0.93, spread: 0.05, step: 0.005 }],
      [/^power$/, { kind: 'derived', from: (v) => (num(v.get('voltage')) * num(v.get('current')) * num(v.get('power-factor'))) / 1000 }],
      [/^frequency$/, { kind: 'walk', mean: 50, spread: 0.1, step: 0.01 }],
      [/^energy$/, { kind: 'counter', perSec: 0.003, start: 12_345.6 }],
      [/^relay$/, { kind: 'constant', value: true }],
    ],
  },
  'people-counter': {
    profile: 'modbus-people-counter',
    rules: [
      // Starts ~10 minutes before the 32-bit wrap so a demo shows the wrap handling.
      [/^in$/, { kind: 'counter', perSec: 1, start: WRAP_SOON }],
      [/^out$/, { kind: 'counter', perSec: 0.9, start: WRAP_SOON - 40 }],
      [/^occupancy$/, { kind: 'walk', mean: 60, spread: 60, step: 2 }],
      [/^door-open$/, { kind: 'flag', probability: 0.9 }],
    ],
  },
  'water-level': {
    profile: 'modbus-water-level',
    rules: [
      [/^level$/, { kind: 'cycle', mean: 1.2, amplitude: 0.5, periodMs: 20 * 60_000, noise: 0.003 }],
      [/^level-rate/, { kind: 'walk', mean: 0, spread: 5, step: 0.5 }],
      [/^high-threshold$/, { kind: 'constant', value: 1.6 }],
      [/^high-alarm$/, { kind: 'derived', from: (v) => num(v.get('level')) > num(v.get('high-threshold')) }],
      [/^low-alarm$/, { kind: 'derived', from: (v) => num(v.get('level')) < 0.3 }],
      [/^float-switch$/, { kind: 'derived', from: (v) => num(v.get('level')) > 1.0 }],
      [/^pump$/, { kind: 'constant', value: false }],
    ],
  },
  'power-meter-3p': {
    profile: 'power-meter-3p',
    rules: [
      [/^voltage-l\d-l\d$|^voltage-ll/, { kind: 'walk', mean: 400, spread: 10, step: 0.5 }],
      [/^voltage/, { kind: 'walk', mean: 230, spread: 6, step: 0.4 }],
      [/^current/, { kind: 'walk', mean: 20, spread: 15, step: 0.5 }],
      [/^power-factor/, { kind: 'walk', mean: 0.95, spread: 0.04, step: 0.005 }],
      [/power|demand/, { kind: 'walk', mean: 4000, spread: 3000, step: 50 }],
      [/^frequency$/, { kind: 'walk', mean: 50, spread: 0.1, step: 0.01 }],
      [/energy|^charge$/, { kind: 'counter', perSec: 0.01, start: 1000 }],
      [/^thd/, { kind: 'walk', mean: 3, spread: 2, step: 0.1 }],
      [/^phase-angle/, { kind: 'walk', mean: 18, spread: 10, step: 0.5 }],
      [/^demand-period$/, { kind: 'constant', value: 15 }],
      [/^serial-number$/, { kind: 'constant', value: 21_050_042 }],
      [/^meter-code$/, { kind: 'constant', value: 0x0070 }],
      [/^node-address$/, { kind: 'constant', value: 1 }],
      [/^baud-rate$/, { kind: 'constant', value: 2 }],
    ],
  },
  'rs485-people-counter': {
    profile: 'rs485-people-counter',
    rules: [
      [/^model$/, { kind: 'constant', value: 'PC-3D-200' }],
      [/^firmware$/, { kind: 'constant', value: 312 }],
      [/^in-total$/, { kind: 'counter', perSec: 1.2, start: 182_340 }],
      [/^out-total$/, { kind: 'counter', perSec: 1.1, start: 182_100 }],
      [/^occupancy$/, { kind: 'derived', from: (v) => Math.max(0, Math.floor(num(v.get('in-total')) - num(v.get('out-total')))) }],
      [/^tamper$/, { kind: 'constant', value: false }],
      [/^lens-dirty$/, { kind: 'flag', probability: 0.001 }],
      [/^occupancy-limit$/, { kind: 'constant', value: 800 }],
    ],
  },
} satisfies Record<string, DeviceModel>;

export type ModelName = keyof typeof DEVICE_MODELS;
export const MODEL_NAMES = Object.keys(DEVICE_MODELS) as ModelName[];
