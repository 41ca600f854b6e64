import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../gateway/daemon.js';
import { contractValidator } from '../helpers/contract.js';
import { startGateway, TEST_ROOT, tempDir, testConfig } from '../helpers/gateway-harness.js';
import { type PlatformRecorder, startPlatform, type TestPlatform } from '../helpers/platform.js';

const contract = contractValidator();

describe('platform commands', () => {
  const tmp = tempDir();
  let site: TestPlatform;
  let platform: PlatformRecorder;
  let gateway: Gateway;

  beforeAll(async () => {
    site = await startPlatform();
    platform = site.recorder;
    gateway = await startGateway(testConfig(site.broker.url, tmp.dir, { devices: [] }));
    await platform.until(() => platform.of('state').length > 0);
  });
  afterAll(async () => {
    await gateway.stop();
    await site?.stop();
    tmp.cleanup();
  });

  const send = (name: string, payload: unknown) => platform.command(TEST_ROOT, name, payload);

  it.each([
    ['not JSON', 'set-mode', '{"id": ', 'E_BAD_COMMAND', /not JSON/],
    ['no args', 'set-mode', { id: 'b-1' }, 'E_BAD_COMMAND', /args/],
    ['extra field', 'resync', { id: 'b-2', args: {}, colour: 1 }, 'E_BAD_COMMAND', /colour/],
    ['bad expiresAt', 'resync', { id: 'b-3', args: {}, expiresAt: 'tomorrow' }, 'E_BAD_COMMAND', /expiresAt/],
    ['expired', 'set-mode', { id: 'b-4', args: { mode: 'emergency' }, expiresAt: '2020-01-01T00:00:00.000Z' }, 'E_EXPIRED', /expired at 2020/],
    ['unknown command', 'reboot', { id: 'b-5', args: {} }, 'E_UNKNOWN_COMMAND', /unknown command "reboot" \(known: resync, set-mode, snapshot, write-point\)/],
    ['unknown mode', 'set-mode', { id: 'b-6', args: { mode: 'party' } }, 'E_BAD_ARGS', /args\.mode/],
    ['resync with args', 'resync', { id: 'b-7', args: { all: true } }, 'E_BAD_ARGS', /all/],
    ['write to an unknown device', 'write-point', { id: 'b-8', args: { device: 'nope', point: 'p', value: 1 } }, 'E_UNKNOWN_DEVICE', /no device "nope"/],
    ['write without value', 'write-point', { id: 'b-9', args: { device: 'x', point: 'p' } }, 'E_BAD_ARGS', /args\.value/],
  ])('refuses %s with a code and a readable message', async (_name, command, payload, code, message) => {
    const result = await send(command, payload);
    expect(contract.check('command-result', result)).toBeUndefined();
    expect(result).toMatchObject({ ok: false, error: { code } });
    expect(result.error.message).toMatch(message);
  });

  it('carries out a command id once and answers a repeat with the first result', async () => {
    const first = await send('set-mode', { id: 'once-1', args: { mode: 'holiday', reason: 'festival' } });
    expect(first).toMatchObject({ ok: true, result: { mode: 'holiday', previous: 'normal' } });
    await send('set-mode', { id: 'once-2', args: { mode: 'normal', reason: 'back' } });
    const repeat = await send('set-mode', { id: 'once-1', args: { mode: 'holiday', reason: 'festival' } });
    expect(repeat).toEqual(first);
    expect(gateway.status().mode).toBe('normal');
    expect(platform.events('mode.changed').map((e) => e.data.mode)).toEqual(['holiday', 'normal']);
  });

  it('persists the site mode across a restart', async () => {
    await send('set-mode', { id: 'persist-1', args: { mode: 'emergency', reason: 'crowd level 1' } });
    await gateway.stop();
    gateway = await startGateway(testConfig(site.broker.url, tmp.dir, { devices: [], modes: { initial: 'normal' } }));
    expect(gateway.status().mode).toBe('emergency');
  });
});
