import { describe, expect, it } from 'vitest';
import { CounterTracker } from '../../drivers/modbus/counter-tracker.js';

describe('counter wrap and reset', () => {
  it('goes on through a 32-bit wrap', () => {
    const t = new CounterTracker(32);
    expect(t.next(4_294_967_290).total).toBe(4_294_967_290);
    const after = t.next(5);
    expect(after.event).toBe('wrap');
    expect(after.total).toBe(4_294_967_296 + 5);
    expect(t.next(9).total).toBe(4_294_967_296 + 9);
  });

  it('goes on through a 16-bit wrap', () => {
    const t = new CounterTracker(16);
    t.next(65_530);
    expect(t.next(3)).toEqual({ total: 65_539, event: 'wrap' });
  });

  it('takes a drop in the middle of the range as a device reset and keeps the total rising', () => {
    const t = new CounterTracker(32);
    t.next(1000);
    t.next(1500);
    const r = t.next(2);
    expect(r.event).toBe('reset');
    expect(r.total).toBe(1502);
    expect(t.next(10).total).toBe(1510);
  });

  it('reads a signed register as its unsigned bits', () => {
    const t = new CounterTracker(16);
    expect(t.next(-1).total).toBe(65_535);
  });
});
