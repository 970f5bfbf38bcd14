import { EXAMPLE_SITES, exampleSitePath, HELD_OUT_SITES, INSTALL_EXAMPLE_SITES, loadSiteFile, type Site } from '@storesense/firmware-config';
import { codecs, topics, type PresenceEvent } from '@storesense/protocol';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAt, syntheticVisits } from '../map/map.fixture.js';
import { occupancySettings } from '../map/zone-occupancy.js';
import { makeEvent } from '../testing/fixtures.js';
import { connectClient, startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import { haveChromium, openBrowser, SCREENSHOTS, screenshotPath, type BrowserSession } from './browser.harness.js';

// The floor map (decision 160) in headless Chromium against a real cloud: every example site's
// floors drawn from its site file; live heat from events a gateway client publishes over the real
// MQTT path; playback of stored events moved with the slider, checked against an independent count.
if (!haveChromium) console.warn('skipping the floor map browser test: /usr/bin/chromium is missing (apt-get install chromium)');
const NAMES = [...EXAMPLE_SITES, ...HELD_OUT_SITES, ...INSTALL_EXAMPLE_SITES];
const POLL = { timeout: 10_000 };
const T0 = Date.UTC(2026, 10, 23, 2, 0); // playback: a stored hour from 10:00 Asia/Shanghai

function load(name: (typeof NAMES)[number]): Site {
  const s = loadSiteFile(exampleSitePath(name));
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

describe.skipIf(!haveChromium)('floor map in headless Chromium', () => {
  let t: TestCloud;
  const sites = NAMES.map(load);
  const dept = sites.find((s) => s.id === 'mall-sh-01')!;
  const boutique = sites.find((s) => s.id === 'mall-bj-01')!;
  let gw: MqttClient | undefined;
  const browsers: BrowserSession[] = [];
  let stored: PresenceEvent[] = [];

  beforeAll(async () => {
    t = await startTestCloud({ sites });
    stored = syntheticVisits(boutique, { from: T0, visits: 60, spanMs: 3_600_000, seed: 11 });
    for (const e of stored) await t.cloud.store!.insertEvent(e, e.at);
  }, 60_000);
  afterAll(async () => {
    await gw?.endAsync().catch(() => undefined);
    for (const b of browsers) await b.close();
    await t?.stop();
  });

  async function browser(viewport = { width: 1440, height: 900 }, mobile = false, locale = 'en-US'): Promise<Page> {
    const b = await openBrowser(viewport, mobile, locale);
    browsers.push(b);
    return b.page;
  }

  it('draws every floor of every example site: stores, zones, entrances and receivers as the site file has them', async () => {
    const page = await browser();
    for (const site of sites) {
      for (const floor of site.floors) {
        await page.goto(`${t.endpoints.httpUrl}/#/map/${site.id}/${floor.level}`);
        await page.waitForSelector(`#map-svg[data-floor="${floor.level}"]`);
        const zones = [...site.areas, ...site.stores.flatMap((s) => s.zones)].filter((z) => z.floor === floor.level);
        const where = `${site.id} floor ${floor.level}`;
        expect(await page.locator('#map-svg [data-zone]').count(), where).toBe(zones.length);
        expect(await page.locator('#map-svg [data-store]').count(), where).toBe(site.stores.filter((s) => s.floors.includes(floor.level)).length);
        expect(await page.locator('#map-svg [data-entrance]').count(), where).toBe(
          site.stores.flatMap((s) => s.entrances).filter((e) => e.floor === floor.level).length,
        );
        expect(await page.locator('#map-svg [data-receiver]').count(), where).toBe(site.receivers.filter((r) => r.floor === floor.level).length);
        expect(await page.locator('#map-table tbody tr').count(), where).toBe(zones.length);
        // Text alternatives: every drawn place is named and reachable by keyboard.
        const unnamed = await page.locator('#map-svg [tabindex="0"]:not([aria-label])').count();
        expect(unnamed, where).toBe(0);
        expect(await page.locator('#map-svg [data-zone][tabindex="0"]').count(), where).toBe(zones.length);
        expect(await page.locator('.map-floors a').count(), where).toBe(site.floors.length);
        expect(await page.locator('.map-floors a[aria-current=page]').textContent(), where).toBe(floor.name);
      }
    }
    // The floor switcher and the keyboard path: follow the next floor's link with Enter.
    await page.goto(`${t.endpoints.httpUrl}/#/map/${dept.id}/0`);
    await page.waitForSelector('#map-svg[data-floor="0"]');
    await page.locator('.map-floors a[data-level="1"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#map-svg[data-floor="1"]');
    await page.locator('#map-svg [data-zone]').first().focus();
    expect(await page.evaluate<string | null>("document.activeElement?.getAttribute('data-zone') ?? null")).toBe('womenswear');
  }, 120_000);

  it("shows a zone's occupancy within 2 s of events a gateway publishes over MQTT, and receiver health from its state", async () => {
    const gatewayId = dept.gateways[0]!.id;
    const password = `${gatewayId}-map-password`;
    await t.cloud.provisionGateway({ siteId: dept.id, gatewayId, password });
    gw = await connectClient(t.endpoints.mqttUrl, `${dept.id}.${gatewayId}`, password);
    const now = Date.now();
    await gw.publishAsync(topics.stateConn(dept.id, gatewayId), codecs.connState.encode({ v: 1, state: 'online', at: now, version: '0.1.0' }), {
      qos: 1,
      retain: true,
    });
    const health = {
      v: 1,
      at: now,
      version: '0.1.0',
      subjects: 4,
      model: { name: 'rules', version: '1' },
      sources: { ble: { state: 'ok', observations: 100, rejected: 0, lastObservationAt: now } },
      outbox: { depth: 0, dropped: 0 },
      occupancy: [{ storeId: 'dept-store', occupancy: 5.5, fixedDevices: 1 }],
    };
    await gw.publishAsync(topics.stateHealth(dept.id, gatewayId), codecs.health.encode(health), { qos: 0, retain: true });
    await waitFor(async () => (await t.cloud.store!.listGateways()).some((g) => g.gatewayId === gatewayId && g.health), 5000, 'gateway health');

    const page = await browser();
    await page.goto(`${t.endpoints.httpUrl}/#/map/${dept.id}/0`);
    await page.waitForSelector('#map-svg[data-floor="0"]');
    await expect.poll(() => page.locator('#map-svg [data-receiver][data-state="ok"]').count(), POLL).toBe(dept.receivers.filter((r) => r.floor === 0).length);
    await expect.poll(() => page.locator('#map-stores').textContent(), POLL).toContain('WiFi estimate 5.5');
    expect(await page.locator('#map-svg [data-zone="cosmetics"]').getAttribute('data-count')).toBe('0');

    const publish = async (e: PresenceEvent) => gw!.publishAsync(topics.event(dept.id, gatewayId, e.type), codecs.event.encode(e), { qos: 1 });
    const visit = (n: number) => ({
      siteId: dept.id,
      gatewayId,
      storeId: 'dept-store',
      visitId: `v_live_${n}`,
      subject: { id: `s_live_${n}`, signals: ['ble' as const] },
    });
    const at = Date.now();
    const published = Date.now();
    for (const n of [1, 2]) {
      await publish(makeEvent({ ...visit(n), type: 'arrival', at: at - 40_000 }));
      await publish(makeEvent({ ...visit(n), type: 'dwell', phase: 'start', zoneId: 'cosmetics', floor: 0, dwellMs: 30_000, at }));
    }
    await page.waitForSelector('#map-svg [data-zone="cosmetics"][data-count="2"]', { timeout: 10_000 });
    const latencyMs = Date.now() - published;
    expect(latencyMs, `heat shown ${latencyMs} ms after publishing`).toBeLessThanOrEqual(2_000);
    expect(await page.locator('#map-table tr[data-zone-row="cosmetics"] td').last().textContent()).toBe('2');
    expect(await page.locator('#map-svg [data-zone="cosmetics"]').getAttribute('aria-label')).toContain('2 people');
    // Pseudonymous counts only: no subject or visit id reaches the page.
    expect(await page.content()).not.toMatch(/s_live_|v_live_/);

    // One leaves the zone, the other exits the store: the heat follows.
    const left = Date.now();
    await publish(makeEvent({ ...visit(1), type: 'dwell', phase: 'end', zoneId: 'cosmetics', floor: 0, dwellMs: 30_000 + Date.now() - at, at: Date.now() }));
    await publish(makeEvent({ ...visit(2), type: 'exit', at: Date.now() }));
    await page.waitForSelector('#map-svg [data-zone="cosmetics"][data-count="0"]', { timeout: 10_000 });
    expect(Date.now() - left, 'heat cleared after publishing').toBeLessThanOrEqual(2_000);
    await expect.poll(() => page.locator('#map-stores li[data-store-row="dept-store"]').textContent(), POLL).toContain('1 visit in the store');

    // The gateway drops off: its receivers turn offline.
    await gw.publishAsync(topics.stateConn(dept.id, gatewayId), codecs.connState.encode({ v: 1, state: 'offline', at: Date.now(), version: '0.1.0' }), {
      qos: 1,
      retain: true,
    });
    await expect
      .poll(() => page.locator('#map-svg [data-receiver][data-state="offline"]').count(), POLL)
      .toBe(dept.receivers.filter((r) => r.floor === 0).length);
    await gw.publishAsync(topics.stateConn(dept.id, gatewayId), codecs.connState.encode({ v: 1, state: 'online', at: Date.now(), version: '0.1.0' }), {
      qos: 1,
      retain: true,
    });

    if (SCREENSHOTS) {
      // A busier moment for the pictures: shoppers in several ground-floor zones.
      const zones = ['cosmetics', 'cosmetics', 'fragrance', 'jewellery', 'jewellery', 'jewellery', 'accessories', 'silk-scarves', 'checkout-0', 'entrance'];
      for (const [i, zoneId] of zones.entries()) {
        await publish(makeEvent({ ...visit(10 + i), type: 'arrival', at: Date.now() - 40_000 }));
        await publish(makeEvent({ ...visit(10 + i), type: 'dwell', phase: 'start', zoneId, floor: 0, dwellMs: 30_000, at: Date.now() }));
      }
      await gw.publishAsync(topics.stateHealth(dept.id, gatewayId), codecs.health.encode({ ...health, at: Date.now() }), { qos: 0, retain: true });
      for (const [locale, tag] of [
        ['en-US', 'en'],
        ['zh-CN', 'zh-CN'],
      ] as const) {
        for (const [viewport, mobile, size] of [
          [{ width: 1440, height: 900 }, false, '1440'],
          [{ width: 390, height: 844 }, true, '390'],
        ] as const) {
          const p = await browser(viewport, mobile, locale);
          await p.goto(`${t.endpoints.httpUrl}/#/map/${dept.id}/0`);
          await p.waitForSelector('#map-svg [data-zone="jewellery"][data-count="3"]', { timeout: 10_000 });
          await p.screenshot({ path: screenshotPath(`map-${tag}-${size}`), fullPage: true });
        }
      }
    }
  }, 120_000);

  it('plays back stored events: the heat at the slider time equals an independent count of the events', async () => {
    const page = await browser();
    const from = T0;
    const to = T0 + 3_600_000;
    await page.goto(`${t.endpoints.httpUrl}/?site=${boutique.id}&from=${from}&to=${to + 1}#/map/${boutique.id}/0`);
    await page.waitForSelector('#map-slider');
    const settings = occupancySettings(boutique);
    const zoneIds = [...boutique.areas, ...boutique.stores.flatMap((s) => s.zones)].filter((z) => z.floor === 0).map((z) => z.id);
    const max = Number(await page.locator('#map-slider').getAttribute('max'));
    expect(max).toBe(300);
    let nonEmpty = 0;
    for (const i of [0, 37, 75, 120, 150, 201, 240, 299, 300]) {
      await page.locator('#map-slider').fill(String(i));
      await expect.poll(() => page.locator('#map-time').getAttribute('data-at'), POLL).toBe(String(from + Math.round((i * (to - from)) / 300)));
      const at = Number(await page.locator('#map-svg').getAttribute('data-at'));
      expect(at).toBe(from + Math.round((i * (to - from)) / 300));
      const want = countAt(stored, at, settings);
      const shown: Record<string, number> = {};
      for (const id of zoneIds) {
        const n = Number(await page.locator(`#map-svg [data-zone="${id}"]`).getAttribute('data-count'));
        if (n > 0) shown[id] = n;
      }
      expect(shown, `zones at frame ${i}`).toEqual(Object.fromEntries(zoneIds.filter((id) => want.zones[id]).map((id) => [id, want.zones[id]])));
      if (Object.keys(shown).length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(3);

    // Play moves the slider on by itself; pause stops it.
    await page.locator('#map-slider').fill('10');
    await page.locator('#map-play').click();
    await expect.poll(async () => Number(await page.locator('#map-slider').inputValue()), POLL).toBeGreaterThan(12);
    await page.locator('#map-play').click();
    const paused = await page.locator('#map-slider').inputValue();
    await new Promise((r) => setTimeout(r, 600));
    expect(await page.locator('#map-slider').inputValue()).toBe(paused);
    expect(await page.locator('#map-play').getAttribute('aria-pressed')).toBe('false');
  }, 120_000);
});
