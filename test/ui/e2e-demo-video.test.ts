import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraSet, startCameraSet } from '../../simulators/onvif/camera-set.js';
import { type RtspVideo, startRtspVideo } from '../../simulators/onvif/rtsp-video.js';
import { launchChromium, shot, watchPageErrors } from './browser.js';
import { settled, startUi, UiClient, type UiHarness } from './ui-harness.js';

declare const document: any;
declare const Image: any;

const CAMERA_PASSWORD = 'demo camera pass 7';
const ADMIN_PASSWORD = 'camera room password';

/**
 * The demo's live video end to end: simulated ONVIF cameras whose GetStreamUri names GStreamer's
 * RTSP server (what `npm start` runs), the real ONVIF driver, the UI's live view (ffmpeg →
 * websocket → JSMpeg) in Chromium; the decoded frames on the canvas are not blank.
 */
describe('demo cameras stream real video to the live view', () => {
  let video: RtspVideo;
  let set: CameraSet;
  let h: UiHarness;

  beforeAll(async () => {
    video = await startRtspVideo({ host: '127.0.0.1', username: 'gridgate', password: CAMERA_PASSWORD, paths: ['/ch1/main', '/ch1/sub'] });
    set = await startCameraSet({ cameras: 2, credentials: { username: 'gridgate', password: CAMERA_PASSWORD }, discovery: false, rtspPort: video.port });
    h = await startUi({ devices: [] });
    const passwordFile = join(h.dir, 'camera-password');
    writeFileSync(passwordFile, CAMERA_PASSWORD, { mode: 0o600 });
    const admin = new UiClient(h.url);
    await admin.post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: ADMIN_PASSWORD });
    for (const d of set.devices) {
      const r = await admin.post('/api/ui/devices', {
        device: {
          id: d.id,
          name: `二七广场摄像头 ${d.id.slice(-1)}`,
          kind: 'camera',
          driver: 'onvif',
          zone: 'erqi-square',
          url: d.url,
          username: 'gridgate',
          password: { file: passwordFile },
        },
        reason: 'demo cameras',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      expect((await settled(admin, r.body.version.version)).status).toBe('applied');
    }
  });
  afterAll(async () => {
    await h?.stop();
    await set?.stop();
    await video?.stop();
  });

  for (const run of [
    { lang: 'zh-CN', size: 'desktop', viewport: { width: 1366, height: 768 } },
    { lang: 'en', size: 'phone', viewport: { width: 390, height: 844 } },
  ]) {
    it(`${run.lang}, ${run.size}: the live view of a demo camera shows moving, non-blank frames`, async () => {
      const chrome = await launchChromium({ viewport: run.viewport, locale: run.lang });
      try {
        const page = chrome.page;
        const errors = watchPageErrors(page);
        await page.goto(`${h.url}/ui/`);
        await page.fill('#login-form input[name=user]', 'admin');
        await page.fill('#login-form input[name=password]', ADMIN_PASSWORD);
        await page.click('#login-form button[type=submit]');
        await page.waitForSelector('#tile-uplink');
        await page.goto(`${h.url}/ui/#/cameras`);
        await page.waitForFunction(() => document.querySelector('#camera-grid figure[data-device="cam-001"] .badge')?.dataset.value === 'online', undefined, {
          timeout: 40_000,
        });
        await page.goto(`${h.url}/ui/#/cameras/live/cam-001/1`);
        await page.waitForFunction(() => Number(document.querySelector('#live-canvas')?.dataset.frames ?? 0) >= 25, undefined, { timeout: 40_000 });
        await shot(page, `video-${run.size}-${run.lang}-live-view`);
        // What the screen shows (WebGL or 2D), decoded back into pixels in the page: not one flat colour.
        const first = (await page.locator('#live-canvas').screenshot()).toString('base64');
        await page.waitForFunction((n: number) => Number(document.querySelector('#live-canvas')?.dataset.frames ?? 0) >= n, 50, { timeout: 20_000 });
        const png = (await page.locator('#live-canvas').screenshot()).toString('base64');
        // Moving: two pictures a second or more apart differ.
        expect(png).not.toBe(first);
        const stats = await page.evaluate(async (b64: string) => {
          const img = new Image();
          img.src = `data:image/png;base64,${b64}`;
          await img.decode();
          const c = document.createElement('canvas');
          c.width = img.width;
          c.height = img.height;
          const ctx = c.getContext('2d');
          ctx.drawImage(img, 0, 0);
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          const colours = new Set<number>();
          let sum = 0;
          for (let i = 0; i < d.length; i += 4 * 7) {
            colours.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4));
            sum += d[i] + d[i + 1] + d[i + 2];
          }
          return { colours: colours.size, mean: sum / ((d.length / (4 * 7)) * 3) };
        }, png);
        expect(stats.colours).toBeGreaterThan(8);
        expect(stats.mean).toBeGreaterThan(10);
        expect(stats.mean).toBeLessThan(245);
        // The snapshot button: a fresh picture, large.
        await page.goto(`${h.url}/ui/#/cameras`);
        await page.click('#camera-grid figure[data-device="cam-002"] .snapshot-button');
        await page.waitForFunction(() => document.querySelector('#snapshot-box img')?.naturalWidth > 0, undefined, { timeout: 20_000 });
        await page.click('#snapshot-box .close');
        // 2×2 multi-view: every camera shown plays.
        await page.click('#multi-2');
        await page.waitForFunction(
          () => {
            const canvases = [...document.querySelectorAll('#multi-view canvas')];
            return canvases.length === 2 && canvases.every((c: any) => Number(c.dataset.frames ?? 0) >= 25);
          },
          undefined,
          { timeout: 40_000 },
        );
        await shot(page, `video-${run.size}-${run.lang}-multi-view`);
        expect(errors).toEqual([]);
      } finally {
        await chrome.close();
      }
    });
  }
});
