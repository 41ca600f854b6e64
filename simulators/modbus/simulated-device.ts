import { isBitTable, type Table } from '../../drivers/modbus/address.js';
import { encodeRegisters, integerRange } from '../../drivers/modbus/data-types.js';
import type { ResolvedPoint } from '../../drivers/modbus/resolved-point.js';
import { type Behaviour, Random, step } from './behaviours.js';
import type { DeviceModel } from './device-models.js';
import type { Faults } from './faults.js';
import { handlePdu } from './pdu-handler.js';
import { RegisterMap } from './register-map.js';

interface SimPoint {
  point: ResolvedPoint;
  scale: number;
  offset: number;
  behaviour: Behaviour | undefined;
  /** A client wrote it: it keeps the written registers instead of moving. */
  held: boolean;
}

/**
 * One simulated device: a register map laid out from its profile, values that move with time
 * (updated lazily, at most every 100 ms, when a request comes), and faults a test can switch on.
 * The map exists from the lowest to the highest address each table's points use.
 */
export class SimulatedDevice {
  readonly map = new RegisterMap();
  faults: Faults = {};
  requests = 0;
  private readonly values = new Map<string, number | boolean | string>();
  private readonly points: SimPoint[];
  private readonly ordered: SimPoint[];
  private readonly rnd: Random;
  private lastUpdate = 0;

  constructor(
    readonly id: string,
    readonly unitId: number,
    points: ReadonlyArray<{ resolved: ResolvedPoint; scale: number; offset: number }>,
    model: DeviceModel,
    seed: number,
  ) {
    this.rnd = new Random(seed);
    this.points = points.map(({ resolved, scale, offset }) => ({
      point: resolved,
      scale,
      offset,
      behaviour: model.rules.find(([re]) => re.test(resolved.name))?.[1],
      held: false,
    }));
    this.ordered = [...this.points].sort((a, b) => Number(a.behaviour?.kind === 'derived') - Number(b.behaviour?.kind === 'derived'));
  }

  /** Lays out the map and sets first values (called once by the simulator). */
  init(now: number): void {
    const lo = new Map<Table, number>();
    const hi = new Map<Table, number>();
    for (const { point: p } of this.points) {
      lo.set(p.table, Math.min(lo.get(p.table) ?? 65_536, p.address));
      hi.set(p.table, Math.max(hi.get(p.table) ?? 0, p.address + p.count));
    }
    for (const [table, start] of lo) this.map.addSpan(table, start, hi.get(table)!);
    this.update(now, true);
  }

  /** Moves every value on to `now`. */
  update(now: number, force = false): void {
    const dt = now - this.lastUpdate;
    if (!force && dt < 100) return;
    this.lastUpdate = now;
    // Derived points last, so they see this update's values.
    for (const sp of this.ordered) {
      if (sp.held || !sp.behaviour) continue;
      const v = step(sp.behaviour, this.values.get(sp.point.name), force ? 0 : dt, now, this.rnd, this.values);
      this.values.set(sp.point.name, v);
      this.store(sp, v);
    }
  }

  /** Sets a point's engineering value (a counter continues from it). */
  setValue(point: string, value: number | boolean | string): void {
    const sp = this.points.find((p) => p.point.name === point);
    if (!sp) throw new Error(`simulated device ${this.id} has no point ${point}`);
    this.values.set(point, value);
    this.store(sp, value);
  }

  /** The current engineering value of a point. */
  value(point: string): number | boolean | string | undefined {
    return this.values.get(point);
  }

  setFaults(faults: Faults): void {
    this.faults = { ...faults };
    this.map.holes = { coil: new Set(), 'discrete-input': new Set(), 'input-register': new Set(), 'holding-register': new Set() };
    for (const h of faults.holes ?? []) this.map.holes[h.table].add(h.address);
  }

  clearFaults(): void {
    this.setFaults({});
  }

  /** Answers a request PDU (faults other than holes are applied by the server that carries it). */
  handle(pdu: Buffer, now: number): Buffer {
    this.requests++;
    this.update(now);
    return handlePdu(pdu, this.map, (table, address, count) => this.written(table, address, count));
  }

  private written(table: Table, address: number, count: number): void {
    for (const sp of this.points) {
      const p = sp.point;
      if (p.table === table && p.address < address + count && address < p.address + p.count) sp.held = true;
    }
  }

  private store(sp: SimPoint, value: number | boolean | string): void {
    const p = sp.point;
    if (isBitTable(p.table)) {
      this.map.setBit(p.table as 'coil' | 'discrete-input', p.address, Boolean(value));
      return;
    }
    const words = this.map.words[p.table as 'input-register' | 'holding-register'];
    if (p.type === 'bit') {
      const mask = 1 << p.bit!;
      words[p.address] = value ? words[p.address]! | mask : words[p.address]! & ~mask;
      return;
    }
    if (p.type === 'string' || p.type === 'bool') {
      words.set(encodeRegisters(p.type === 'bool' ? Boolean(value) : String(value), p), p.address);
      return;
    }
    let raw = (Number(value) - sp.offset) / sp.scale;
    const range = integerRange(p.type);
    if (range) {
      raw = Math.floor(raw);
      const size = range[1] - range[0] + 1;
      // Counters wrap like the device's register does; other integers saturate.
      if (p.counter) raw = ((((raw - range[0]) % size) + size) % size) + range[0];
      else raw = Math.min(range[1], Math.max(range[0], raw));
    }
    words.set(encodeRegisters(raw, p), p.address);
  }
}
