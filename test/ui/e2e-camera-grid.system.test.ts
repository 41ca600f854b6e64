import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, shot, watchPageErrors } from './browser.js';
import { startRtspServer } from './rtsp-source.js';
import { startUi, UiClient, type UiHarness } from './ui-harness.js';

// Functions passed to page.waitForFunction / evaluate run in the page.
declare const document: any;

const PASSWORD = 'camera wall password';
const RUNS = [
  { lang: 'zh-CN', size: 'desktop', viewport: { width: 1366, height: 768 } },
  { lang: 'en', size: 'desktop', viewport: { width: 1366, height: 768 } },
  { lang: 'zh-CN', size: 'phone', viewport: { width: 390, height: 844 } },
  { lang: 'en', size: 'phone', viewport: { width: 390, height: 844 } },
] as const;

/**
 * The cameras grid of a bigger site in Chromium, both languages, desktop and phone: filter by
 * zone and by status, 24 cards a page, and a 3×3 wall beyond the live view caps (4 transcodes and
 * 4 viewers a user by default): the tiles over the cap say why in the user's language instead of
 * staying black. 30 cameras (synthetic devices of kind camera; the video from GStreamer's RTSP
 * server through `streamUrl`), 20 in one zone and 10 in another, 3 of them disabled.
 */
describe('the cameras grid: filters, paging, 3×3 over the live view caps', () => {
  let h: UiHarness;
  let rtsp: Awaited<ReturnType<typeof startRtspServer>>;
  const cameras = Array.from({ length: 30 }, (_, i) => ({
    id: `cam-${String(i + 1).padStart(3, '0')}`,
    name: `Gate ${i + 1}`,
    kind: 'camera',
    driver: 'synthetic',
    zone: i < 20 ? 'north-square' : 'east-gate',
    enabled: i < 27,
    intervalMs: 1000,
    points: [],
  }));

  beforeAll(async () => {
    rtsp = await startRtspServer('viewer', 'cam-pass-9');
    h = await startUi({ devices: cameras, ui: { streamUrl: async () => rtsp.url.replace('rtsp://', 'rtsp://viewer:cam-pass-9@') } });
    await new UiClient(h.url).post('/api/ui/setup', { code: h.setupCode(), user: 'admin', password: PASSWORD });
  });
  afterAll(async () => {
    await h?.stop();
    await rtsp?.stop();
  });

  const cards = (page: Page) => page.locator('#camera-grid figure').count();

  for (const { lang, size, viewport } of RUNS) {
    it(`${lang} on a ${size}: zone and status filters, pages of 24${size === 'desktop' ? ', a 3×3 wall' : ''}`, async () => {
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
        await page.goto(`${h.url}/ui/#/cameras`);
        await page.waitForSelector('#camera-grid figure');

        // Pages of 24: 30 cameras make two.
        expect(await cards(page)).toBe(24);
        expect(await page.textContent('#camera-pager span')).toBe(zh ? '第 1–24 台，共 30 台' : '1–24 of 30');
        await page.click('#camera-pager button:last-child');
        await page.waitForFunction(() => document.querySelectorAll('#camera-grid figure').length === 6);
        expect(await page.textContent('#camera-pager span')).toBe(zh ? '第 25–30 台，共 30 台' : '25–30 of 30');

        // A zone: back to its first page.
        await page.selectOption('#camera-zone', 'east-gate');
        await page.waitForFunction(() => document.querySelectorAll('#camera-grid figure').length === 10);
        expect(await page.locator('#camera-pager button').count()).toBe(0);
        // And a status: the disabled ones of that zone.
        await page.selectOption('#camera-status', 'disabled');
        await page.waitForFunction(() => document.querySelectorAll('#camera-grid figure').length === 3);
        const ids = await page.evaluate(() => [...document.querySelectorAll('#camera-grid figure')].map((f: any) => f.dataset.device));
        expect(ids).toEqual(['cam-028', 'cam-029', 'cam-030']);
        expect(await page.textContent('#camera-status option[value="disabled"]')).toBe(zh ? '已停用' : 'disabled');
        // A disabled camera does not say "online", nor when it was seen as if that were news.
        expect(await page.getAttribute('#camera-grid figure[data-device="cam-028"] .badge', 'data-value')).toBe('disabled');
        await page.selectOption('#camera-status', 'online');
        await page.waitForFunction(() => document.querySelectorAll('#camera-grid figure').length === 7);
        expect(
          await page
            .locator('#camera-grid figure .muted')
            .filter({ hasText: zh ? /最近在线/ : /seen/ })
            .count(),
        ).toBe(0);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        await shot(page, `camera-grid-${size}-${lang}-filtered`);

        if (size === 'desktop') {
          // 3×3 of north-square: 4 tiles play (the caps), 5 say why they do not.
          await page.selectOption('#camera-status', '');
          await page.selectOption('#camera-zone', 'north-square');
          // Streams of a run before have stopped (their viewers count against this user's cap).
          await page.waitForFunction(
            () =>
              fetch('/api/ui/cameras')
                .then((r: any) => r.json())
                .then((j: any) => j.streams.length === 0 && j.liveView.viewers === 0),
            undefined,
            { timeout: 30_000 },
          );
          await page.click('#multi-3');
          await page.waitForFunction(() => document.querySelectorAll('#multi-view figure.multi-tile').length === 9);
          await page.waitForFunction(
            () => {
              const tiles = [...document.querySelectorAll('#multi-view figure.multi-tile')];
              return (
                tiles.filter((f: any) => Number(f.querySelector('canvas')?.dataset.frames ?? 0) >= 1).length === 4 &&
                tiles.filter((f: any) => f.dataset.refused === '4429').length === 5
              );
            },
            undefined,
            { timeout: 90_000 },
          );
          const said = await page.locator('#multi-view figure[data-refused="4429"] .error-text').first().textContent();
          expect(said).toMatch(zh ? /^已达实时画面上限/ : /^live view limit reached/);
          await shot(page, `camera-grid-${size}-${lang}-3x3`);
          await page.goto(`${h.url}/ui/#/dashboard`);
          await page.waitForFunction(
            () =>
              fetch('/api/ui/cameras')
                .then((r: any) => r.json())
                .then((j: any) => j.streams.length === 0),
            undefined,
            { timeout: 30_000 },
          );
        }
        expect(errors).toEqual([]);
      } finally {
        await chrome.close();
      }
    }, 240_000);
  }
});
