import { ModbusError } from './modbus-errors.js';

type Job = { run: () => Promise<void>; reject: (err: unknown) => void };

/**
 * Runs jobs at most `limit` at a time, first come first served (writes may jump the line).
 * A serial line gets one queue shared by every device on it (one request in flight per bus,
 * Modbus serial line 2.1: a single master, one transaction at a time); a TCP device gets its own.
 * The queue is capped: a bus that cannot keep up sheds work instead of growing without bound.
 */
export class RequestQueue {
  private readonly waiting: Job[] = [];
  private active = 0;
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly capacity = 10_000,
  ) {}

  /** Runs `fn` when a slot is free; `urgent` puts it at the head of the line (writes). */
  run<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
    if (this.closed) return Promise.reject(new ModbusError('E_MODBUS_STOPPED', 'the bus was closed'));
    if (this.waiting.length >= this.capacity)
      return Promise.reject(new ModbusError('E_MODBUS_BAD_REQUEST', `bus queue full (${this.capacity} requests waiting)`));
    return new Promise<T>((resolve, reject) => {
      const job: Job = { run: () => fn().then(resolve, reject), reject };
      if (urgent) this.waiting.unshift(job);
      else this.waiting.push(job);
      this.pump();
    });
  }

  get depth(): number {
    return this.waiting.length + this.active;
  }

  /** Rejects everything waiting; jobs in flight finish on their own (their link is closed). */
  close(): void {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new ModbusError('E_MODBUS_STOPPED', 'the bus was closed'));
  }

  private pump(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.active++;
      job.run().finally(() => {
        this.active--;
        this.pump();
      });
    }
  }
}
