import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { demoMembersPath, exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceEvent } from '@storesense/protocol';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { startTestCloud, type TestCloud } from '../testing/harness.js';
import { SCREENSHOTS, screenshotPath } from './browser.harness.js';

// The staff page in a real headless Chromium (Debian's), against a real cloud with tickets required.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`skipping the staff page browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
const SITE = 'mall-bj-01';
const PHONE = { width: 390, height: 760 };
const POLL = { timeout: 10_000 };

describe.skipIf(!haveChromium)('staff page in headless Chromium', () => {
  let t: TestCloud;
  const contexts: BrowserContext[] = [];
  const pages: { page: Page; problems: string[] }[] = [];
  const dirs: { cleanup: () => void }[] = [];
  let at = Date.UTC(2026, 10, 23, 6, 30, 0);
  /** The cloud's clock runs this far behind real time (a quiet card: its alert was raised long ago). */
  let clockOffsetMs = 0;

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('boutique'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({
      sites: [site.value],
      membersCsvPath: demoMembersPath,
      clock: { now: () => Date.now() + clockOffsetMs },
      staffAuth: 'required',
      staff: [
        { username: 'alice', password: 'alice-secret-1', displayName: 'Alice Wu', role: 'staff', siteId: SITE, storeIds: ['boutique'] },
        { username: 'bob', password: 'bob-secret-22', displayName: 'Bob Li', role: 'staff', siteId: SITE, storeIds: ['boutique'] },
        { username: 'olga', password: 'olga-operator-4', displayName: 'Olga Operator', role: 'operator' },
      ],
    });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const d of dirs) {
      try {
        d.cleanup();
      } catch {
        // Chromium may still be flushing its profile; a temp dir left behind is harmless.
      }
    }
    await t?.stop();
  });

  /** A fresh browser profile per staff member (its own sessionStorage), phone-sized. */
  async function signIn(username: string, password: string): Promise<Page> {
    const dir = tempDir('storesense-chromium-');
    dirs.push(dir);
    const context = await chromium.launchPersistentContext(join(dir.dir, 'profile'), {
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
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    // A CSP violation (e.g. the script hash out of date) shows up as a console error.
    page.on('console', (msg) => void (msg.type() === 'error' && problems.push(msg.text())));
    await page.goto(`${t.endpoints.httpUrl}/staff`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('#status.live', { timeout: 10_000 });
    expect(problems).toEqual([]);
    pages.push({ page, problems });
    return page;
  }

  async function arrive(memberId: string, type: 'arrival' | 'approach' = 'arrival') {
    at += 60_000;
    const e = makeEvent({
      siteId: SITE,
      gatewayId: 'gw-boutique-1',
      storeId: 'boutique',
      type,
      at,
      subject: { id: `s_${memberId}`, signals: ['ble'], memberId },
    });
    expect((await t.cloud.ingestEvent(e)).status).toBe('stored');
  }

  const card = (page: Page, name: string) => page.locator('li.alert', { hasText: name });

  it('A sees an alert live and claims it; B sees it claimed by A, live', async () => {
    const a = await signIn('alice', 'alice-secret-1');
    await expect.poll(() => a.locator('li.alert').count()).toBe(0);

    await arrive('M0001');
    await card(a, 'Li Na').waitFor({ timeout: 10_000 });
    expect(await card(a, 'Li Na').getAttribute('data-status')).toBe('open');
    // The card carries who she is and what to show her (alert.member / alert.recommendation).
    expect(await card(a, 'Li Na').locator('.summary').textContent()).toMatch(/^1 visit · /);
    expect(await card(a, 'Li Na').locator('.rec-headline').textContent()).toMatch(/silk scarves/i);
    expect(await card(a, 'Li Na').locator('.rec li').count()).toBeGreaterThan(0);

    const b = await signIn('bob', 'bob-secret-22');
    await card(b, 'Li Na').waitFor({ timeout: 10_000 });
    expect(await card(b, 'Li Na').locator('button.claim').count()).toBe(1);

    await card(a, 'Li Na').locator('button.claim').click();
    await a.waitForSelector('li.alert[data-status=claimed] .claimed-by', { timeout: 10_000 });
    expect(await card(a, 'Li Na').locator('.claimed-by').textContent()).toBe('Claimed by Alice Wu');
    // B gets the alert_update over its socket: claimed by Alice, no Claim button any more.
    await b.waitForSelector('li.alert[data-status=claimed]', { timeout: 10_000 });
    expect(await card(b, 'Li Na').locator('.claimed-by').textContent()).toBe('Claimed by Alice Wu');
    expect(await card(b, 'Li Na').locator('button').count()).toBe(0);
    // Alice still has "Done" for her own claim.
    expect(await card(a, 'Li Na').locator('button.ack').count()).toBe(1);

    // Another member approaching, so the screenshot shows an open alert above the claimed one.
    await arrive('M0002', 'approach');
    await card(b, 'Wang Fang').waitFor({ timeout: 10_000 });
    // Nothing overflows a phone-width screen.
    expect(await b.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    if (SCREENSHOTS) {
      const path = screenshotPath('staff-alerts');
      await b.waitForTimeout(1600); // let the new-alert flash fade for a calm screenshot
      await b.screenshot({ path });
      expect(existsSync(path)).toBe(true);
    }
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  }, 60_000);

  it('an operator signed in at /staff uses the live console at / with the same session', async () => {
    const o = await signIn('olga', 'olga-operator-4');
    await o.click('#console-link');
    await o.waitForSelector('#status.live', { timeout: 10_000 });
    await expect.poll(() => o.locator('#events tr.event').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await o.locator('li.alert').count()).toBeGreaterThan(0);
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  }, 60_000);

  /** One event of member `memberId`'s visit `visitId` at the boutique. */
  async function step(memberId: string, visitId: string, type: PresenceEvent['type'], extra: Record<string, unknown> = {}) {
    at += 30_000;
    const e = makeEvent({
      siteId: SITE,
      gatewayId: 'gw-boutique-1',
      storeId: 'boutique',
      type,
      at,
      visitId,
      floor: 0,
      subject: { id: `s_${memberId}`, signals: ['ble'], memberId },
      ...extra,
    } as never);
    expect((await t.cloud.ingestEvent(e)).status).toBe('stored');
  }
  const visitCard = (page: Page, visitId: string) => page.locator(`li.alert[data-visit="${visitId}"]`);
  /** The order of the cards on screen: visit keys, top first, with their state. */
  const order = (page: Page) =>
    page.locator('li.alert').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-status')}${e.getAttribute('data-retired') ? '/retired' : ''}`));

  it('one card per visit follows the shopper from approach to purchase with floor, zone and entrance, and greys and sinks on exit', async () => {
    const a = pages[0]!.page;
    await step('M0003', 'v-zhang', 'approach');
    await visitCard(a, 'v-zhang').waitFor({ timeout: 10_000 });
    const card = visitCard(a, 'v-zhang');
    expect(await card.getAttribute('data-stage')).toBe('approach');
    expect(await card.locator('.where').textContent()).toBe('Maison Lune boutique · Ground floor · entrance main-door');
    expect(await card.locator('.msg').textContent()).toMatch(/^Zhang Wei \(silver\) is near Maison Lune boutique$/);
    await step('M0003', 'v-zhang', 'arrival');
    await expect.poll(() => card.getAttribute('data-stage'), POLL).toBe('arrival');
    expect(await visitCard(a, 'v-zhang').count()).toBe(1); // the arrival alert joined the approach's card
    await step('M0003', 'v-zhang', 'dwell', { phase: 'update', zoneId: 'handbags', dwellMs: 180_000 });
    await expect.poll(() => card.getAttribute('data-stage'), POLL).toBe('dwell');
    expect(await card.locator('.where').textContent()).toBe('Maison Lune boutique · Ground floor · Handbags');
    expect(await card.locator('.stages li.now').textContent()).toBe('dwell');
    // The till's purchase: its own subject and visit, matched to her visit by member and store.
    at += 30_000;
    const buy = makeEvent({
      siteId: SITE,
      gatewayId: 'gw-boutique-1',
      storeId: 'boutique',
      type: 'purchase',
      at,
      amount: 2480,
      currency: 'CNY',
      subject: { id: 'pos_2', signals: ['terminal'], memberId: 'M0003' },
    });
    expect((await t.cloud.ingestEvent(buy)).status).toBe('stored');
    await expect.poll(() => card.getAttribute('data-stage'), POLL).toBe('purchase');
    expect(await card.locator('.meta').first().textContent()).toContain('CN¥2,480.00');
    expect(await card.locator('.stages li.done').count()).toBe(3);
    expect(await visitCard(a, 'v-zhang').count()).toBe(1);
    expect((await order(a))[0]).toBe('open'); // newest news on top
    await step('M0003', 'v-zhang', 'exit');
    await expect.poll(() => card.getAttribute('data-retired'), POLL).toBe('exit');
    expect(await card.locator('.retired-note').textContent()).toMatch(/^Left at \d\d:\d\d$/);
    expect(await card.locator('button.claim').count()).toBe(0);
    // Retired and done cards sit below every live one.
    const states = await order(a);
    const firstDone = states.findIndex((x) => x.includes('retired') || x.startsWith('acked'));
    expect(states.slice(firstDone).every((x) => x.includes('retired') || x.startsWith('acked'))).toBe(true);
    if (SCREENSHOTS) await a.screenshot({ path: screenshotPath('staff-visit-cards'), fullPage: true });
    expect(pages[0]!.problems).toEqual([]);
  }, 60_000);

  it('a done card sinks below the open ones; a card with no news for 15 minutes retires by itself', async () => {
    const a = pages[0]!.page;
    await step('M0005', 'v-liu', 'arrival');
    await visitCard(a, 'v-liu').waitFor({ timeout: 10_000 });
    expect((await order(a))[0]).toBe('open');
    // Li Na's card (claimed by Alice in the first test): Done moves it down among the finished ones.
    const liNa = card(a, 'Li Na');
    await liNa.locator('button.ack').click();
    await expect.poll(() => liNa.getAttribute('data-status'), POLL).toBe('acked');
    const states = await order(a);
    expect(states.lastIndexOf('open')).toBeLessThan(states.indexOf('acked'));
    // An alert the cloud raised 20 minutes ago with nothing heard since: retired on arrival.
    clockOffsetMs = -20 * 60_000;
    await step('M0006', 'v-zhao', 'arrival');
    clockOffsetMs = 0;
    await visitCard(a, 'v-zhao').waitFor({ timeout: 10_000 });
    expect(await visitCard(a, 'v-zhao').getAttribute('data-retired')).toBe('quiet');
    expect(await visitCard(a, 'v-zhao').locator('.retired-note').textContent()).toMatch(/^No news for 2\d min$/);
    expect(pages[0]!.problems).toEqual([]);
  }, 60_000);

  it('offline: a banner says so, a claim says it was not sent and is retried until the cloud answers', async () => {
    const a = pages[0]!.page;
    await step('M0007', 'v-sophie', 'arrival');
    const sophie = visitCard(a, 'v-sophie');
    await sophie.waitFor({ timeout: 10_000 });
    await contexts[0]!.setOffline(true);
    await a.locator('#offline:not([hidden])').waitFor({ timeout: 10_000 });
    expect(await a.locator('#offline').textContent()).toContain('Offline');
    await sophie.locator('button.claim').click();
    await expect.poll(() => sophie.locator('.note.retrying').textContent(), POLL).toMatch(/^Not sent \(.+\); retrying in 2 s…$/);
    expect(await sophie.getAttribute('data-status')).toBe('open');
    expect(await sophie.locator('button.claim').isDisabled()).toBe(true); // one retry at a time
    await contexts[0]!.setOffline(false);
    await expect.poll(() => sophie.getAttribute('data-status'), { timeout: 20_000 }).toBe('claimed');
    expect(await sophie.locator('.note').count()).toBe(0);
    expect(await sophie.locator('.claimed-by').textContent()).toBe('Claimed by Alice Wu');
    await a.locator('#offline[hidden]').waitFor({ state: 'attached', timeout: 15_000 });
    // Network errors of the offline spell are Chromium's console noise, not page errors.
    expect(pages[0]!.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|WebSocket/.test(p))).toEqual([]);
  }, 60_000);

  it('sound and notifications: off until turned on; granted, a new card notifies; refused, the button says notifications are blocked', async () => {
    const a = pages[0]!.page;
    const b = pages[1]!.page;
    expect(await a.locator('#notify').textContent()).toBe('Sound and notifications: off');
    await contexts[0]!.grantPermissions(['notifications'], { origin: t.endpoints.httpUrl });
    await a.locator('#notify').click();
    await expect.poll(() => a.locator('#notify').getAttribute('data-permission'), POLL).toBe('granted');
    expect(await a.locator('#notify').textContent()).toBe('Sound and notifications: on');
    expect(await a.locator('#notify').getAttribute('aria-pressed')).toBe('true');
    // Bob's browser refuses the permission: sound and vibration only, and the button says why.
    await contexts[1]!.clearPermissions();
    await b.locator('#notify').click();
    await expect.poll(() => b.locator('#notify').textContent(), POLL).toMatch(/^Sound on; notifications blocked|^Sound and notifications: on$/);
    const bobPermission = await b.locator('#notify').getAttribute('data-permission');
    expect(['denied', 'default']).toContain(bobPermission);
    await step('M0009', 'v-notify', 'arrival');
    await visitCard(a, 'v-notify').waitFor({ timeout: 10_000 });
    await expect.poll(() => a.evaluate<string | undefined>('document.body.dataset.notified'), POLL).toBe('1');
    expect(await b.evaluate<string | undefined>('document.body.dataset.notified')).toBeUndefined();
    // The choice is kept for the next visit of the page.
    await a.reload();
    await a.waitForSelector('#status.live');
    expect(await a.locator('#notify').textContent()).toBe('Sound and notifications: on');
  }, 60_000);

  it('installable: a manifest and a service worker, so the staff view opens without a network and says it is offline', async () => {
    const a = pages[0]!.page;
    const manifest = await a.evaluate<{ start_url: string; display: string; icons: { src: string }[] }>("fetch('/staff.webmanifest').then((r) => r.json())");
    expect(manifest).toMatchObject({ start_url: '/staff', display: 'standalone' });
    expect(await a.evaluate<number>(`fetch(${JSON.stringify(manifest.icons[0]!.src)}).then((r) => r.status)`)).toBe(200);
    await a.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await expect.poll(() => a.evaluate<boolean>('!!navigator.serviceWorker.controller'), POLL).toBe(true);
    await contexts[0]!.setOffline(true);
    await a.reload();
    await a.waitForSelector('#alerts-view:not([hidden])', { timeout: 10_000 });
    await a.locator('#offline:not([hidden])').waitFor({ timeout: 10_000 });
    expect(await a.locator('h1').textContent()).toBe('Staff alerts');
    await contexts[0]!.setOffline(false);
    await a.waitForSelector('#status.live', { timeout: 20_000 });
    await a.locator('#offline[hidden]').waitFor({ state: 'attached', timeout: 15_000 });
    await visitCard(a, 'v-notify').waitFor({ timeout: 10_000 }); // the list is back once the cloud answers
  }, 60_000);
});
