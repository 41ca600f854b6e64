import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifDriver } from '../../drivers/onvif/onvif-driver.js';
import { createDrivers } from '../../drivers/registry.js';
import type { Driver } from '../../gateway/devices/driver.js';
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
    const onvif = () => new OnvifDriver({ discovery: { interfaces: ['127.0.0.1'], multicast: false, unicastTargets: [{ host: '127.0.0.1', port: set.discoveryPort! }] } }) as unknown as Driver;
    h = await startUi({ ui: { drivers: () => new Map([...createDrivers(), ['onvif', onvif()]]) } });
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
      await page.waitForFunction((x: string) => {
        const img = document.querySelector(`figure[data-device="${x}"] img`);
        return img?.complete && img.naturalWidth > 0;
      }, id, { timeout: 20_000 });
      await shot(page, 'desktop-32-camera-snapshot');
      expect(errors).toEqual([]);
    } finally {
      await chrome.close();
    }
  });
});
