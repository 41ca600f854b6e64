import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import { DRIVER_MODULES } from '../../drivers/index.js';
import { createDrivers } from '../../gateway/devices/driver-module.js';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { launchChromium, shot, watchPageErrors } from './browser.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

declare const document: any;

/**
 * Discovery against the ONVIF simulator (WS-Discovery by unicast on loopback) with the real ONVIF
 * driver: scan, add a discovered camera with its credentials, and see its snapshot in the grid.
 */
describe('discovery screen in headless Chromium', () => {
  let h: UiHarness;
  let set: CameraSet;

  beforeAll(async () => {
    set = await startCameraSet({ cameras: 3, nvrChannels: 4, discovery: { port: 0, maxDelayMs: 10 } });
    const onvif = () =>
      new OnvifDriver({ discovery: { interfaces: ['127.0.0.1'], multicast: false, unicastTargets: [{ host: '127.0.0.1', port: set.discoveryPort! }] } });
    h = await startUi({ ui: { drivers: () => new Map([...createDrivers(DRIVER_MODULES), ['onvif', onvif()]]) } });
    await new UiClient(h.url).post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: 'discovery password' });
  });
  afterAll(async () => {
    await h?.stop();
    await set?.stop();
  });

  it('lists the cameras found, adds one with its credentials, and shows its snapshot', async () => {
    const chrome = await launchChromium({ viewport: { width: 1280, height: 860 } });
    try {
      const page = chrome.page;
      const errors = watchPageErrors(page);
      await page.goto(`${h.url}/ui/`);
      await page.fill('#login-form input[name=user]', 'admin');
      await page.fill('#login-form input[name=password]', 'discovery password');
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#tile-uplink');
      await page.goto(`${h.url}/ui/#/discovery`);
      await page.click('#scan');
      await page.waitForFunction(() => document.querySelectorAll('#discovery-results tr[data-identity]').length === 4, undefined, { timeout: 15_000 });
      const identities = await page.$$eval('#discovery-results tr[data-identity]', (rows: any[]) => rows.map((r) => r.dataset.identity).sort());
      expect(identities).toEqual(set.devices.map((d) => d.uuid).sort());
      await page.check('#discovery-results tr[data-identity] input[type=checkbox]');
      await page.fill('#discovery-results input[name=password]', 'admin');
      await shot(page, 'desktop-30-discovery');
      const id = await page.inputValue('#discovery-results input.new-id');
      await page.click('#add-selected');
      await page
        // After adding, the page scans again: the camera now shows as configured.
        .waitForFunction((x: string) => document.querySelector('#discovery-results')?.textContent?.includes(`configured as ${x}`), id, { timeout: 20_000 })
        .catch(async (err: unknown) => {
          await shot(page, 'desktop-31-discovery-add-failed');
          throw new Error(`${String(err)}; the page says: ${await page.textContent('#discovery-msg')}`);
        });
      await shot(page, 'desktop-31-discovery-added');
      await page.goto(`${h.url}/ui/#/cameras`);
      await page.waitForSelector(`figure[data-device="${id}"] img`);
      await page.click('#refresh-snapshots');
      await page.waitForFunction(
        (x: string) => {
          const img = document.querySelector(`figure[data-device="${x}"] img`);
          return img?.complete && img.naturalWidth > 0;
        },
        id,
        { timeout: 20_000 },
      );
      await shot(page, 'desktop-32-camera-snapshot');
      expect(errors).toEqual([]);
    } finally {
      await chrome.close();
    }
  });
});

/**
 * An empty scan says what it did (issue 13, "Discovery"): the ONVIF driver's report of what was
 * probed on which interfaces, in both languages. The probe goes by unicast to a UDP port on
 * loopback where something listens and never answers, as a camera on another subnet would.
 */
describe('an empty scan explains what was probed where, in Chinese and English', () => {
  let h: UiHarness;
  let silent: Socket;
  let port = 0;
  const heard: number[] = [];

  beforeAll(async () => {
    silent = createSocket('udp4');
    silent.on('message', (m) => heard.push(m.length));
    await new Promise<void>((ok) => silent.bind(0, '127.0.0.1', ok));
    port = silent.address().port;
    const onvif = () => new OnvifDriver({ discovery: { interfaces: ['127.0.0.1'], multicast: false, unicastTargets: [{ host: '127.0.0.1', port }] } });
    h = await startUi({ ui: { drivers: () => new Map([...createDrivers(DRIVER_MODULES), ['onvif', onvif()]]) } });
    await new UiClient(h.url).post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: 'discovery password' });
  });
  afterAll(async () => {
    await h?.stop();
    silent?.close();
  });

  for (const [lang, viewport] of [
    ['en', { width: 1366, height: 768 }],
    ['zh-CN', { width: 390, height: 844 }],
  ] as const) {
    it(`${lang}: after a scan nobody answers, the report names the interface, the target, the probes and the way to add by address`, async () => {
      const chrome = await launchChromium({ viewport, locale: lang, args: ['--headless', '--no-sandbox', '--disable-gpu', `--lang=${lang}`] });
      try {
        const page = chrome.page;
        const errors = watchPageErrors(page);
        await page.goto(`${h.url}/ui/`);
        await page.fill('#login-form input[name=user]', 'admin');
        await page.fill('#login-form input[name=password]', 'discovery password');
        await page.click('#login-form button[type=submit]');
        await page.waitForSelector('#tile-uplink');
        await page.goto(`${h.url}/ui/#/discovery`);
        const before = heard.length;
        await page.click('#scan');
        await page.waitForSelector('#discovery-report', { timeout: 20_000 });
        // The probe really went there (the report is not made up).
        expect(heard.length).toBeGreaterThan(before);
        const text = (await page.textContent('#discovery-report')) ?? '';
        expect(text).toContain('127.0.0.1');
        expect(text).toContain(`127.0.0.1:${port}`);
        expect(text).toContain('http://192.168.1.64/onvif/device_service');
        if (lang === 'en') {
          expect(text).toMatch(/What the scan did/);
          expect(text).toMatch(/Probes sent from these interfaces of this box: 127\.0\.0\.1/);
          expect(text).toMatch(/\d+ probe\(s\) sent to 127\.0\.0\.1:\d+; waited 3 s/);
          expect(text).toMatch(/Answers: 0;/);
        } else {
          expect(text).toMatch(/本次扫描做了什么/);
          expect(text).toMatch(/已从本机以下网卡发送探测：127\.0\.0\.1/);
          expect(text).toMatch(/收到应答：0 个/);
          expect(text).not.toMatch(/[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}/);
        }
        expect(await page.textContent('#discovery-msg')).toMatch(lang === 'en' ? /0 device\(s\) answered/ : /共有 0 台设备应答/);
        // No page wider than a phone's screen.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
        await shot(page, `${lang === 'en' ? 'desktop' : 'phone'}-33-discovery-empty-${lang}`);
        expect(errors).toEqual([]);
      } finally {
        await chrome.close();
      }
    });
  }
});
