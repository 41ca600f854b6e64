import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, shot, watchPageErrors } from './browser.js';
import { startRtspServer } from './rtsp-source.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

// Functions passed to page.waitForFunction run in the page, where `document` exists.
declare const document: any;

/**
 * The cameras screen and the live view in real Chromium: GStreamer RTSP server → ffmpeg → fastify
 * websocket → JSMpeg drawing on a canvas. The ONVIF driver is not wired into the gateway yet, so
 * the camera devices here are synthetic devices of kind camera and the stream address is given
 * by the `streamUrl` option (what ONVIF GetStreamUri will give).
 */
describe('cameras and live view in headless Chromium', () => {
  let h: UiHarness;
  let rtsp: Awaited<ReturnType<typeof startRtspServer>>;
  const cameras = Array.from({ length: 12 }, (_, i) => ({
    id: `cam-${String(i + 1).padStart(3, '0')}`,
    name: `Gate ${i + 1}`,
    kind: 'camera',
    driver: 'synthetic',
    intervalMs: 1000,
    points: [],
  }));

  beforeAll(async () => {
    rtsp = await startRtspServer('viewer', 'cam-pass-1');
    h = await startUi({
      devices: cameras,
      ui: { streamUrl: async () => rtsp.url.replace('rtsp://', 'rtsp://viewer:cam-pass-1@') },
    });
    const admin = new UiClient(h.url);
    await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: 'camera room password' });
  });
  afterAll(async () => {
    await h?.stop();
    await rtsp?.stop();
  });

  for (const screen of [
    { name: 'desktop', options: { viewport: { width: 1280, height: 860 } } },
    { name: 'phone', options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
  ]) {
    it(`${screen.name}: the grid lists every channel, and the live view plays frames`, async () => {
      const chrome = await launchChromium(screen.options);
      try {
        const page = chrome.page;
        const errors = watchPageErrors(page);
        await page.goto(`${h.url}/ui/`);
        await page.fill('#login-form input[name=user]', 'admin');
        await page.fill('#login-form input[name=password]', 'camera room password');
        await page.click('#login-form button[type=submit]');
        await page.waitForSelector('#tile-uplink');
        await page.goto(`${h.url}/ui/#/cameras`);
        await page.waitForSelector('#camera-grid figure');
        expect(await page.locator('#camera-grid figure').count()).toBe(12);
        await shot(page, `${screen.name}-20-cameras`);
        await page.click('#camera-grid figure[data-device="cam-001"] a.live-link');
        await page.waitForFunction(() => Number(document.querySelector('#live-canvas')?.dataset.frames ?? 0) >= 25, undefined, { timeout: 30_000 });
        await shot(page, `${screen.name}-21-live-view`);
        const streams = ((await page.evaluate(() => fetch('/api/ui/cameras').then((r) => r.json()))) as any).streams;
        expect(streams).toMatchObject([{ key: 'cam-001/1', viewers: 1, running: true }]);
        // Leaving the page closes the websocket: the last viewer gone, ffmpeg stops.
        await page.goto(`${h.url}/ui/#/dashboard`);
        await page.waitForSelector('#tile-uplink');
        await page.waitForFunction(() =>
          fetch('/api/ui/cameras')
            .then((r) => r.json())
            .then((j: any) => j.streams.length === 0),
        );
        expect(errors).toEqual([]);
      } finally {
        await chrome.close();
      }
    });
  }

  for (const [lang, said] of [
    ['en', 'live view limit reached: you already watch 4 live views (at most 4); close one first'],
    ['zh-CN', '已达实时画面上限：您已在观看 4 路实时画面（最多 4 路），请先关闭一路'],
  ] as const)
    it(`desktop ${lang}: over the live view limit the page says so in the user's language, instead of a black picture`, async () => {
      const chrome = await launchChromium({
        viewport: { width: 1280, height: 860 },
        locale: lang,
        args: ['--headless', '--no-sandbox', '--disable-gpu', `--lang=${lang}`],
      });
      try {
        const page = chrome.page;
        await page.goto(`${h.url}/ui/`);
        await page.fill('#login-form input[name=user]', 'admin');
        await page.fill('#login-form input[name=password]', 'camera room password');
        await page.click('#login-form button[type=submit]');
        await page.waitForSelector('#tile-uplink');
        // Four live views already open in this page (the per-user default), all on one shared stream.
        await page.evaluate(() => {
          const w = globalThis as any;
          w.held = Array.from({ length: 4 }, () => new w.WebSocket(`ws://${w.location.host}/api/ui/ws/live/cam-001/1`));
        });
        await page.waitForFunction(() =>
          fetch('/api/ui/cameras')
            .then((r) => r.json())
            .then((j: any) => j.liveView.viewers === 4),
        );
        await page.goto(`${h.url}/ui/#/cameras/live/cam-002/1`);
        await page.waitForFunction(() => document.querySelector('#live-state')?.dataset.refused === '4429');
        expect(await page.textContent('#live-state')).toBe(said);
        await shot(page, `desktop-22-live-limit-${lang}`);
        expect(((await page.evaluate(() => fetch('/api/ui/cameras').then((r) => r.json()))) as any).liveView).toMatchObject({ transcodes: 1, viewers: 4 });
      } finally {
        await chrome.close();
      }
    });
});
