import type { Mode } from '../../gateway/core/model.js';
import { type Block, type PlanLimits, planBlocks } from './block-planner.js';
import type { ResolvedPoint } from './resolved-point.js';
import type { ModbusDeviceConfig } from './schema.js';

/**
 * One planned read. After exception 02 the device's holes are learned and `parts` (the largest
 * valid sub-blocks) are read instead of `merged`, which is tried again at `reprobeAt` (a firmware
 * update may have closed the hole).
 */
export interface PlanEntry {
  merged: Block;
  parts: Block[] | undefined;
  /** performance.now() of the next try of `merged`. */
  reprobeAt: number;
}

/** The points of one poll group, their read plan and scheduling state. */
export interface PollGroup {
  name: string;
  points: ResolvedPoint[];
  plan: PlanEntry[];
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  /**
   * A tick found the group still running: one poll is owed, made as soon as the cycle ends
   * (unless that cycle was itself a catch-up), so a late event loop does not halve the rate.
   */
  owed: boolean;
  /** The running cycle is a catch-up of an owed poll. */
  catchUp: boolean;
  intervalMs: number;
  /** performance.now() of the next due tick (monotonic: a wall-clock step does not move it). */
  nextAt: number;
}

/** The reads a group makes now. */
export function currentBlocks(g: PollGroup): Block[] {
  return g.plan.flatMap((e) => e.parts ?? [e.merged]);
}

/** Groups points by `poll.group` and plans each group's reads. */
export function buildGroups(points: readonly ResolvedPoint[], limits: PlanLimits): PollGroup[] {
  const byName = new Map<string, ResolvedPoint[]>();
  for (const p of points) {
    const list = byName.get(p.group) ?? [];
    list.push(p);
    byName.set(p.group, list);
  }
  return [...byName].map(([name, pts]) => ({
    name,
    points: pts,
    plan: planBlocks(pts, limits).map((merged) => ({ merged, parts: undefined, reprobeAt: 0 })),
    timer: undefined,
    running: false,
    owed: false,
    catchUp: false,
    intervalMs: 0,
    nextAt: 0,
  }));
}

/**
 * A group's interval in a mode: the device's pollGroups entry wins; else the fastest of its
 * points (a point's per-mode interval, else its interval, else the device's).
 */
export function groupInterval(group: PollGroup, device: ModbusDeviceConfig, mode: Mode): number {
  const set = device.pollGroups[group.name];
  const fromDevice = set?.modes?.[mode] ?? set?.intervalMs;
  if (fromDevice !== undefined) return fromDevice;
  let min = Number.POSITIVE_INFINITY;
  for (const p of group.points) min = Math.min(min, p.modes?.[mode] ?? p.intervalMs ?? device.intervalMs);
  return Number.isFinite(min) ? min : device.intervalMs;
}
