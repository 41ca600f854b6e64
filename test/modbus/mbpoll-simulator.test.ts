import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../simulators/modbus/pty-pair.js';
import { type ModbusSimulator, startModbusSimulator } from '../../simulators/modbus/simulator.js';

const run = promisify(execFile);

/** Our RTU simulator on a pty, read by mbpoll (Debian), a master we did not write. */
describe('the RTU simulator, seen by mbpoll', () => {
  let pty: PtyPair;
  let sim: ModbusSimulator;
  beforeAll(async () => {
    pty = await openPtyPair();
    sim = await startModbusSimulator({ devices: [{ id: 'wl', model: 'water-level', unitId: 9, transport: 'rtu', path: pty.device }] });
  });
  afterAll(async () => {
    await sim?.stop();
    await pty?.close();
  });

  const mbpoll = (...args: string[]) =>
    run('mbpoll', ['-m', 'rtu', '-a', '9', '-b', '9600', '-P', 'none', '-1', '-o', '1', '-0', ...args, pty.gateway]).then(
      (r) => ({ ok: true, out: r.stdout + r.stderr }),
      (e: { stdout: string; stderr: string }) => ({ ok: false, out: e.stdout + e.stderr }),
    );

  it('answers a holding register with the value the simulator holds', async () => {
    // holding 10 is the profile's high-threshold (uint16, scale 0.001 m)
    sim.device('wl').setValue('high-threshold', 1.234);
    const r = await mbpoll('-t', '4', '-r', '10', '-c', '1');
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toMatch(/\[10\]:\s+1234\n/);
  });

  it('answers a read of a hole with exception 02, as mbpoll reads it', async () => {
    sim.device('wl').setFaults({ holes: [{ table: 'holding-register', address: 10 }] });
    const r = await mbpoll('-t', '4', '-r', '10', '-c', '1');
    expect(r.out).toMatch(/Illegal data address/);
    sim.device('wl').clearFaults();
  });
});
