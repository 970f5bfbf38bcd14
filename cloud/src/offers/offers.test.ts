import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Rule } from '../rules/rules.js';
import { makeEvent } from '../testing/fixtures.js';
import { startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import { SIGNATURE_HEADER, verifySignature } from './webhook.signature.js';
import type { OfferPush } from './offer-delivery.js';
import type { OfferView } from './offers.service.js';

// Real cloud, real local push server: offers issued by rules, pushed by webhook with retries,
// redeemed by POS purchase events, expired by the clock.
const SITE = 'mall-bj-01';
const GW = 'gw-boutique-1';
const MIN = 60_000;
let site: Site;

/** A push service that answers with the next status of `script` (then 200), recording each call. */
class PushServer {
  server: Server;
  calls: { headers: IncomingHttpHeaders; body: OfferPush; raw: string }[] = [];
  script: number[] = [];
  url = '';
  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.calls.push({ headers: req.headers, body: JSON.parse(body) as OfferPush, raw: body });
        const status = this.script.shift() ?? 200;
        res.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:1/' } : {}).end();
      });
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/push`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

beforeAll(() => {
  const loaded = loadSiteFile(exampleSitePath('boutique'));
  if (!loaded.ok) throw new Error(loaded.error);
  site = loaded.value;
});

describe('offers: delivery, redemption, caps, budgets, expiry, prospects', () => {
  let push: PushServer;
  let t: TestCloud | undefined;
  let skewMs: number;

  beforeEach(async () => {
    push = new PushServer();
    await push.start();
    skewMs = 0;
  });
  afterEach(async () => {
    await t?.stop();
    t = undefined;
    await push.stop();
  });

  const start = async (rules: Rule[], delivery: Record<string, unknown> = {}) => {
    t = await startTestCloud({
      sites: [site],
      rules,
      clock: { now: () => Date.now() + skewMs },
      offerDelivery: { url: push.url, backoffMs: 40, pollMs: 20, maxAttempts: 4, ...delivery },
    });
    await t.cloud.store!.upsertMembers(
      ['M1', 'M2', 'M3'].map((memberId) => ({
        memberId,
        name: `Member ${memberId}`,
        tier: 'gold',
        tags: [],
        consent: true,
        tokenKey: memberId.padEnd(32, '0').toLowerCase().replace(/m/g, 'a'),
      })),
      1,
    );
    return t;
  };
  const now = () => Date.now() + skewMs;
  const ev = (type: 'arrival' | 'approach' | 'dwell' | 'purchase', memberId: string | undefined, extra: Record<string, unknown> = {}) =>
    makeEvent({
      type,
      at: now(),
      siteId: SITE,
      gatewayId: GW,
      storeId: 'boutique',
      subject: memberId ? { id: `s-${memberId}`, memberId, signals: ['ble'] } : { id: 'anon-42', signals: ['ble'] },
      ...(type === 'dwell' ? { phase: 'end', dwellMs: 5 * MIN, zoneId: 'silk-scarves' } : {}),
      ...extra,
    });
  const offers = async (query = ''): Promise<OfferView[]> =>
    ((await (await fetch(`${t!.endpoints.httpUrl}/api/v1/offers${query}`)).json()) as { offers: OfferView[] }).offers;
  const welcome: Rule = {
    id: 'welcome',
    name: 'welcome',
    enabled: true,
    eventTypes: ['arrival'],
    audience: 'member',
    cooldownMs: 0,
    actions: [{ kind: 'offer', offerKind: 'welcome', title: '10% off silk today', validForMs: 60 * MIN, perMemberCapPerDay: 1 }],
  };

  it('pushes an offer to the push service, retrying after 500s with backoff, then shows it delivered', async () => {
    push.script = [500, 503];
    await start([welcome]);
    await t!.cloud.ingestEvent(ev('arrival', 'M1'));
    await waitFor(async () => (await offers())[0]?.status === 'delivered', 5000, 'delivered');
    const [offer] = await offers();
    expect(push.calls).toHaveLength(3);
    expect(push.calls.every((c) => c.headers['idempotency-key'] === offer!.id)).toBe(true);
    expect(push.calls[2]!.body).toEqual({
      v: 1,
      type: 'offer',
      memberId: 'M1',
      subject: null,
      offer: {
        id: offer!.id,
        kind: 'welcome',
        title: '10% off silk today',
        siteId: SITE,
        storeId: 'boutique',
        issuedAt: offer!.issuedAt,
        expiresAt: offer!.expiresAt,
      },
    });
    expect(offer).toMatchObject({
      ruleId: 'welcome',
      memberId: 'M1',
      subject: null,
      title: '10% off silk today',
      status: 'delivered',
      deliveredAt: expect.any(Number),
    });
    const detail = (await (await fetch(`${t!.endpoints.httpUrl}/api/v1/offers/${offer!.id}`)).json()) as {
      delivery: { attempts: number; status: string; lastStatus: number };
    };
    expect(detail.delivery).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200 });
    expect(t!.cloud.metrics.get('offers.delivery_retry')).toBe(2);
    expect(push.calls[0]!.headers[SIGNATURE_HEADER]).toBeUndefined(); // no secret configured: unsigned
  });

  it('signs each push with the configured secret so the push service can refuse forgeries', async () => {
    await start([welcome], { secret: 'push-secret-1' });
    await t!.cloud.ingestEvent(ev('arrival', 'M1'));
    await waitFor(async () => (await offers())[0]?.status === 'delivered', 5000, 'delivered');
    const call = push.calls[0]!;
    const header = call.headers[SIGNATURE_HEADER] as string;
    expect(verifySignature('push-secret-1', header, call.raw, Date.now())).toEqual({ ok: true });
    expect(verifySignature('another-secret', header, call.raw, Date.now())).toMatchObject({ ok: false });
    expect(verifySignature('push-secret-1', header, call.raw.replace('M1', 'M2'), Date.now())).toMatchObject({ ok: false, reason: 'signature does not match' });
  });

  it('gives up after maxAttempts, on a redirect (not followed), and on a target resolving to a private address', async () => {
    push.script = [500, 500, 500, 500, 302];
    await start([welcome]);
    await t!.cloud.ingestEvent(ev('arrival', 'M1'));
    await waitFor(async () => (await offers())[0]?.status === 'failed', 5000, 'failed after retries');
    expect(push.calls).toHaveLength(4);
    await t!.cloud.ingestEvent(ev('arrival', 'M2'));
    await waitFor(async () => (await offers('?memberId=M2'))[0]?.status === 'failed', 5000, 'failed on redirect');
    expect(push.calls).toHaveLength(5); // the redirect target was never asked
    await t!.stop();

    // A public-looking name resolving to a private address: refused at connect, nothing sent.
    const calls = push.calls.length;
    await start([welcome], { url: `https://push.example.com:${new URL(push.url).port}/push`, resolve: async () => [{ address: '10.0.0.9', family: 4 }] });
    await t!.cloud.ingestEvent(ev('arrival', 'M3'));
    await waitFor(async () => (await offers())[0]?.status === 'failed', 5000, 'refused');
    const d = (await (await fetch(`${t!.endpoints.httpUrl}/api/v1/offers/${(await offers())[0]!.id}`)).json()) as {
      delivery: { attempts: number; lastError: string };
    };
    expect(d.delivery).toMatchObject({ attempts: 1, lastError: expect.stringContaining('private-range') });
    expect(push.calls.length).toBe(calls);
  });

  it('does not push to a member who withdrew marketing consent after the offer was issued', async () => {
    push.script = [500];
    await start([welcome], { backoffMs: 150 });
    await t!.cloud.ingestEvent(ev('arrival', 'M1'));
    await waitFor(() => push.calls.length === 1, 5000, 'first attempt');
    await t!.cloud.store!.putMember({ memberId: 'M1', name: 'Member M1', tier: 'gold', tags: [], consent: true, marketingConsent: false }, 2);
    const id = (await offers())[0]!.id;
    await waitFor(
      async () =>
        ((await (await fetch(`${t!.endpoints.httpUrl}/api/v1/offers/${id}`)).json()) as { delivery: { status: string } }).delivery.status === 'cancelled',
      5000,
      'cancelled',
    );
    expect(push.calls).toHaveLength(1);
  });

  it('refuses to start with a disallowed delivery URL', async () => {
    for (const url of ['http://push.example.com/offers', 'https://192.168.1.10/push', 'ftp://x/']) {
      await expect(startTestCloud({ offerDelivery: { url } })).rejects.toThrow(/offer delivery url refused/);
    }
  });

  it('a POS purchase by the member at the store before expiry redeems the offer and attributes the amount', async () => {
    await start([welcome]);
    await t!.cloud.ingestEvent(ev('arrival', 'M1'));
    await t!.cloud.ingestEvent(ev('arrival', 'M2'));
    skewMs += 10 * MIN;
    const other = ev('purchase', 'M2', { storeId: 'elsewhere', amount: 50, currency: 'CNY' });
    await t!.cloud.ingestEvent(other); // another store: not redeemed
    const buy = ev('purchase', 'M1', { amount: 880, currency: 'CNY', subject: { id: 'till-1', memberId: 'M1', signals: ['terminal'] } });
    await t!.cloud.ingestEvent(buy);
    const m1 = (await offers('?memberId=M1'))[0]!;
    expect(m1).toMatchObject({ status: 'redeemed', redeemedAt: buy.at, amount: 880, currency: 'CNY' });
    expect((await offers('?memberId=M2'))[0]!.status).not.toBe('redeemed');
    expect((await offers('?status=redeemed')).map((o) => o.memberId)).toEqual(['M1']);
    // A second purchase has nothing left to redeem.
    await t!.cloud.ingestEvent(ev('purchase', 'M1', { amount: 10, currency: 'CNY' }));
    expect((await offers('?memberId=M1'))[0]!.amount).toBe(880);
    // The member's history links the purchase to the offer; analytics counts it, with revenue.
    const member = (await (await fetch(`${t!.endpoints.httpUrl}/api/v1/members/M1`)).json()) as { purchases: { eventId: string; offerId?: string }[] };
    expect(member.purchases.find((p) => p.eventId === buy.id)?.offerId).toBe(m1.id);
    const from = now() - 60 * MIN;
    const a = (await (await fetch(`${t!.endpoints.httpUrl}/api/v1/analytics/offers?siteId=${SITE}&from=${from}&to=${now() + MIN}`)).json()) as Record<
      string,
      unknown
    >;
    expect(a).toMatchObject({ issued: 2, redeemed: 1, conversion: 0.5, redeemedRecorded: 1, revenue: 880, currency: 'CNY', delivered: 2, deliveryRate: 1 });
  });

  it('expires unredeemed offers; a purchase after expiry redeems nothing; a queued push of an expired offer is cancelled', async () => {
    push.script = [500];
    await start([{ ...welcome, actions: [{ kind: 'offer', offerKind: 'welcome', validForMs: 5 * MIN }] }], { backoffMs: 60_000 });
    await t!.cloud.ingestEvent(ev('arrival', 'M1'));
    await waitFor(() => push.calls.length === 1, 5000, 'first attempt');
    skewMs += 6 * MIN;
    await t!.cloud.ingestEvent(ev('purchase', 'M1', { amount: 99, currency: 'CNY' }));
    const [offer] = await offers();
    expect(offer).toMatchObject({ status: 'expired' });
    expect(offer!.redeemedAt).toBeUndefined();
    skewMs += 2 * MIN; // the retry falls due after expiry
    await waitFor(
      async () =>
        ((await (await fetch(`${t!.endpoints.httpUrl}/api/v1/offers/${offer!.id}`)).json()) as { delivery: { status: string } }).delivery.status ===
        'cancelled',
      5000,
      'cancelled',
    );
    expect(push.calls).toHaveLength(1);
  });

  it('caps above one per member and day, and a store budget that runs out', async () => {
    const dwellOffer: Rule = {
      id: 'dwell',
      name: 'dwell',
      enabled: true,
      eventTypes: ['dwell'],
      audience: 'member',
      cooldownMs: 0,
      actions: [{ kind: 'offer', offerKind: 'scarf', validForMs: 30 * MIN, perMemberCapPerDay: 2, dailyBudgetPerStore: 3 }],
    };
    await start([dwellOffer]);
    for (let i = 0; i < 3; i++) await t!.cloud.ingestEvent(ev('dwell', 'M1'));
    expect((await offers('?memberId=M1')).length).toBe(2); // cap 2
    for (const m of ['M2', 'M2', 'M3']) await t!.cloud.ingestEvent(ev('dwell', m));
    expect((await offers('?storeId=boutique')).map((o) => o.memberId).sort()).toEqual(['M1', 'M1', 'M2']); // budget 3 spent
  });

  it('a budget holds when events of several shoppers are decided at the same time', async () => {
    await start([
      {
        id: 'dwell',
        name: 'dwell',
        enabled: true,
        eventTypes: ['dwell'],
        audience: 'member',
        cooldownMs: 0,
        actions: [{ kind: 'offer', offerKind: 'scarf', validForMs: 30 * MIN, dailyBudgetPerStore: 2 }],
      },
    ]);
    await Promise.all(['M1', 'M2', 'M3'].map((m) => t!.cloud.ingestEvent(ev('dwell', m))));
    expect(await offers()).toHaveLength(2);
    expect(t!.cloud.metrics.get('offers.refused_budget')).toBe(1);
  });

  it('stores prospect offers with the subject pseudonym; pushes them only when the push service reaches prospects', async () => {
    const attract: Rule = {
      id: 'attract',
      name: 'attract',
      enabled: true,
      eventTypes: ['approach'],
      audience: 'prospect',
      cooldownMs: 0,
      actions: [{ kind: 'offer', offerKind: 'attract', title: 'Coffee inside', validForMs: 20 * MIN, perMemberCapPerDay: 1 }],
    };
    await start([attract]);
    await t!.cloud.ingestEvent(ev('approach', undefined));
    await t!.cloud.ingestEvent(ev('approach', undefined)); // same subject: capped
    await t!.cloud.ingestEvent(ev('approach', 'M1')); // a member: not a prospect
    const list = await offers();
    expect(list).toEqual([expect.objectContaining({ memberId: null, subject: 'anon-42', title: 'Coffee inside', status: 'issued' })]);
    await new Promise((r) => setTimeout(r, 100));
    expect(push.calls).toHaveLength(0); // no channel to a prospect by default
    await t!.stop();

    await start([attract], { prospects: true });
    await t!.cloud.ingestEvent(ev('approach', undefined));
    await waitFor(() => push.calls.length === 1, 5000, 'prospect push');
    expect(push.calls[0]!.body).toMatchObject({ memberId: null, subject: 'anon-42', offer: { kind: 'attract' } });
  });

  it('answers 400 with each bad query parameter', async () => {
    await start([welcome]);
    const res = await fetch(`${t!.endpoints.httpUrl}/api/v1/offers?status=bogus&limit=0&storeId=bad/id`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: string[] }).issues.map((i) => i.split(':')[0]).sort()).toEqual(['limit', 'status', 'storeId']);
    expect((await fetch(`${t!.endpoints.httpUrl}/api/v1/offers/nope`)).status).toBe(404);
  });
});

afterAll(() => undefined);
