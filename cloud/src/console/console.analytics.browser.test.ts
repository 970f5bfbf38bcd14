import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import type { PresenceEvent } from '@storesense/protocol';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { startTestCloud, type TestCloud } from '../testing/harness.js';
import { SCREENSHOTS, screenshotPath } from './browser.harness.js';

// The console's analytics section in a real headless Chromium against a real cloud (open mode),
// fed a deterministic synthetic day at the dept-store; with STORESENSE_SCREENSHOTS=1 writes docs/screenshots/analytics.png.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`skipping the console analytics browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
const ZONES = ['cosmetics', 'fragrance', 'womenswear', 'shoes', 'menswear', 'kids'];
const DAY0 = Date.UTC(2026, 10, 23, 2, 0); // 10:00 in Asia/Shanghai

/** A shopping day from 10:00 to 21:59 site time: a midday and an evening peak, ~45% capture. */
function syntheticDay(siteId: string): PresenceEvent[] {
  const events: PresenceEvent[] = [];
  const base = { siteId, gatewayId: 'gw-dept-1', storeId: 'dept-store' };
  let n = 0;
  for (let h = 0; h < 12; h++) {
    const approaches = 14 + Math.round(12 * Math.sin((h / 11) * Math.PI)) + (h === 9 ? 8 : 0);
    for (let i = 0; i < approaches; i++) {
      n++;
      // Every fourth shopper of the afternoon is someone from the morning coming back.
      const s = n > 150 && n % 4 === 0 ? `s_${n - 150}` : `s_${n}`;
      const at = DAY0 + h * 3_600_000 + i * 97_000;
      const subject = { id: s, signals: ['ble' as const], ...(n % 7 === 0 ? { memberId: `M${String(n % 21).padStart(4, '0')}` } : {}) };
      const common = { ...base, subject, visitId: `v_${n}` };
      events.push(makeEvent({ ...common, type: 'approach', at }));
      if (n % 9 >= 5) continue; // passers-by
      events.push(makeEvent({ ...common, type: 'arrival', at: at + 5_000 }));
      const zone = ZONES[n % ZONES.length]!;
      const dwellMs = Math.round(9_000 * 1.45 ** ((n * 5) % 12)); // skewed: many short, few long dwells
      events.push(makeEvent({ ...common, type: 'dwell', phase: 'end', zoneId: zone, dwellMs, at: at + 10_000 + dwellMs }));
      if (n % 3 === 0) {
        events.push(makeEvent({ ...common, type: 'floor_change', fromFloor: 0, toFloor: 1 + (n % 2), at: at + 60_000 }));
        events.push(makeEvent({ ...common, type: 'floor_change', fromFloor: 1 + (n % 2), toFloor: 0, at: at + 300_000 }));
      }
    }
  }
  return events;
}

describe.skipIf(!haveChromium)('console analytics in headless Chromium', () => {
  let t: TestCloud;
  const purchases: PresenceEvent[] = [];
  let context: BrowserContext | undefined;
  const dir = tempDir('storesense-chromium-');

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('dept-store'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({ sites: [site.value] });
    for (const e of syntheticDay(site.value.id)) await t.cloud.store!.insertEvent(e, e.at);
    for (let i = 0; i < 6; i++) {
      const memberId = `M${String(i * 7).padStart(4, '0')}`;
      await t.cloud.store!.insertOffer({
        id: `o${i}`,
        kind: 'welcome',
        memberId,
        siteId: site.value.id,
        storeId: 'dept-store',
        day: '2026-11-23',
        issuedAt: DAY0,
        expiresAt: DAY0 + 12 * 3_600_000,
        status: 'issued',
        eventId: `e${i}`,
      });
    }
    for (const memberId of ['M0007', 'M0014']) {
      const buy: PresenceEvent = makeEvent({
        siteId: site.value.id,
        gatewayId: 'gw-dept-1',
        storeId: 'dept-store',
        type: 'purchase',
        at: DAY0 + 3 * 3_600_000,
        subject: { id: `p_${memberId}`, memberId, signals: ['terminal'] },
        amount: 199,
        currency: 'CNY',
      });
      await t.cloud.store!.insertEvent(buy, buy.at);
      purchases.push(buy);
    }
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await t?.stop();
    try {
      dir.cleanup();
    } catch {
      // Chromium may still be flushing its profile; a temp dir left behind is harmless.
    }
  });

  it('draws tiles and SVG charts from the API and saves a screenshot', async () => {
    context = await chromium.launchPersistentContext(join(dir.dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 900, height: 1100 },
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(t.endpoints.httpUrl + '/#/analytics');
    await page.waitForSelector('#an-footfall rect.c-arr');
    const tiles = await page.locator('#an-tiles .tile').allTextContents();
    expect(tiles.length).toBe(7);
    expect(tiles.some((x) => x.includes('capture rate'))).toBe(true);
    expect(await page.locator('#an-footfall rect.c-appr').count()).toBeGreaterThan(10);
    expect(await page.locator('#an-dwell rect.c-dwell').count()).toBe(7); // 6 buckets + legend
    expect(await page.locator('#an-floors rect.c-flow').count()).toBeGreaterThan(1);
    // The journey funnel equals the stored events, counted here independently: distinct visits per stage.
    await page.waitForSelector('#funnel-total li[data-step=purchase]');
    const events = [...syntheticDay('mall-sh-01'), ...purchases];
    const visits = (type: string) => String(new Set(events.filter((e) => e.type === type).map((e) => e.visitId)).size);
    for (const stage of ['approach', 'arrival', 'dwell', 'purchase'])
      expect(await page.locator(`#funnel-total li[data-step=${stage}]`).getAttribute('data-count'), stage).toBe(visits(stage));
    expect(await page.locator('table.funnel-stores tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#an-funnel a.csv').count()).toBe(2);
    expect(problems).toEqual([]);
    if (SCREENSHOTS) {
      const path = screenshotPath('analytics');
      await page.locator('#analytics').screenshot({ path });
      expect(existsSync(path)).toBe(true);
    }
  }, 60_000); // Chromium start-up on a shared machine, not a performance bound
});
