import { ERROR_KINDS, type ErrorKind } from './error-codes.js';

/** A snapshot of one device's counters, for the core's metrics (plain data, cheap to copy). */
export interface ModbusDeviceStats {
  requests: number;
  errors: Record<ErrorKind, number>;
  /** Round-trip time of successful requests, ms. */
  rtt: { last: number; avg: number; max: number };
  /** Points carried per successful read request. */
  pointsPerRequest: number;
  cycles: number;
  /**
   * Ticks that found the previous cycle of the same group still running. The first such poll is
   * owed and made when that cycle ends (device-poller.ts); further ones are skipped.
   */
  overruns: number;
  /** Duration of poll cycles (queue wait included), ms. */
  cycleMs: { last: number; avg: number; max: number };
  online: boolean;
  /** The status last reported (before the first report: offline). */
  status: 'online' | 'offline' | 'error';
}

/** Mutable counters behind ModbusDeviceStats. */
export class DeviceStats {
  requests = 0;
  readonly errors = Object.fromEntries(ERROR_KINDS.map((k) => [k, 0])) as Record<ErrorKind, number>;
  private rttSum = 0;
  private rttCount = 0;
  private rttLast = 0;
  private rttMax = 0;
  private reads = 0;
  private pointsRead = 0;
  cycles = 0;
  overruns = 0;
  private cycleLast = 0;
  private cycleSum = 0;
  private cycleMax = 0;
  status: 'online' | 'offline' | 'error' = 'offline';

  cycle(ms: number): void {
    this.cycles++;
    this.cycleLast = ms;
    this.cycleSum += ms;
    if (ms > this.cycleMax) this.cycleMax = ms;
  }

  request(rttMs: number, points: number): void {
    this.requests++;
    this.rttLast = rttMs;
    this.rttSum += rttMs;
    this.rttCount++;
    if (rttMs > this.rttMax) this.rttMax = rttMs;
    if (points > 0) {
      this.reads++;
      this.pointsRead += points;
    }
  }

  error(kind: ErrorKind): void {
    this.requests++;
    this.errors[kind]++;
  }

  snapshot(): ModbusDeviceStats {
    return {
      requests: this.requests,
      errors: { ...this.errors },
      rtt: { last: this.rttLast, avg: this.rttCount ? this.rttSum / this.rttCount : 0, max: this.rttMax },
      pointsPerRequest: this.reads ? this.pointsRead / this.reads : 0,
      cycles: this.cycles,
      overruns: this.overruns,
      cycleMs: { last: this.cycleLast, avg: this.cycles ? this.cycleSum / this.cycles : 0, max: this.cycleMax },
      online: this.status === 'online',
      status: this.status,
    };
  }
}
