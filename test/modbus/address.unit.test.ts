import { describe, expect, it } from 'vitest';
import { describeAddress, resolveAddress } from '../../drivers/modbus/address.js';

describe('address notations', () => {
  it('keeps a number as the 0-based protocol address', () => {
    expect(resolveAddress('holding-register', 100)).toEqual({ table: 'holding-register', address: 100 });
  });
  it('converts a 1-based register number', () => {
    expect(resolveAddress('input-register', { oneBased: 101 })).toEqual({ table: 'input-register', address: 100 });
  });
  it('converts 5- and 6-digit Modicon references, table included', () => {
    expect(resolveAddress(undefined, '40101')).toEqual({ table: 'holding-register', address: 100 });
    expect(resolveAddress(undefined, '300001')).toEqual({ table: 'input-register', address: 0 });
    expect(resolveAddress(undefined, '00001')).toEqual({ table: 'coil', address: 0 });
    expect(resolveAddress(undefined, '10010')).toEqual({ table: 'discrete-input', address: 9 });
    expect(resolveAddress(undefined, '465536')).toEqual({ table: 'holding-register', address: 65_535 });
  });
  it('says why an address is wrong', () => {
    expect(resolveAddress('input-register', '40101')).toMatch(/holding-register table but the point says table input-register/);
    expect(resolveAddress(undefined, 7)).toMatch(/needs a table/);
    expect(resolveAddress(undefined, '20001')).toMatch(/not a Modicon reference/);
    expect(resolveAddress('coil', 70_000)).toMatch(/0\.\.65535/);
    expect(resolveAddress('coil', { oneBased: 0 })).toMatch(/1\.\.65536/);
    expect(resolveAddress(undefined, '40000')).toMatch(/outside 1\.\.65536/);
  });
  it('describes addresses as register numbers technicians read on data sheets', () => {
    expect(describeAddress('holding-register', 100)).toBe('holding 101');
  });
});
