import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { launchChromium, shot, watchPageErrors } from './browser.js';
import { startRtspServer } from './rtsp-source.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

// Functions passed to page.waitForFunction / evaluate run in the page.
declare const document: any;
declare const location: any;

const PASSWORD = 'nvr room password';
const CAMERA = { username: 'installer', password: 'nvr secret 8' };

/**
 * An NVR on the cameras screen, in Chromium, in Chinese and English: one card per device (not one
 * per channel), a channel picker that moves the picture, the snapshot and the live view to the
 * channel chosen, the same choice on the live view and on each multi-view tile. Against the ONVIF
 * simulator's 8-channel NVR (its pictures name their channel); the live video comes from
 * GStreamer's RTSP server through `streamUrl`, which records the channel asked for.
 */
describe('NVR channel choice in headless Chromium', () => {
  let set: CameraSet;
  let rtsp: Awaited<ReturnType<typeof startRtspServer>>;
  let h: UiHarness;
  const asked: string[] = [];

  beforeAll(async () => {
    set = await startCameraSet({ cameras: 1, nvrChannels: 8, credentials: CAMERA, discovery: false });
    rtsp = await startRtspServer('viewer', 'cam-pass-8');
    const [cam, nvr] = set.devices;
    h = await startUi({
      devices: [
        { id: 'cam-001', name: 'Gate camera', kind: 'camera', driver: 'onvif', url: cam!.url, username: CAMERA.username, password: { env: 'CAM_PW' } },
        { id: 'nvr-01', name: 'Square NVR', kind: 'nvr', driver: 'onvif', url: nvr!.url, username: CAMERA.username, password: { env: 'CAM_PW' } },
      ],
      env: { CAM_PW: CAMERA.password },
      ui: {
        streamUrl: async (_g, device, channel) => {
          asked.push(`${device}/${channel}`);
          return rtsp.url.replace('rtsp://', 'rtsp://viewer:cam-pass-8@');
        },
      },
    });
    const admin = new UiClient(h.url);
    await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: PASSWORD });
    // The NVR's channels come from the driver (device meta) once it is online.
    await vi.waitFor(
      async () => {
        const r = await admin.get('/api/ui/cameras');
        expect(r.body.channels?.filter((c: any) => c.device === 'nvr-01' && c.status === 'online').length).toBe(8);
      },
      { timeout: 60_000, interval: 200 },
    );
  });
  afterAll(async () => {
    await h?.stop();
    await rtsp?.stop();
    await set?.stop();
  });

  /** The bytes of an image the page shows, as text (the simulator's JPEG comment names its channel). */
  const pictureText = (page: Page, selector: string) =>
    page.evaluate(
      (sel: string) =>
        fetch(document.querySelector(sel).src)
          .then((r: any) => r.arrayBuffer())
          .then((b: any) => new TextDecoder('latin1').decode(b)),
      selector,
    );

  for (const [lang, size, viewport] of [
    ['zh-CN', 'desktop', { width: 1366, height: 768 }],
    ['en', 'desktop', { width: 1366, height: 768 }],
    ['zh-CN', 'phone', { width: 390, height: 844 }],
    ['en', 'phone', { width: 390, height: 844 }],
  ] as const) {
    it(`${lang} on a ${size}: picks the NVR channel for the snapshot, the live view and a multi-view tile`, async () => {
      const zh = lang === 'zh-CN';
      const chrome = await launchChromium({ viewport, locale: lang, args: ['--headless', '--no-sandbox', '--disable-gpu', `--lang=${lang}`] });
      try {
        const page = chrome.page;
        const errors = watchPageErrors(page);
        await page.goto(`${h.url}/ui/`);
        await page.fill('#login-form input[name=user]', 'admin');
        await page.fill('#login-form input[name=password]', PASSWORD);
        await page.click('#login-form button[type=submit]');
        await page.waitForSelector('#tile-uplink');
        // Streams of a run before have stopped (its viewers count against this user's cap).
        await page.waitForFunction(
          () =>
            fetch('/api/ui/cameras')
              .then((r: any) => r.json())
              .then((j: any) => j.streams.length === 0),
          undefined,
          { timeout: 30_000 },
        );

        // One card per device; the NVR's card has the channel picker.
        await page.goto(`${h.url}/ui/#/cameras`);
        const nvr = '#camera-grid figure[data-device="nvr-01"]';
        await page.waitForSelector(`${nvr} select.channel-pick`);
        expect(await page.locator('#camera-grid figure').count()).toBe(2);
        expect(await page.locator('#camera-grid figure[data-device="cam-001"] select.channel-pick').count()).toBe(0);
        expect(await page.locator(`${nvr} select.channel-pick option`).count()).toBe(8);
        expect(await page.textContent(`${nvr} select.channel-pick option[value="5"]`)).toBe(zh ? '通道 5' : 'channel 5');
        await page.selectOption(`${nvr} select.channel-pick`, '5');
        await page.waitForFunction(
          (sel: string) => document.querySelector(sel)?.dataset.channel === '5' && document.querySelector(`${sel} img`)?.naturalWidth > 0,
          nvr,
          { timeout: 30_000 },
        );
        expect(await pictureText(page, `${nvr} img`)).toContain('nvr-01 ch5');
        await shot(page, `nvr-${size}-${lang}-grid-channel-5`);

        // The snapshot button takes channel 5.
        await page.click(`${nvr} .snapshot-button`);
        await page.waitForFunction(() => document.querySelector('#snapshot-box img')?.naturalWidth > 0, undefined, { timeout: 30_000 });
        expect(await pictureText(page, '#snapshot-box img')).toContain('nvr-01 ch5');
        await page.click('#snapshot-box');

        // The live view of channel 5; switched there to channel 3.
        expect(await page.getAttribute(`${nvr} a.live-link`, 'href')).toBe('#/cameras/live/nvr-01/5');
        await page.click(`${nvr} a.live-link`);
        await page.waitForFunction(() => Number(document.querySelector('#live-canvas')?.dataset.frames ?? 0) >= 10, undefined, { timeout: 60_000 });
        await page.waitForFunction(
          () =>
            fetch('/api/ui/cameras')
              .then((r: any) => r.json())
              .then((j: any) => j.streams.length === 1 && j.streams[0].key === 'nvr-01/5'),
          undefined,
          { timeout: 30_000 },
        );
        await page.waitForSelector('#live-channel');
        expect(await page.inputValue('#live-channel')).toBe('5');
        await page.selectOption('#live-channel', '3');
        await page.waitForFunction(() => location.hash === '#/cameras/live/nvr-01/3');
        await page.waitForFunction(() => Number(document.querySelector('#live-canvas')?.dataset.frames ?? 0) >= 10, undefined, { timeout: 60_000 });
        await page.waitForFunction(
          () =>
            fetch('/api/ui/cameras')
              .then((r: any) => r.json())
              .then((j: any) => j.streams.length === 1 && j.streams[0].key === 'nvr-01/3'),
          undefined,
          { timeout: 30_000 },
        );
        await shot(page, `nvr-${size}-${lang}-live-channel-3`);

        // 2×2: the first four channels, a tile moved to NVR channel 8.
        await page.goto(`${h.url}/ui/#/cameras/multi/2/`);
        await page.waitForFunction(() => document.querySelectorAll('#multi-view figure.multi-tile canvas').length === 4);
        const tiles = await page.evaluate(() =>
          [...document.querySelectorAll('#multi-view figure.multi-tile')].map((f: any) => `${f.dataset.device}/${f.dataset.channel}`),
        );
        expect(tiles).toEqual(['cam-001/1', 'nvr-01/1', 'nvr-01/2', 'nvr-01/3']);
        const last = '#multi-view figure.multi-tile:nth-child(4)';
        expect(await page.locator(`${last} select.tile-pick option`).count()).toBe(9);
        await page.selectOption(`${last} select.tile-pick`, 'nvr-01/8');
        await page.waitForFunction(
          (sel: string) => document.querySelector(sel)?.dataset.channel === '8' && Number(document.querySelector(`${sel} canvas`)?.dataset.frames ?? 0) >= 1,
          last,
          { timeout: 60_000 },
        );
        await page.waitForFunction(
          () =>
            fetch('/api/ui/cameras')
              .then((r: any) => r.json())
              .then((j: any) => j.streams.some((s: any) => s.key === 'nvr-01/8') && !j.streams.some((s: any) => s.key === 'nvr-01/3')),
          undefined,
          { timeout: 30_000 },
        );
        expect(asked).toContain('nvr-01/8');
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        await shot(page, `nvr-${size}-${lang}-multi-view`);
        await page.goto(`${h.url}/ui/#/dashboard`);
        await page.waitForFunction(
          () =>
            fetch('/api/ui/cameras')
              .then((r: any) => r.json())
              .then((j: any) => j.streams.length === 0),
          undefined,
          { timeout: 30_000 },
        );
        expect(errors).toEqual([]);
      } finally {
        await chrome.close();
      }
    }, 240_000);
  }
});
