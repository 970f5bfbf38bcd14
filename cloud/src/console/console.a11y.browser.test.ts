import { demoMembersPath, exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { startTestCloud, type TestCloud } from '../testing/harness.js';
import { axeSerious, haveChromium, openBrowser, SCREENSHOTS, screenshotPath, type BrowserSession } from './browser.harness.js';

// Every view of the console and the staff view, in both languages and at a desktop and a phone
// size, in headless Chromium: axe-core finds no serious or critical violation (WCAG 2.1 A/AA,
// contrast included), each view has one <h1> and a main landmark, and nothing scrolls sideways
// at 390 px. With STORESENSE_SCREENSHOTS=1 each is saved to docs/screenshots/<view>-<lang>-<size>.png.
if (!haveChromium) console.warn('skipping the accessibility browser test: /usr/bin/chromium is missing (apt-get install chromium)');
const SITE = 'mall-sh-01';
const SIZES = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } } as const;
const CONSOLE_VIEWS: [string, string, string][] = [
  ['overview', '#/overview', 'tr.gw, #sites p'],
  ['members', '#/members', '#members-list tr[data-member]'],
  ['member', '#/members/M0001', 'tr.purchase, #recommendation'],
  ['rules', '#/rules', 'tr[data-rule]'],
  ['admin', '#/admin', '#staff-accounts tr.staff-row'],
  ['rule-editor', '#/rules/new', '#rule-form'],
  ['offers', '#/offers', 'tr.offer, #offers-list td'],
  ['analytics', '#/analytics', '#an-funnel h2, #an-funnel .error'],
  ['map', '#/map/mall-sh-01/0', '#map-svg [data-zone], #map-stores li'],
  ['receivers', '#/receivers', 'tr.receiver'],
];

describe.skipIf(!haveChromium)('accessibility of every view (axe-core, headless Chromium)', () => {
  let t: TestCloud;
  const browsers: BrowserSession[] = [];

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('dept-store'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({
      sites: [site.value],
      membersCsvPath: demoMembersPath,
      staffAuth: 'required',
      staff: [
        { username: 'olga', password: 'olga-operator-4', displayName: 'Olga Operator', role: 'operator' },
        { username: 'wang', password: 'wang-staff-55', displayName: 'Wang Fang', role: 'staff', siteId: SITE, storeIds: ['dept-store'] },
      ],
    });
    const base = { siteId: SITE, gatewayId: 'gw-dept-1', storeId: 'dept-store' };
    for (const [memberId, zoneId] of [
      ['M0001', 'silk-scarves'],
      ['M0003', 'menswear'],
    ] as const) {
      const subject = { id: `s_${memberId}`, signals: ['ble' as const], memberId };
      for (const e of [
        { type: 'approach' as const },
        { type: 'arrival' as const, floor: 0 },
        { type: 'dwell' as const, phase: 'end' as const, zoneId, dwellMs: 300_000 },
      ])
        await t.cloud.ingestEvent(makeEvent({ ...base, subject, visitId: `v_${memberId}`, ...e, at: Date.now() } as never));
    }
    // Zhang Wei left: his card is retired (greyed), which must still be readable.
    await t.cloud.ingestEvent(
      makeEvent({ ...base, type: 'exit', visitId: 'v_M0003', subject: { id: 's_M0003', signals: ['ble'], memberId: 'M0003' }, at: Date.now() + 10 }),
    );
    await t.cloud.ingestEvent(
      makeEvent({
        ...base,
        type: 'purchase',
        at: Date.now() + 5,
        subject: { id: 'pos_1', signals: ['terminal'], memberId: 'M0001' },
        amount: 1280,
        currency: 'CNY',
      }),
    );
  });
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await t?.stop();
  });

  async function check(page: Page, name: string): Promise<string[]> {
    const problems: string[] = [];
    for (const v of await axeSerious(page)) problems.push(`${name}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(', ')}`);
    const h1 = await page.locator('h1:visible').count();
    if (h1 !== 1) problems.push(`${name}: ${h1} visible <h1> (want 1)`);
    if ((await page.locator('main, [role=main]').count()) < 1) problems.push(`${name}: no main landmark`);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    const viewport = page.viewportSize()!.width;
    if (width > viewport) problems.push(`${name}: scrolls sideways (${width} px wide in ${viewport})`);
    if (SCREENSHOTS && !name.includes('dark')) await page.screenshot({ path: screenshotPath(name) });
    return problems;
  }

  for (const lang of ['en', 'zh-CN'] as const)
    for (const [size, viewport] of Object.entries(SIZES))
      it(`console and staff view, ${lang}, ${size} (${viewport.width} px)`, async () => {
        const b = await openBrowser(viewport, size === 'phone', lang === 'en' ? 'en-US' : 'zh-CN');
        browsers.push(b);
        const { page } = b;
        const problems: string[] = [];
        await page.goto(`${t.endpoints.httpUrl}/`);
        await page.waitForSelector('#login-view:not([hidden])');
        problems.push(...(await check(page, `login-${lang}-${size}`)));
        await page.fill('#username', 'olga');
        await page.fill('#password', 'olga-operator-4');
        await page.click('#login button[type=submit]');
        await page.waitForSelector('#status.live');
        for (const [view, hash, ready] of CONSOLE_VIEWS) {
          await page.goto(`${t.endpoints.httpUrl}/${hash}`);
          await page.waitForSelector(ready);
          problems.push(...(await check(page, `${view}-${lang}-${size}`)));
        }
        // The staff view: its sign-in, then the cards (as the staff member of the store).
        await page.evaluate('sessionStorage.clear()');
        await page.goto(`${t.endpoints.httpUrl}/staff`);
        await page.waitForSelector('#login-view:not([hidden])');
        problems.push(...(await check(page, `staff-login-${lang}-${size}`)));
        await page.fill('#username', 'wang');
        await page.fill('#password', 'wang-staff-55');
        await page.click('#login button[type=submit]');
        await page.waitForSelector('li.alert[data-visit]');
        await page.waitForSelector('#status.live');
        await page.waitForSelector('li.alert[data-retired]');
        problems.push(...(await check(page, `staff-${lang}-${size}`)));
        if (lang === 'en') {
          // The system's dark theme too (both pages follow prefers-color-scheme).
          await page.emulateMedia({ colorScheme: 'dark' });
          problems.push(...(await check(page, `staff-dark-${size}`)));
          await page.evaluate('sessionStorage.clear()');
          await page.goto(`${t.endpoints.httpUrl}/`);
          await page.waitForSelector('#login-view:not([hidden])');
          problems.push(...(await check(page, `login-dark-${size}`)));
          if (size === 'desktop') {
            await page.fill('#username', 'olga');
            await page.fill('#password', 'olga-operator-4');
            await page.click('#login button[type=submit]');
            await page.waitForSelector('#status.live');
            for (const [view, hash, ready] of CONSOLE_VIEWS) {
              await page.goto(`${t.endpoints.httpUrl}/${hash}`);
              await page.waitForSelector(ready);
              problems.push(...(await check(page, `${view}-dark-${size}`)));
            }
          }
          await page.emulateMedia({ colorScheme: 'light' });
        }
        expect(problems).toEqual([]);
        expect(b.problems).toEqual([]);
      }, 120_000);
});
