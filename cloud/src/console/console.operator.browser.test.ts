import { codecs, topics } from '@storesense/protocol';
import { demoMembersPath, exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { connectClient, startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import { haveChromium, openBrowser, SCREENSHOTS, screenshotPath, type BrowserSession } from './browser.harness.js';

// The operator/analyst console in a real headless Chromium against a real cloud with sign-in
// required: gateways publish their retained state over MQTT, members arrive and buy through
// ingest (so alerts and welcome offers come from the real rules runner).
if (!haveChromium) console.warn('skipping the operator console browser test: /usr/bin/chromium is missing (apt-get install chromium)');
const SITE = 'mall-sh-01';
const STORE = 'dept-store';
const DESKTOP = { width: 1200, height: 900 };
/** expect.poll's own default (1 s) is short for a browser on a busy 2-core machine. */
const POLL = { timeout: 10_000 };

describe.skipIf(!haveChromium)('operator console in headless Chromium', () => {
  let t: TestCloud;
  const gateways: MqttClient[] = [];
  const browsers: BrowserSession[] = [];

  async function gateway(gatewayId: string, state: 'online' | 'offline', depth: number): Promise<void> {
    const password = `${gatewayId}-secret-password`;
    await t.cloud.provisionGateway({ siteId: SITE, gatewayId, password });
    const gw = await connectClient(t.endpoints.mqttUrl, `${SITE}.${gatewayId}`, password);
    gateways.push(gw);
    const at = Date.now();
    await gw.publishAsync(topics.stateConn(SITE, gatewayId), codecs.connState.encode({ v: 1, state, at, version: '0.1.0' }), { qos: 1, retain: true });
    const health = {
      v: 1,
      at,
      version: '0.1.0',
      subjects: 7,
      model: { name: 'rules', version: '1' },
      sources: { ble: { state: 'ok', observations: 1200, rejected: 3, lastObservationAt: at }, espresense: { state: 'ok', observations: 400, rejected: 0 } },
      outbox: { depth, dropped: 0, ...(depth ? { oldestUnsentAgeMs: 4000 } : {}) },
    };
    await gw.publishAsync(topics.stateHealth(SITE, gatewayId), codecs.health.encode(health), { qos: 0, retain: true });
  }

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('dept-store'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({
      sites: [site.value],
      membersCsvPath: demoMembersPath,
      staffAuth: 'required',
      staff: [
        { username: 'olga', password: 'olga-operator-4', displayName: 'Olga Operator', role: 'operator' },
        { username: 'ana', password: 'ana-analyst-77', displayName: 'Ana Analyst', role: 'analyst' },
        { username: 'wang', password: 'wang-staff-55', displayName: 'Wang Fang', role: 'staff', siteId: SITE, storeIds: [STORE] },
        { username: 'sofia', password: 'sofia-site-op-9', displayName: 'Sofia Site', role: 'operator', siteId: SITE },
      ],
    });
    await gateway('gw-dept-1', 'online', 4);
    await gateway('gw-dept-2', 'offline', 0);
    await waitFor(async () => (await t.cloud.store!.listGateways()).filter((g) => g.conn && g.health).length === 2, 5000, 'gateway state');

    // Members arrive, browse and one buys: real ingest, so alerts and welcome offers are the runner's.
    // Event times are the cloud's now: offers carry the cloud's issue time, and a purchase
    // redeems only an offer issued before it.
    const base = { siteId: SITE, gatewayId: 'gw-dept-1', storeId: STORE };
    for (const [memberId, zoneId] of [
      ['M0001', 'silk-scarves'],
      ['M0002', 'cosmetics'],
      ['M0004', 'shoes'],
    ] as const) {
      const subject = { id: `s_${memberId}`, signals: ['ble' as const], memberId };
      const visitId = `v_${memberId}`;
      for (const e of [
        { type: 'approach' as const },
        { type: 'arrival' as const },
        { type: 'dwell' as const, phase: 'end' as const, zoneId, dwellMs: 420_000 },
      ])
        expect((await t.cloud.ingestEvent(makeEvent({ ...base, subject, visitId, ...e, at: Date.now() }))).status).toBe('stored');
    }
    await new Promise((r) => setTimeout(r, 5)); // the purchase strictly after the offers
    const buy = makeEvent({
      ...base,
      type: 'purchase',
      at: Date.now(),
      subject: { id: 'pos_1', signals: ['terminal'], memberId: 'M0001' },
      amount: 1280,
      currency: 'CNY',
    });
    expect((await t.cloud.ingestEvent(buy)).status).toBe('stored');
  });

  afterAll(async () => {
    for (const b of browsers) await b.close();
    for (const gw of gateways) await gw.endAsync().catch(() => undefined);
    await t?.stop();
  });

  async function signIn(username: string, password: string): Promise<Page> {
    const b = await openBrowser(DESKTOP);
    browsers.push(b);
    await b.page.goto(`${t.endpoints.httpUrl}/`);
    await b.page.waitForSelector('#login-view:not([hidden])');
    await b.page.getByLabel('Username').fill(username);
    await b.page.getByLabel('Password').fill(password);
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    return b.page;
  }
  const problems = () => browsers.flatMap((b) => b.problems);

  it('an operator signs in and sees sites and gateways with their health, the offline one flagged', async () => {
    const page = await signIn('olga', 'olga-operator-4');
    await page.waitForSelector('#status.live');
    const online = page.locator('tr.gw[data-gateway="gw-dept-1"]');
    await online.waitFor();
    expect(await online.getAttribute('data-state')).toBe('online');
    expect(await online.textContent()).toContain('4 (oldest 4 s)'); // outbox backlog
    expect(await online.locator('.chip', { hasText: 'ble: ok' }).count()).toBe(1);
    const offline = page.locator('tr.gw[data-gateway="gw-dept-2"]');
    expect(await offline.getAttribute('data-state')).toBe('offline');
    expect(await offline.getAttribute('class')).toContain('bad');
    expect(await page.locator(`section.site[data-site="${SITE}"] h3`).textContent()).toContain('1/2 up');
    expect(await page.locator('#health .tile', { hasText: 'MQTT broker' }).textContent()).toContain('embedded');
    await expect.poll(() => page.locator('#alerts li.alert').count(), POLL).toBeGreaterThan(0);
    const liNa = page.locator('#alerts li.alert.arrival', { hasText: 'Li Na' });
    expect(await liNa.locator('.summary').textContent()).toMatch(/^1 visit · spent /);
    expect(await liNa.locator('.rec-headline').textContent()).toMatch(/^Show: .*silk scarves/i);
    await expect.poll(() => page.locator('#events tr.event').count(), POLL).toBeGreaterThan(0);
    const nav = await page.locator('#nav a').allTextContents();
    expect(nav).toEqual(['Overview', 'Members', 'Rules', 'Offers', 'Analytics', 'Admin', 'Floor map', 'Receivers', 'Staff view']);
    if (SCREENSHOTS) await page.screenshot({ path: screenshotPath('console-gateways'), fullPage: true });
    expect(problems()).toEqual([]);
  }, 60_000);

  it('an operator creates a rule, sees the API 400 paths next to the fields of a bad one, toggles and deletes it', async () => {
    const page = browsers[0]!.page;
    await page.click('#nav a[data-route=rules]');
    await page.waitForSelector('tr[data-rule="welcome-offer"]');
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Id', { exact: true }).fill('vip-fragrance');
    await page.getByLabel('Name', { exact: true }).fill('VIP in fragrance');
    await page.getByLabel('Zones').fill('fragrance');
    await page.getByLabel('Member tiers').fill('gold, platinum');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.waitForSelector('tr[data-rule="vip-fragrance"]');
    const stored = await t.cloud.store!.getRule('vip-fragrance');
    expect(stored).toMatchObject({
      name: 'VIP in fragrance',
      enabled: true,
      zoneIds: ['fragrance'],
      memberTiers: ['gold', 'platinum'],
      eventTypes: ['arrival'],
    });

    // A bad rule: negative cooldown, an offer action without its validity. The API's paths show by the fields.
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Id', { exact: true }).fill('bad-rule');
    await page.getByLabel('Name', { exact: true }).fill('Broken');
    await page.getByLabel('Cooldown per subject (ms)').fill('-5');
    await page.getByLabel('Actions (JSON)').fill('[{"kind": "offer", "offerKind": "vip"}]');
    await page.getByRole('button', { name: 'Create rule' }).click();
    const cooldownError = page.locator('.field-error[data-field=cooldownMs] .issue');
    await cooldownError.waitFor();
    expect(await cooldownError.textContent()).toMatch(/^cooldownMs: /);
    expect(await page.locator('.field-error[data-field=actions] .issue').textContent()).toMatch(/^actions\[0\]\.validForMs: /);
    expect(await page.getByLabel('Cooldown per subject (ms)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#rule-errors').textContent()).toContain('invalid body');
    expect(await t.cloud.store!.getRule('bad-rule')).toBeUndefined();
    if (SCREENSHOTS) await page.screenshot({ path: screenshotPath('console-rules'), fullPage: true });

    await page.getByRole('link', { name: 'Cancel' }).click();
    const row = page.locator('tr[data-rule="vip-fragrance"]');
    await row.getByRole('checkbox', { name: 'Enabled: VIP in fragrance' }).click();
    await page.waitForSelector('tr.disabled[data-rule="vip-fragrance"]');
    expect((await t.cloud.store!.getRule('vip-fragrance'))?.enabled).toBe(false);
    await row.getByRole('button', { name: 'Delete VIP in fragrance' }).click();
    await row.getByRole('button', { name: 'Delete VIP in fragrance' }).click(); // confirm
    await page.waitForSelector('tr[data-rule="vip-fragrance"]', { state: 'detached' });
    expect(await t.cloud.store!.getRule('vip-fragrance')).toBeUndefined();
    expect(problems()).toEqual([]);
  }, 60_000);

  it('an operator searches members, opens a profile with purchases and the recommendation, imports a CSV with a row error', async () => {
    const page = browsers[0]!.page;
    await page.click('#nav a[data-route=members]');
    await page.waitForSelector('#members-list tr[data-member="M0001"]');
    await page.getByLabel('Search', { exact: true }).fill('li n');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#members-list tr[data-member]').count(), POLL).toBe(1);
    expect(await page.locator('tr[data-member="M0001"]').textContent()).toContain('CN¥1,280.00');
    await page.getByRole('link', { name: 'Li Na' }).click();
    await page.waitForSelector('tr.purchase');
    expect(await page.locator('#member-name').textContent()).toContain('Li Na');
    expect(await page.locator('tr.purchase').count()).toBe(1);
    expect(await page.locator('tr.purchase').textContent()).toContain('CN¥1,280.00');
    expect(await page.locator('#recommendation h2').textContent()).toMatch(/^What to show: \S/);
    expect(await page.locator('#recommendation li').count()).toBeGreaterThan(0);
    if (SCREENSHOTS) await page.screenshot({ path: screenshotPath('console-members'), fullPage: true });

    await page.getByRole('link', { name: '← All members' }).click();
    const csv =
      'memberId,name,tier,tags,consent,tokenKey\nM0901,Zhou Min,gold,tea;silk-scarves,yes,0123456789abcdef0123456789abcdef\nM0902,Bad Key,gold,tea,yes,not-a-key\n';
    await page.setInputFiles('#import-file', { name: 'members.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const result = page.locator('#import-result [role=status]');
    await result.waitFor();
    expect(await result.textContent()).toBe('1 imported, 0 updated, 1 rejected');
    const errorRows = page.locator('table.import-errors tbody tr');
    expect(await errorRows.count()).toBe(1);
    expect(await errorRows.locator('td').first().textContent()).toBe('3'); // the CSV line of M0902
    expect(await errorRows.textContent()).toContain('tokenKey');
    expect(await t.cloud.store!.getMember('M0901')).toMatchObject({ name: 'Zhou Min', tier: 'gold' });
    expect(await t.cloud.store!.getMember('M0902')).toBeUndefined();

    // Erasure from the profile: two clicks, then the member is gone from the store.
    await page.goto(page.url().replace(/#.*$/, '#/members/M0901'));
    await page.waitForSelector('#member-name');
    await page.click('#erase-member');
    expect(await t.cloud.store!.getMember('M0901')).toBeDefined(); // the first click only arms it
    await page.click('#erase-member');
    await expect.poll(() => page.locator('#erase-status').textContent(), POLL).toBe('Zhou Min erased.');
    expect(await t.cloud.store!.getMember('M0901')).toBeUndefined();
    expect(problems()).toEqual([]);
  }, 60_000);

  it('an operator sees the offers the rules issued, the redeemed one, filters by status and sees the conversion', async () => {
    const page = browsers[0]!.page;
    await page.click('#nav a[data-route=offers]');
    await page.waitForSelector('#of-tiles');
    await expect.poll(() => page.locator('tr.offer').count(), POLL).toBe(3); // one welcome offer per arriving member
    expect(await page.locator('#of-tiles .tile', { hasText: 'issued' }).locator('b').textContent()).toBe('3');
    // M0001 bought after her welcome offer was issued: redeemed, with the purchase amount.
    await expect.poll(() => page.locator('tr.offer[data-status=redeemed]').count(), POLL).toBe(1);
    expect(await page.locator('tr.offer[data-status=redeemed]').textContent()).toContain('M0001');
    expect(await page.locator('#of-tiles .tile', { hasText: 'conversion' }).locator('b').textContent()).toBe('33%');
    const statuses = await page
      .locator('tr.offer')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: Record<string, string> }).dataset.status!));
    const stored = (await t.cloud.store!.listOffers({ limit: 10 })).map((o) => o.status).sort();
    expect([...statuses].sort()).toEqual(stored);
    await page.getByLabel('Status').selectOption(statuses[0]!);
    await expect.poll(() => page.locator('tr.offer').count(), POLL).toBe(statuses.filter((x) => x === statuses[0]).length);
    expect(await page.locator(`tr.offer:not([data-status="${statuses[0]}"])`).count()).toBe(0);
    await page.getByLabel('Status').selectOption('');
    await expect.poll(() => page.locator('tr.offer').count(), POLL).toBe(3);
    if (SCREENSHOTS) await page.screenshot({ path: screenshotPath('console-offers'), fullPage: true });
    expect(problems()).toEqual([]);
  }, 60_000);

  it('an analyst reads gateways, offers and analytics but gets no rules editor and no member profiles', async () => {
    const page = await signIn('ana', 'ana-analyst-77');
    await page.waitForSelector('tr.gw[data-gateway="gw-dept-1"]');
    // Rules and member profiles are operator-only in the API (profiles are personal data).
    expect(await page.locator('#nav a').allTextContents()).toEqual(['Overview', 'Offers', 'Analytics', 'Floor map', 'Receivers', 'Staff view']);
    for (const view of ['rules', 'members']) {
      await page.goto(`${t.endpoints.httpUrl}/#/${view}`);
      await page.waitForSelector(`#main[data-denied="${view}"] .error`);
      expect(await page.locator('#main .error').textContent()).toContain('operator role');
    }
    expect(await page.locator('#rule-form, a[href="#/rules/new"], #import-form').count()).toBe(0);
    const rulesStatus = "fetch('/api/v1/rules', { headers: { authorization: 'Bearer ' + sessionStorage.getItem('storesense.token') } }).then((r) => r.status)";
    expect(await page.evaluate<number>(rulesStatus)).toBe(403);
    await page.click('#nav a[data-route=analytics]');
    await page.waitForSelector('#an-footfall rect.c-arr');
    // Follows the system theme, and fits a phone without sideways scrolling.
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(13, 17, 23)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.setViewportSize({ width: 390, height: 800 });
    for (const view of ['overview', 'offers', 'analytics']) {
      await page.click(`#nav a[data-route=${view}]`);
      await page.waitForSelector(`#main[data-view=${view}] table, #main[data-view=${view}] svg rect`);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), view).toBeLessThanOrEqual(390);
    }
    expect(problems()).toEqual([]);
  }, 60_000);

  it('an operator of one site reads the members seen there, and gets no import or erasure (profiles belong to every site)', async () => {
    const page = await signIn('sofia', 'sofia-site-op-9');
    await page.waitForSelector('#status.live');
    await page.click('#nav a[data-route=members]');
    await page.waitForSelector('#members-list tr[data-member="M0001"]');
    // Only members with an event at this site: the three who came in, never the rest of the CSV.
    expect((await page.locator('#members-list tr[data-member]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-member')))).sort()).toEqual([
      'M0001',
      'M0002',
      'M0004',
    ]);
    expect(await page.locator('#import-form').count()).toBe(0);
    await page.getByRole('link', { name: 'Li Na' }).click();
    await page.waitForSelector('tr.purchase');
    expect(await page.locator('#erase-member').count()).toBe(0);
    expect(problems()).toEqual([]);
  }, 60_000);

  it('a staff member signing in at the console is sent to the staff view', async () => {
    const page = await signIn('wang', 'wang-staff-55');
    await page.waitForURL(/\/staff$/);
    await page.waitForSelector('#status.live');
    expect(await page.locator('#who').textContent()).toContain('Wang Fang');
    expect(problems()).toEqual([]);
  }, 60_000);

  it('a browser set to Chinese gets the console in Chinese; the choice of language is kept across a reload; times say their zone', async () => {
    const b = await openBrowser(DESKTOP, false, 'zh-CN');
    browsers.push(b);
    const page = b.page;
    await page.goto(`${t.endpoints.httpUrl}/`);
    await page.waitForSelector('#login-view:not([hidden])');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.locator('#login-title').textContent()).toBe('登录');
    await page.getByLabel('用户名').fill('olga');
    await page.getByLabel('密码').fill('wrong-password');
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.locator('#error').textContent(), POLL).toBe('用户名或密码错误'); // the API's error, in the reader's language
    await page.getByLabel('密码').fill('olga-operator-4');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForSelector('tr.gw[data-gateway="gw-dept-1"]');
    expect(await page.locator('#nav a').allTextContents()).toEqual(['概览', '会员', '规则', '优惠', '分析', '管理', '平面图', '接收器', '店员视图']);
    expect(await page.locator('#tz').textContent()).toBe('时间为 Asia/Shanghai');
    expect(await page.locator('tr.gw[data-state=online] .chip').first().textContent()).toBe('在线');
    expect(await page.locator('#alerts li.alert.arrival .msg', { hasText: 'Li Na' }).first().textContent()).toMatch(
      /^Li Na（.+）在Orient Department Store提袋购买$/,
    ); // her visit has got to the purchase
    // Switch to English: stored, so a reload (and the staff view) keep it.
    await page.selectOption('#lang', 'en');
    await expect.poll(() => page.evaluate<string>('document.documentElement.lang'), POLL).toBe('en'); // not waitForFunction: its polling evals, which the CSP refuses
    await page.waitForSelector('tr.gw[data-gateway="gw-dept-1"]');
    expect(await page.locator('#nav a').first().textContent()).toBe('Overview');
    await page.reload();
    await page.waitForSelector('tr.gw[data-gateway="gw-dept-1"]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('#tz').textContent()).toBe('times in Asia/Shanghai');
    await page.selectOption('#lang', 'zh-CN');
    await expect.poll(() => page.evaluate<string>('document.documentElement.lang'), POLL).toBe('zh-CN');
    await page.click('#nav a[data-route=members]');
    await page.waitForSelector('tr[data-member="M0001"]');
    expect(await page.locator('tr[data-member="M0001"]').textContent()).toContain('¥1,280.00');
    if (SCREENSHOTS) await page.screenshot({ path: screenshotPath('console-members-zh-CN'), fullPage: true });
    expect(b.problems).toEqual([]);
  }, 60_000);

  it('an operator registers a gateway of the site model and sees its one-time code, pings it (not enrolled: said so), revokes it, and lists the staff accounts', async () => {
    const page = browsers[0]!.page;
    await page.goto(`${t.endpoints.httpUrl}/#/admin`);
    await page.waitForSelector('#staff-accounts tr.staff-row');
    expect((await page.locator('#staff-accounts tr.staff-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-username')))).sort()).toEqual([
      'ana',
      'olga',
      'sofia',
      'wang',
    ]);
    await page.selectOption('#reg-site', SITE);
    await page.fill('#reg-gateway', 'gw-dept-1');
    await page.getByRole('button', { name: 'Register and get a code' }).click();
    await expect.poll(() => page.locator('#enrol-code code').textContent(), POLL).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4})+$/);
    const row = page.locator('tr.fleet-row[data-gateway="gw-dept-1"]');
    await expect.poll(() => row.getAttribute('data-state'), POLL).toBe('pending');
    await row.locator('button.ping').click();
    await expect.poll(() => page.locator('#admin-status .error').textContent(), POLL).toMatch(/^ping on gw-dept-1 failed: /);
    await row.locator('button.revoke').click();
    await row.locator('button.revoke').click(); // two clicks, like rule deletion
    await expect.poll(() => row.getAttribute('data-state'), POLL).toBe('revoked');
    expect(await row.locator('button').count()).toBe(0);
    if (SCREENSHOTS) await page.screenshot({ path: screenshotPath('console-admin'), fullPage: true });
    expect(problems()).toEqual([]);
  }, 60_000);

  it('health tiles say the cloud is unreachable when it does not answer, with the time of its last answer, and recover', async () => {
    const { page, context } = browsers[0]!;
    await page.goto(`${t.endpoints.httpUrl}/#/overview`);
    await page.waitForSelector('#health .tile.ok');
    await context.setOffline(true);
    await page.waitForSelector('#health[data-stale=yes]', { timeout: 20_000 }); // the overview re-reads health every 10 s
    expect(await page.locator('#health .tile.ok').count()).toBe(0);
    expect(await page.locator('#health .tile.bad b').textContent()).toBe('unreachable');
    expect(await page.locator('#health .tile', { hasText: 'last answer' }).locator('b').textContent()).toMatch(/^\d\d:\d\d$/);
    await context.setOffline(false);
    await page.waitForSelector('#health:not([data-stale]) .tile.ok', { timeout: 20_000 });
  }, 60_000);

  it('a rule naming a store no site has is saved with a warning next to the field, not silently', async () => {
    const page = browsers[0]!.page;
    await page.goto(`${t.endpoints.httpUrl}/#/rules/new`);
    await page.waitForSelector('#rule-form');
    await page.fill('#f-id', 'typo-store');
    await page.fill('#f-name', 'Typo in the store');
    await page.fill('#f-storeIds', 'dept-stor');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.waitForSelector('#rule-warnings');
    expect(await page.locator('.field-error[data-field=storeIds] .warning').textContent()).toBe('storeIds[0]: "dept-stor" is not a store of any known site');
    expect(await t.cloud.store!.getRule('typo-store')).toMatchObject({ storeIds: ['dept-stor'] }); // stored all the same
    await page.getByRole('link', { name: 'Back to the rules' }).click();
    await page.waitForSelector('tr[data-rule="typo-store"]');
    expect(problems().filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]); // the offline spell of the health test
  }, 60_000);
});
