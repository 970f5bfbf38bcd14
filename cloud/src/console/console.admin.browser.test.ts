import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { codecs, topics } from '@storesense/protocol';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import { haveChromium, openBrowser, type BrowserSession } from './browser.harness.js';

// The receivers page in headless Chromium against a real cloud: the boutique site model's
// receivers with their declared offsets, beside the auto-calibration its gateway publishes in its
// retained health over MQTT; a report received long ago shows as stale.
if (!haveChromium) console.warn('skipping the receivers browser test: /usr/bin/chromium is missing (apt-get install chromium)');
const POLL = { timeout: 15_000 };

describe.skipIf(!haveChromium)('receivers with calibration in headless Chromium', () => {
  const loaded = loadSiteFile(exampleSitePath('boutique'));
  if (!loaded.ok) throw new Error(loaded.error);
  const site = loaded.value;
  const gw = site.gateways[0]!.id;
  let t: TestCloud;
  let skewMs = 0;
  let client: MqttClient | undefined;
  const browsers: BrowserSession[] = [];

  beforeAll(async () => {
    t = await startTestCloud({
      sites: [site],
      staffAuth: 'required',
      clock: { now: () => Date.now() + skewMs },
      staff: [
        { username: 'ana', password: 'ana-analyst-77', displayName: 'Ana Analyst', role: 'analyst' },
        { username: 'olga', password: 'olga-operator-4', displayName: 'Olga Operator', role: 'operator' },
      ],
    });
    await t.cloud.provisionGateway({ siteId: site.id, gatewayId: gw, password: 'gw-secret-password' });
    client = await connectClient(t.endpoints.mqttUrl, `${site.id}.${gw}`, 'gw-secret-password');
  });
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await client?.endAsync(true).catch(() => undefined);
    await t?.stop();
  });

  async function publishHealth(): Promise<void> {
    const at = Date.now();
    const health = {
      v: 1,
      at,
      version: '0.1.0',
      subjects: 2,
      model: { name: 'rules', version: '1' },
      sources: { ble: { state: 'ok', observations: 10, rejected: 0, lastObservationAt: at } },
      outbox: { depth: 0, dropped: 0 },
      calibration: {
        auto: true,
        state: 'applied',
        samples: 400,
        rejectedFits: 0,
        lastUpdateAt: at,
        receivers: {
          'rx-entrance': { declaredDb: 1.5, learnedDb: 0.8, offsetDb: 2.3, evidence: 40, applied: true },
          'rx-inside-west': { declaredDb: 0, learnedDb: 0.2, offsetDb: 0, evidence: 3, applied: false },
        },
      },
    };
    const before = (await t.cloud.store!.listGateways()).find((g) => g.gatewayId === gw)?.health?.receivedAt;
    await client!.publishAsync(topics.stateHealth(site.id, gw), codecs.health.encode(health), { qos: 1, retain: true });
    await waitFor(async () => (await t.cloud.store!.listGateways()).find((g) => g.gatewayId === gw)?.health?.receivedAt !== before, 5000, 'health stored');
  }

  it("shows each receiver's declared offset beside the gateway's calibration, and a stale report as stale", async () => {
    await publishHealth();
    const b = await openBrowser({ width: 1200, height: 900 });
    browsers.push(b);
    const page = b.page;
    await page.goto(`${t.endpoints.httpUrl}/#/receivers`);
    await page.waitForSelector('#login-view:not([hidden])');
    await page.getByLabel('Username').fill('ana');
    await page.getByLabel('Password').fill('ana-analyst-77');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const entrance = page.locator('tr.receiver[data-receiver="rx-entrance"]');
    await entrance.waitFor(POLL);
    expect(await page.locator('tr.receiver').count()).toBe(site.receivers.length);
    expect(await entrance.textContent()).toContain('+1.5 dB');
    const cal = entrance.locator(`.receiver-gw[data-gateway="${gw}"]`);
    expect(await cal.getAttribute('data-state')).toBe('applied');
    expect(await cal.getAttribute('data-stale')).toBe('false');
    expect(await cal.textContent()).toContain('learned +0.8 dB, removes +2.3 dB, from 40 fits');
    // rx-inside-west is declared -1 dB in the site file; the gateway reports 0: an older site file.
    const west = page.locator('tr.receiver[data-receiver="rx-inside-west"] .receiver-gw');
    expect(await west.getAttribute('data-state')).toBe('learning');
    expect(await west.textContent()).toContain('still uses a declared 0.0 dB');
    // A receiver the gateway says nothing about.
    expect(await page.locator('tr.receiver[data-receiver="rx-checkout"] .receiver-gw').getAttribute('data-state')).toBe('none');

    // The cloud received the last report five minutes ago: stale, with its age.
    skewMs = -5 * 60_000;
    await publishHealth();
    skewMs = 0;
    await page.reload();
    await expect.poll(() => page.locator('tr.receiver[data-receiver="rx-entrance"] .receiver-gw').getAttribute('data-stale'), POLL).toBe('true');
    expect(await page.locator('tr.receiver[data-receiver="rx-entrance"] .receiver-gw').textContent()).toMatch(/stale: last report 5 min/);
    expect(b.problems).toEqual([]);
  }, 60_000);

  it('the admin page runs another command on an enrolled gateway and shows its answer, and says when it was last heard', async () => {
    const http = async (method: string, path: string, body?: unknown, token?: string) => {
      const res = await fetch(`${t.endpoints.httpUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return (await res.json()) as any;
    };
    const { token } = await http('POST', '/api/v1/auth/login', { username: 'olga', password: 'olga-operator-4' });
    const { code } = await http('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: gw }, token);
    const enrolled = await http('POST', '/api/v1/gateways/enroll', { code });
    await client!.endAsync(true);
    client = await connectClient(t.endpoints.mqttUrl, enrolled.mqtt.username, enrolled.mqtt.password);
    const answerer = client;
    answerer.on('message', (topic, payload) => {
      const m = /\/command\/([\w-]+)$/.exec(topic);
      const cmd = m ? codecs.command.decode(payload) : undefined;
      if (!m || !cmd?.ok) return;
      const response = { v: 1, requestId: cmd.value.requestId, status: 'ok', result: { subjects: 2, command: m[1] } };
      void answerer.publishAsync(topics.response(site.id, gw, m[1]!), codecs.response.encode(response), { qos: 1 });
    });
    await answerer.subscribeAsync(`${topics.prefix(site.id, gw)}/command/#`, { qos: 1 });
    await publishHealth();

    const b = await openBrowser({ width: 1200, height: 900 });
    browsers.push(b);
    const page = b.page;
    await page.goto(`${t.endpoints.httpUrl}/#/admin`);
    await page.waitForSelector('#login-view:not([hidden])');
    await page.getByLabel('Username').fill('olga');
    await page.getByLabel('Password').fill('olga-operator-4');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.locator(`tr.fleet-row[data-gateway="${gw}"]`);
    await row.waitFor(POLL);
    expect(await row.getAttribute('data-state')).toBe('enrolled');
    expect(await row.locator('.last-seen').textContent()).toMatch(/ago|now/);
    await row.getByLabel(`Another command for ${gw}`).selectOption('stats');
    await row.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.locator('#admin-status .ok-text').textContent(), POLL).toMatch(new RegExp(`^stats on ${gw}: ok in \\d+ ms$`));
    expect(JSON.parse((await page.locator('#admin-status .command-result').textContent())!)).toEqual({ subjects: 2, command: 'stats' });
    expect(b.problems).toEqual([]);
  }, 60_000);
});
