import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawSample } from '../../gateway/devices/driver.js';
import { openPtyPair, type PtyPair } from '../../simulators/modbus/pty-pair.js';
import { startModbusSimulator, type ModbusSimulator } from '../../simulators/modbus/simulator.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { launchChromium, shot, watchPageErrors } from './browser.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

// Functions passed to page.waitForFunction run in the page, where `document` exists.
declare const document: any;

const PASSWORD = 'commissioning pw 7';
const CAMERA = { username: 'installer', password: 'cam secret 7 typed' };

/**
 * Test before save in Chromium, in Chinese and English: a camera whose password is typed in the
 * form (the test passes against the ONVIF simulator with WS-Security only with that password),
 * and a Modbus unit on an RTU line the gateway is already polling (the test read goes through the
 * line's queue: a socat pty and the RTU simulator; a second open of the port would fail with
 * "Cannot lock port"). Both are then saved and come online; the polls of the line never stop.
 */
describe('test before save in headless Chromium: a camera with a password, an RTU unit on a busy line', () => {
  let pty: PtyPair;
  let sim: ModbusSimulator;
  let cameras: CameraSet;
  let h: UiHarness;
  const samples: RawSample[] = [];

  beforeAll(async () => {
    pty = await openPtyPair();
    sim = await startModbusSimulator({
      devices: [
        { id: 'env-7', model: 'env-sensor', unitId: 7, server: 'line', transport: 'rtu', path: pty.device },
        { id: 'wl-9', model: 'water-level', unitId: 9, server: 'line' },
        { id: 'wl-10', model: 'water-level', unitId: 10, server: 'line' },
        { id: 'wl-11', model: 'water-level', unitId: 11, server: 'line' },
        { id: 'wl-12', model: 'water-level', unitId: 12, server: 'line' },
      ],
    });
    cameras = await startCameraSet({ cameras: 4, credentials: CAMERA, discovery: false, soapAuth: 'ws-security' });
    h = await startUi({
      devices: [
        {
          id: 'env-7',
          name: 'Line sensor',
          kind: 'modbus',
          driver: 'modbus',
          profile: 'modbus-env-sensor',
          unitId: 7,
          connection: { transport: 'rtu', path: pty.gateway, baudRate: 115_200 },
          intervalMs: 100,
          timeoutMs: 2000,
        },
      ],
    });
    await new UiClient(h.url).post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: PASSWORD });
    const bus = () => h.gateway().bus;
    bus().on('samples', (batch) => samples.push(...batch));
  });
  afterAll(async () => {
    await h?.stop();
    await cameras?.stop();
    await sim?.stop();
    await pty?.close();
  });

  const polls = () => samples.filter((s) => s.device === 'env-7' && s.quality !== 'bad').length;

  async function login(page: Page): Promise<void> {
    await page.goto(`${h.url}/ui/`);
    await page.fill('#login-form input[name=user]', 'admin');
    await page.fill('#login-form input[name=password]', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#tile-uplink');
  }

  async function saved(page: Page, id: string): Promise<void> {
    await page.click('#save-device');
    await page.waitForURL(/#\/devices$/, { timeout: 60_000 });
    await page
      .waitForFunction((d: string) => document.querySelector(`tr[data-device="${d}"] .badge`)?.dataset.value === 'online', id, { timeout: 60_000 })
      .catch(async (err: Error) => {
        await shot(page, `fail-tbs-${id}`);
        throw new Error(`${err.message}; device states: ${JSON.stringify(h.gateway().deviceStates())}`);
      });
  }

  for (const [n, lang, size, viewport] of [
    [0, 'zh-CN', 'desktop', { width: 1366, height: 768 }],
    [1, 'en', 'desktop', { width: 1366, height: 768 }],
    [2, 'zh-CN', 'phone', { width: 390, height: 844 }],
    [3, 'en', 'phone', { width: 390, height: 844 }],
  ] as const) {
    it(`${lang} on a ${size}: tests and saves a camera with a typed password, and an RTU unit on the polled line`, async () => {
      const zh = lang === 'zh-CN';
      const chrome = await launchChromium({ viewport, locale: lang, args: ['--headless', '--no-sandbox', '--disable-gpu', `--lang=${lang}`] });
      try {
        const page = chrome.page;
        const errors = watchPageErrors(page);
        page.on('dialog', (d) => void d.accept());
        await login(page);
        const passed = zh ? /^测试通过，用时 \d+ 毫秒。$/ : /^Test passed in \d+ ms\.$/;

        // The camera: a wrong password fails the test, the right one passes it, with a picture.
        const camId = `cam-${size}-${lang}`;
        await page.goto(`${h.url}/ui/#/devices/new`);
        await page.waitForSelector('#device-form');
        await page.selectOption('#device-form select[data-path=driver]', 'onvif');
        expect(await page.inputValue('#device-form select[data-path=kind]')).toBe('camera');
        await page.fill('#device-form input[data-path=id]', camId);
        await page.fill('#device-form input[data-path=name]', zh ? '东门摄像机' : 'East gate camera');
        await page.fill('#device-form input[data-path=url]', cameras.devices[n]!.url);
        await page.fill('#device-form input[data-path=username]', CAMERA.username);
        await page.fill('#device-form input[data-path=password]', 'not the password');
        await page.click('#test-device');
        await page.waitForSelector('#device-msg .notice.error', { timeout: 30_000 });
        expect(await page.textContent('#device-msg')).toMatch(zh ? /^测试失败：/ : /^Test failed: /);
        await page.fill('#device-form input[data-path=password]', CAMERA.password);
        await page.click('#test-device');
        await page.waitForSelector('#test-result img.preview', { timeout: 30_000 });
        expect(await page.textContent('#device-msg')).toMatch(passed);
        expect(await page.getAttribute('#test-result .badge', 'data-value')).toBe('online');
        await shot(page, `tbs-${size}-${lang}-camera-tested`);
        await page.fill('#device-form input[name=reason]', zh ? '新装东门摄像机' : 'new east gate camera');
        await saved(page, camId);
        // Kept as a reference; the value is in the sealed store and the daemon's environment only.
        expect((h.store.current().doc as any).devices?.find((d: any) => d.id === camId)?.password).toEqual({ env: expect.stringMatching(/^GRIDGATE_SECRET_/) });

        // The RTU unit on the line the gateway polls: the test read shows its value.
        const unit = 9 + n;
        const before = polls();
        await page.goto(`${h.url}/ui/#/devices/new`);
        await page.waitForSelector('#device-form');
        await page.selectOption('#device-form select[data-path=driver]', 'modbus');
        await page.fill('#device-form input[data-path=id]', `wl-${unit}`);
        await page.fill('#device-form input[data-path=name]', zh ? `${unit} 号水位计` : `Sump level ${unit}`);
        await page.selectOption('#profile-picker', 'modbus-water-level');
        await page.fill('#device-form input[data-path=unitId]', String(unit));
        await page.selectOption('#device-form select[data-path="connection.transport"]', 'rtu');
        await page.fill('#device-form input[data-path="connection.path"]', pty.gateway);
        await page.click('#test-device');
        await page.waitForSelector('#test-value', { timeout: 30_000 });
        expect(await page.textContent('#device-msg')).toMatch(passed);
        const shown = Number(await page.textContent('#test-value'));
        // `level` moves by a few mm over minutes (a 20 min cycle): the value the unit holds now.
        expect(Math.abs(shown - Number(sim.device(`wl-${unit}`).value('level')))).toBeLessThan(0.05);
        expect(await page.textContent('#test-result')).not.toMatch(/lock/i);
        await shot(page, `tbs-${size}-${lang}-rtu-tested`);
        await page.fill('#device-form input[name=reason]', zh ? '新装水位计' : 'new sump level gauge');
        await saved(page, `wl-${unit}`);
        // The line's polls went on through the test and the save.
        expect(polls()).toBeGreaterThan(before);
        expect(
          h
            .gateway()
            .deviceStates()
            .find((d) => d.device === 'env-7')?.status,
        ).toBe('online');
        await shot(page, `tbs-${size}-${lang}-devices`);

        // A write on the saved unit is read back through the running driver, over the same line.
        await page.goto(`${h.url}/ui/#/values/wl-${unit}`);
        const row = page.locator('#values tr[data-point="high-threshold"]');
        await row.waitFor();
        await row.locator('input').fill('2.5');
        await row.locator('button').click();
        await page.waitForSelector('.notice.ok', { timeout: 30_000 });
        expect(await page.textContent('.notice.ok')).toMatch(zh ? /回读值为 2\.5/ : /reads back 2\.5/);
        await page.waitForFunction(() => document.querySelector('#values tr[data-point="high-threshold"] .value')?.textContent === '2.5');
        expect(sim.device(`wl-${unit}`).map.words['holding-register'][10]).toBe(2500);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        await shot(page, `tbs-${size}-${lang}-values-read-back`);

        // The commissioning report says what the last test before save found, who ran it and when.
        await page.goto(`${h.url}/ui/#/report`);
        const rtuTest = `#report-devices tr[data-device="wl-${unit}"] td.last-test`;
        await page.waitForSelector(rtuTest);
        expect(await page.getAttribute(`${rtuTest} .badge`, 'data-value')).toBe('passed');
        expect(await page.textContent(rtuTest)).toMatch(new RegExp(`^${zh ? '通过' : 'passed'} level = \\d`));
        expect(await page.textContent(rtuTest)).toMatch(/admin/);
        const camTest = `#report-devices tr[data-device="${camId}"] td.last-test`;
        expect(await page.getAttribute(`${camTest} .badge`, 'data-value')).toBe('passed');
        expect(await page.textContent(camTest)).toMatch(zh ? /已抓图/ : /picture taken/);
        expect(await page.textContent('#report-devices tr[data-device="env-7"] td.last-test')).toBe(zh ? '未在此测试' : 'not tested here');
        await shot(page, `tbs-${size}-${lang}-report`);
        expect(errors).toEqual([]);
      } finally {
        await chrome.close();
      }
    }, 240_000);
  }
});
