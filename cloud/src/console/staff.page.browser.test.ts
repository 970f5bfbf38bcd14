import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { demoMembersPath, exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { startTestCloud, type TestCloud } from '../testing/harness.js';
import { SCREENSHOTS, screenshotPath } from './browser.harness.js';

// The staff page in a real headless Chromium (Debian's), against a real cloud with tickets required.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`skipping the staff page browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
const SITE = 'mall-bj-01';
const PHONE = { width: 390, height: 760 };

describe.skipIf(!haveChromium)('staff page in headless Chromium', () => {
  let t: TestCloud;
  const contexts: BrowserContext[] = [];
  const pages: { page: Page; problems: string[] }[] = [];
  const dirs: { cleanup: () => void }[] = [];
  let at = Date.UTC(2026, 10, 23, 6, 30, 0);

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('boutique'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({
      sites: [site.value],
      membersCsvPath: demoMembersPath,
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
});
