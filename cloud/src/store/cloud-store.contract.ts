import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { DEFAULT_RULES, type Rule } from '../rules/rules.js';
import type { CloudStore, MemberRecord } from './cloud-store.js';
import { runRollupContract } from './rollups.contract.js';

/**
 * The behaviour every CloudStore implementation must show (the aedes/MQTT.js abstract-store
 * habit): call it from each implementation's test file with a factory of fresh stores.
 */
export interface ContractStore {
  store: CloudStore;
  cleanup: () => void | Promise<void>;
}

export function runCloudStoreContract(name: string, open: () => ContractStore | Promise<ContractStore>): void {
  describe(`CloudStore contract: ${name}`, () => {
    let store: CloudStore;
    let cleanup: () => void | Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('stores an event once per id and lists newest first with filters', async () => {
      const a = makeEvent({ at: 1000, type: 'approach' });
      const b = makeEvent({ at: 2000, type: 'arrival', siteId: 'site2' });
      expect(await store.insertEvent(a, 5)).toEqual({ inserted: true });
      expect(await store.insertEvent(a, 6)).toEqual({ inserted: false, owner: { siteId: a.siteId, gatewayId: a.gatewayId } });
      await store.insertEvent(b, 7);
      expect((await store.listEvents({ limit: 10 })).map((e) => e.event.id)).toEqual([b.id, a.id]);
      expect((await store.listEvents({ limit: 10, siteId: 'site1' })).map((e) => e.event.id)).toEqual([a.id]);
      expect((await store.listEvents({ limit: 10, type: 'arrival' })).map((e) => e.event.id)).toEqual([b.id]);
      expect((await store.listEvents({ limit: 10, since: 1500 })).map((e) => e.event.id)).toEqual([b.id]);
      expect(await store.listEvents({ limit: 1 })).toHaveLength(1);
      expect((await store.listEvents({ limit: 10 }))[1]).toEqual({ event: a, receivedAt: 5 });
    });

    it('keeps a stored event unprocessed until marked; leases the ones left behind, once per lease, up to the attempts (decision 170)', async () => {
      const old1 = makeEvent({ at: 1000, type: 'arrival' });
      const old2 = makeEvent({ at: 2000, type: 'arrival' });
      const fresh = makeEvent({ at: 3000, type: 'arrival' });
      const done = makeEvent({ at: 4000, type: 'arrival' });
      await store.insertEvent(old2, 100);
      await store.insertEvent(old1, 50);
      await store.insertEvent(old1, 150); // a re-send changes nothing
      await store.insertEvent(fresh, 900);
      await store.insertEvent(done, 100);
      await store.markEventsProcessed([done.id]);
      await store.markEventsProcessed([]);
      const lease = (now: number, owner: string, limit = 10) =>
        store.leaseUnprocessedEvents({ now, receivedBefore: 500, limit, owner, leaseMs: 1000, maxAttempts: 2 });
      expect((await lease(1000, 'n1', 1)).map((e) => e.id)).toEqual([old1.id]); // received first
      expect((await lease(1000, 'n1')).map((e) => e.id)).toEqual([old2.id]); // `fresh` is too new, `done` processed
      expect(await lease(1999, 'n2')).toEqual([]); // both are n1's until 2000
      const taken = await lease(2000, 'n2');
      expect(taken.map((e) => e.id)).toEqual([old1.id, old2.id]); // leases ran out; oldest event first
      expect(taken[0]).toEqual(old1);
      await store.markEventsProcessed([old1.id]);
      expect((await lease(3000, 'n3')).map((e) => e.id)).toEqual([]); // old2 was tried twice already
      expect(
        (await store.leaseUnprocessedEvents({ now: 3000, receivedBefore: 1000, limit: 10, owner: 'n3', leaseMs: 1000, maxAttempts: 5 })).map((e) => e.id),
      ).toEqual([old2.id, fresh.id]);
    });

    it('lists a site’s events in a half-open time range, oldest first, by type', async () => {
      const a = makeEvent({ at: 1000, type: 'approach' });
      const b = makeEvent({ at: 2000, type: 'arrival' });
      const c = makeEvent({ at: 3000, type: 'arrival' });
      await store.insertEvent(makeEvent({ at: 2000, type: 'arrival', siteId: 'site2' }), 1);
      for (const e of [c, a, b]) await store.insertEvent(e, 1);
      expect((await store.listEventsInRange({ siteId: 'site1', from: 1000, to: 3000 })).map((e) => e.id)).toEqual([a.id, b.id]);
      expect((await store.listEventsInRange({ siteId: 'site1', from: 0, to: 9000, types: ['arrival'] })).map((e) => e.id)).toEqual([b.id, c.id]);
      expect(await store.listEventsInRange({ siteId: 'site1', from: 0, to: 9000, types: [] })).toEqual([]);
      expect((await store.listEventsInRange({ siteId: 'site1', from: 0, to: 1001 }))[0]).toEqual(a);
    });

    it('stores occupancy counts per store period, replacing a republished period, and lists a half-open range', async () => {
      const minute = (start: number, occupancy: number) => ({ start, occupancy, addresses: 30, fixed: 9 });
      await store.putOccupancy(
        'site1',
        'gw1',
        { v: 1, at: 1, storeId: 'lab', minutes: [minute(60_000, 3), minute(120_000, 4)], hours: [{ start: 0, uniqueVisitors: 7 }] },
        5,
      );
      await store.putOccupancy('site1', 'gw1', { v: 1, at: 2, storeId: 'lab', minutes: [minute(120_000, 5), minute(180_000, 6)], hours: [] }, 6);
      await store.putOccupancy('site1', 'gw1', { v: 1, at: 2, storeId: 'shop', minutes: [minute(120_000, 50)], hours: [] }, 6);
      await store.putOccupancy('site2', 'gw9', { v: 1, at: 2, storeId: 'lab', minutes: [minute(120_000, 70)], hours: [] }, 6);
      const s = await store.occupancySeries({ siteId: 'site1', storeId: 'lab', from: 60_000, to: 180_000 });
      expect(s.minutes).toEqual([minute(60_000, 3), minute(120_000, 5)]);
      expect(s.hours).toEqual([]);
      expect((await store.occupancySeries({ siteId: 'site1', storeId: 'lab', from: 0, to: 3_600_000 })).hours).toEqual([{ start: 0, uniqueVisitors: 7 }]);
      expect(await store.occupancySeries({ siteId: 'site1', storeId: 'none', from: 0, to: 1e12 })).toEqual({ minutes: [], hours: [] });
    });

    it('lists a site’s offers by issue time', async () => {
      const offer = {
        id: 'o1',
        kind: 'welcome',
        memberId: 'm1',
        siteId: 'site1',
        storeId: undefined,
        day: '2026-11-23',
        issuedAt: 10,
        expiresAt: 20,
        status: 'issued' as const,
        eventId: 'e1',
      };
      await store.insertOffer(offer);
      await store.insertOffer({ ...offer, id: 'o2', memberId: 'm2', issuedAt: 30 });
      await store.insertOffer({ ...offer, id: 'o3', siteId: 'site2' });
      expect((await store.listOffersIssued('site1', 0, 100)).map((o) => o.id)).toEqual(['o1', 'o2']);
      expect(await store.listOffersIssued('site1', 11, 30)).toEqual([]);
      expect(await store.listOffersIssued('site1', 10, 11)).toEqual([offer]);
    });

    it('upserts members idempotently and never returns token keys in profiles', async () => {
      const m: MemberRecord = { memberId: 'm1', name: 'Ann', tier: 'gold', tags: ['shoes'], consent: true, tokenKey: 'a'.repeat(32) };
      const n: MemberRecord = { memberId: 'm2', name: 'Bo', tier: 'basic', tags: [], consent: false, tokenKey: 'b'.repeat(32) };
      expect(await store.upsertMembers([m, n], 1)).toEqual({ inserted: 2, updated: 0 });
      expect(await store.upsertMembers([m, n], 2)).toEqual({ inserted: 0, updated: 2 });
      const profile = await store.getMember('m1');
      expect(profile).toEqual({
        memberId: 'm1',
        name: 'Ann',
        tier: 'gold',
        tags: ['shoes'],
        consent: true,
        marketingConsent: true,
        preferences: {},
        devices: [],
        updatedAt: 2,
      });
      expect(JSON.stringify(await store.listMembers({ limit: 10 }))).not.toContain('aaaa');
      expect(await store.listConsentingMemberKeys()).toEqual([{ memberId: 'm1', key: m.tokenKey }]);
      expect(await store.getMember('nobody')).toBeUndefined();
    });

    it('assigns increasing alert seqs and answers cooldown lookups', async () => {
      const base = {
        at: 10,
        eventAt: 5,
        eventId: 'e'.repeat(26),
        eventType: 'arrival' as const,
        siteId: 'site1',
        storeId: 'st1',
        memberId: 'm1',
        memberName: 'Ann',
        tags: [],
        message: 'hi',
        status: 'open' as const,
      };
      const a1 = await store.insertAlert({ ...base, id: 'a1' });
      const a2 = await store.insertAlert({ ...base, id: 'a2', eventAt: 9 });
      expect(a2.seq).toBeGreaterThan(a1.seq);
      expect((await store.listAlerts({ sinceSeq: a1.seq, limit: 10 })).map((a) => a.id)).toEqual(['a2']);
      expect((await store.listAlerts({ limit: 10, newestFirst: true })).map((a) => a.id)).toEqual(['a2', 'a1']);
      expect(await store.lastAlertEventAt({ memberId: 'm1', siteId: 'site1', storeId: 'st1', eventType: 'arrival' })).toBe(9);
      expect(await store.lastAlertEventAt({ memberId: 'm1', siteId: 'site1', storeId: 'st1', eventType: 'approach' })).toBeUndefined();
    });

    it('leases due deliveries to one worker at a time; an expired lease is taken over and the old holder cannot settle', async () => {
      for (const [id, at] of [
        ['d1', 10],
        ['d2', 20],
        ['d3', 30],
        ['d4', 900],
      ] as const)
        await store.enqueueDelivery(id, at);
      const ids = (ds: { offerId: string }[]) => ds.map((d) => d.offerId);
      expect(ids(await store.leaseDeliveries({ now: 100, limit: 2, owner: 'A', leaseMs: 50 }))).toEqual(['d1', 'd2']);
      expect(ids(await store.leaseDeliveries({ now: 100, limit: 5, owner: 'B', leaseMs: 500 }))).toEqual(['d3']); // d4 not due
      expect(await store.leaseDeliveries({ now: 149, limit: 5, owner: 'B', leaseMs: 50 })).toEqual([]);
      // A crashed: at 150 its leases have run out, and B takes them.
      const taken = await store.leaseDeliveries({ now: 150, limit: 5, owner: 'B', leaseMs: 50 });
      expect(ids(taken)).toEqual(['d1', 'd2']);
      const d1 = taken[0]!;
      expect(await store.settleDelivery({ ...d1, status: 'delivered', attempts: 1, updatedAt: 151 }, 'A')).toBe(false);
      expect(await store.settleDelivery({ ...d1, status: 'delivered', attempts: 1, updatedAt: 151 }, 'B')).toBe(true);
      expect(await store.getDelivery('d1')).toMatchObject({ status: 'delivered', attempts: 1, updatedAt: 151 });
      // Settled as a retry: free again (no lease), taken when due.
      expect(await store.settleDelivery({ ...taken[1]!, attempts: 1, nextAttemptAt: 300, updatedAt: 151 }, 'B')).toBe(true);
      expect(await store.leaseDeliveries({ now: 160, limit: 5, owner: 'A', leaseMs: 50 })).toEqual([]);
      expect(ids(await store.leaseDeliveries({ now: 300, limit: 5, owner: 'A', leaseMs: 50 }))).toEqual(['d2']); // B still holds d3
      expect(ids(await store.dueDeliveries(1000, 10))).toEqual(['d3', 'd2', 'd4']); // the plain listing ignores leases
    });

    it('finds the alerts of a visit by its id, and a member’s latest visit at a store (decision 171)', async () => {
      const alert = (id: string, eventId: string, eventAt: number, extra: Record<string, unknown>) => ({
        id,
        at: eventAt + 1,
        eventAt,
        eventId,
        eventType: 'arrival' as const,
        siteId: 'site1',
        storeId: 'st1',
        memberId: 'm1',
        memberName: 'Ann',
        tags: [],
        message: 'hi',
        status: 'open' as const,
        ...extra,
      });
      await store.raiseAlert(alert('a1', 'e1', 100, { visitId: 'v1' }), 'r1');
      await store.raiseAlert(alert('a2', 'e2', 200, { visitId: 'v1' }), 'r2');
      await store.raiseAlert(alert('a3', 'e3', 300, { visitId: 'v2' }), 'r1');
      await store.raiseAlert(alert('a4', 'e4', 400, {}), 'r1'); // no visit
      await store.raiseAlert(alert('a5', 'e5', 500, { visitId: 'v3', siteId: 'site2' }), 'r1');
      await store.raiseAlert(alert('a6', 'e6', 600, { visitId: 'v4', storeId: undefined }), 'r1');
      expect(await store.listVisitAlertIds('site1', 'v1')).toEqual(['a1', 'a2']);
      expect(await store.listVisitAlertIds('site1', 'v3')).toEqual([]); // another site's
      expect(await store.listVisitAlertIds('site1', 'nope')).toEqual([]);
      const latest = (q: Partial<{ storeId: string | undefined; memberId: string; since: number }>) =>
        store.latestMemberAlertVisit({ siteId: 'site1', storeId: 'st1', memberId: 'm1', since: 0, ...q });
      expect(await latest({})).toBe('v2');
      expect(await latest({ since: 301 })).toBeUndefined();
      expect(await latest({ memberId: 'm2' })).toBeUndefined();
      expect(await latest({ storeId: undefined })).toBe('v4');
    });

    it('raises an alert once per event and rule (a retry or another node gets the stored one), with consecutive seqs', async () => {
      const base = {
        at: 10,
        eventAt: 5,
        eventId: 'ev1',
        eventType: 'arrival' as const,
        siteId: 'site1',
        storeId: 'st1',
        memberId: 'm1',
        memberName: 'Ann',
        tags: [],
        message: 'hi',
        status: 'open' as const,
      };
      const first = await store.raiseAlert({ ...base, id: 'r1' }, 'rule-a');
      expect(first).toEqual({ alert: { ...base, id: 'r1', seq: first.alert.seq }, inserted: true });
      // A retry mints a new alert id: the (event, rule) constraint still answers with the stored one.
      expect(await store.raiseAlert({ ...base, id: 'r2', message: 'again' }, 'rule-a')).toEqual({ alert: first.alert, inserted: false });
      expect(await store.raiseAlert({ ...base, id: 'r1' }, 'rule-b')).toEqual({ alert: first.alert, inserted: false }); // same id
      const otherRule = await store.raiseAlert({ ...base, id: 'r3' }, 'rule-b');
      expect(otherRule.inserted).toBe(true);
      // Alerts stored without a rule are not deduplicated by event.
      const plain = await store.insertAlert({ ...base, id: 'p1' });
      expect(plain.seq).toBe(otherRule.alert.seq + 1);
      const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => store.raiseAlert({ ...base, eventId: 'ev2', id: `x${i}` }, 'rule-a')));
      expect(racing.filter((r) => r.inserted)).toHaveLength(1);
      expect(new Set(racing.map((r) => r.alert.id)).size).toBe(1);
      const distinct = await Promise.all(Array.from({ length: 6 }, (_, i) => store.raiseAlert({ ...base, eventId: `ev3-${i}`, id: `y${i}` }, 'rule-a')));
      const seqs = distinct.map((r) => r.alert.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(seqs.map((_, i) => racing[0]!.alert.seq + 1 + i)); // no gaps: a lost race burns no seq
      const stored = [first.alert, otherRule.alert, plain, racing[0]!.alert, ...distinct.map((r) => r.alert)].sort((a, b) => a.seq - b.seq);
      expect(await store.listAlerts({ limit: 100 })).toEqual(stored);
      expect((await store.counts()).alerts).toBe(10);
    });

    it('re-checks the rule cooldown as it raises: another event of the shopper inside it stores nothing', async () => {
      const base = {
        at: 10,
        eventType: 'arrival' as const,
        siteId: 'site1',
        storeId: 'st1',
        memberId: 'm1',
        memberName: 'Ann',
        tags: [],
        message: 'hi',
        status: 'open' as const,
      };
      const T = 1_000_000;
      const first = await store.raiseAlert({ ...base, id: 'c1', eventId: 'ev1', eventAt: T }, 'rule-a', 600_000);
      expect(first.inserted).toBe(true);
      // Another rule alerting for the same event is not held back by the first one's alert.
      expect((await store.raiseAlert({ ...base, id: 'c2', eventId: 'ev1', eventAt: T }, 'rule-b', 600_000)).inserted).toBe(true);
      const inside = await store.raiseAlert({ ...base, id: 'c3', eventId: 'ev2', eventAt: T + 300_000 }, 'rule-a', 600_000);
      expect(inside).toEqual({ alert: expect.objectContaining({ eventId: 'ev1' }), inserted: false, cooldown: true });
      expect((await store.raiseAlert({ ...base, id: 'c4', eventId: 'ev3', eventAt: T - 300_000 }, 'rule-a', 600_000)).inserted).toBe(false); // |Δt|
      expect((await store.raiseAlert({ ...base, id: 'c5', eventId: 'ev4', eventAt: T + 300_000, storeId: 'st2' }, 'rule-a', 600_000)).inserted).toBe(true);
      expect((await store.raiseAlert({ ...base, id: 'c6', eventId: 'ev5', eventAt: T + 300_000 }, 'rule-a')).inserted).toBe(true); // no cooldown given
      expect((await store.raiseAlert({ ...base, id: 'c7', eventId: 'ev6', eventAt: T + 300_000 + 600_000 }, 'rule-a', 600_000)).inserted).toBe(true);
      expect((await store.counts()).alerts).toBe(5);
    });

    it("keeps one offer per event, rule and kind; several per member and day are allowed (caps are the rules' business)", async () => {
      const offer = {
        id: 'o1',
        kind: 'welcome',
        memberId: 'm1',
        siteId: 'site1',
        storeId: 'st1',
        day: '2026-11-23',
        issuedAt: 1,
        expiresAt: 2,
        status: 'issued' as const,
        eventId: 'e1',
        ruleId: 'r1',
      };
      expect(await store.insertOffer(offer)).toEqual({ inserted: true });
      expect(await store.insertOffer({ ...offer, id: 'o2' })).toEqual({ inserted: false }); // same event, rule, kind
      expect(await store.insertOffer({ ...offer, id: 'o3', eventId: 'e2', issuedAt: 5 })).toEqual({ inserted: true });
      expect(await store.hasOffer('m1', 'site1', '2026-11-23', 'welcome')).toBe(true);
      expect(await store.hasOffer('m1', 'site1', '2026-11-24', 'welcome')).toBe(false);
      expect(await store.countOffersOnDay({ siteId: 'site1', storeId: undefined, day: '2026-11-23', kind: 'welcome', memberId: 'm1' })).toBe(2);
      expect(await store.lastOfferIssuedAt({ memberId: 'm1', siteId: 'site1', kind: 'welcome' })).toBe(5);
      expect(await store.lastOfferIssuedAt({ memberId: 'm2', siteId: 'site1', kind: 'welcome' })).toBeUndefined();
      expect((await store.listOffers({ limit: 10, memberId: 'm1' })).map((o) => o.id)).toEqual(['o3', 'o1']);
      expect(await store.getOffer('o1')).toEqual(offer);
    });

    it('re-checks a cap (member or prospect subject) and a store budget at insert', async () => {
      const o = { kind: 'k', siteId: 's', storeId: 'st1', day: 'd', issuedAt: 1, expiresAt: 9, status: 'issued' as const };
      const limits = { perMemberCapPerDay: 2, dailyBudgetPerStore: 3 };
      expect(await store.insertOffer({ ...o, id: 'a', memberId: 'M1', eventId: 'e1' }, limits)).toEqual({ inserted: true });
      expect(await store.insertOffer({ ...o, id: 'b', memberId: 'M1', eventId: 'e2' }, limits)).toEqual({ inserted: true });
      expect(await store.insertOffer({ ...o, id: 'c', memberId: 'M1', eventId: 'e3' }, limits)).toEqual({ inserted: false, refused: 'cap' });
      expect(await store.insertOffer({ ...o, id: 'd', memberId: null, subject: 'anon', eventId: 'e4' }, limits)).toEqual({ inserted: true });
      expect(await store.insertOffer({ ...o, id: 'e', memberId: 'M2', eventId: 'e5' }, limits)).toEqual({ inserted: false, refused: 'budget' });
      expect(await store.insertOffer({ ...o, id: 'f', memberId: 'M2', storeId: 'st2', eventId: 'e6' }, limits)).toEqual({ inserted: true });
      expect(await store.insertOffer({ ...o, id: 'g', memberId: 'M2', eventId: 'e7' })).toEqual({ inserted: true }); // no limits given
    });

    it('stores prospect offers by subject, redeems open offers once, expires the rest, and tracks deliveries', async () => {
      const base = { kind: 'attract', siteId: 's', storeId: 'st1', day: '2026-11-23', issuedAt: 100, expiresAt: 200, status: 'issued' as const };
      await store.insertOffer({ ...base, id: 'p1', memberId: null, subject: 'anon-1', eventId: 'e1', title: 'Coffee on us' });
      expect(await store.getOffer('p1')).toMatchObject({ memberId: null, subject: 'anon-1', title: 'Coffee on us' });
      expect(await store.countOffersOnDay({ siteId: 's', storeId: 'st1', day: '2026-11-23', kind: 'attract', subject: 'anon-1' })).toBe(1);
      await store.insertOffer({ ...base, id: 'm1a', memberId: 'M1', eventId: 'e2', expiresAt: 300 });
      await store.insertOffer({ ...base, id: 'm1b', memberId: 'M1', eventId: 'e3', expiresAt: 250 });
      expect((await store.listOpenOffers('M1', 's', 150)).map((o) => o.id)).toEqual(['m1b', 'm1a']); // soonest expiry first
      expect(await store.listOpenOffers('M1', 's', 99)).toEqual([]);
      expect(await store.redeemOffer('m1b', { at: 150, eventId: 'buy1', amount: 42.5, currency: 'CNY' })).toBe(true);
      expect(await store.redeemOffer('m1b', { at: 151, eventId: 'buy2', amount: 1, currency: 'CNY' })).toBe(false);
      expect(await store.getOffer('m1b')).toMatchObject({ status: 'redeemed', redeemedAt: 150, redeemedEventId: 'buy1', amount: 42.5, currency: 'CNY' });
      expect(await store.offersRedeemedBy(['buy1', 'nope'])).toEqual(new Map([['buy1', 'm1b']]));
      // A late delivery keeps the redemption; an issued offer becomes delivered.
      await store.setOfferDelivery('m1b', 'delivered', 160);
      await store.setOfferDelivery('m1a', 'delivered', 161);
      expect(await store.getOffer('m1b')).toMatchObject({ status: 'redeemed', deliveredAt: 160 });
      expect(await store.getOffer('m1a')).toMatchObject({ status: 'delivered', deliveredAt: 161 });
      expect(await store.expireOffers(250)).toBe(1); // p1 (200); m1a runs to 300
      expect((await store.listOffers({ limit: 10, status: 'expired' })).map((o) => o.id)).toEqual(['p1']);
      expect(await store.redeemOffer('p1', { at: 199, eventId: 'late', amount: 1, currency: undefined })).toBe(false);
      expect(await store.listOffers({ limit: 10, storeId: 'st2' })).toEqual([]);

      await store.enqueueDelivery('m1a', 10);
      await store.enqueueDelivery('m1a', 11); // once
      expect(await store.dueDeliveries(9, 10)).toEqual([]);
      const [d] = await store.dueDeliveries(10, 10);
      expect(d).toMatchObject({ offerId: 'm1a', status: 'pending', attempts: 0, nextAttemptAt: 10 });
      await store.updateDelivery({ ...d!, attempts: 1, nextAttemptAt: 50, lastStatus: 500, lastError: 'HTTP 500', updatedAt: 10 });
      expect(await store.dueDeliveries(49, 10)).toEqual([]);
      expect(await store.getDelivery('m1a')).toMatchObject({ attempts: 1, lastStatus: 500, lastError: 'HTTP 500' });
    });

    it('puts whole profiles (token key write-only), searches with activity, and erases a member to a pseudonym', async () => {
      await store.putMember(
        {
          memberId: 'M1',
          name: 'Li Na',
          nickname: 'Nana',
          tier: 'gold',
          tags: ['silk-scarves'],
          consent: true,
          marketingConsent: true,
          preferences: { size: 'M' },
          devices: [{ deviceId: 'd1', platform: 'ios' }],
          tokenKey: 'a'.repeat(32),
        },
        1,
      );
      expect(await store.putMember({ memberId: 'M1', name: 'Li Na', tier: 'platinum', tags: [], consent: true, marketingConsent: false }, 2)).toEqual({
        created: false,
      });
      expect(await store.putMember({ memberId: 'M2', name: 'Bo_%', tier: 'basic', tags: ['shoes'], consent: false, marketingConsent: true }, 2)).toEqual({
        created: true,
      });
      expect(await store.getMember('M1')).toEqual({
        memberId: 'M1',
        name: 'Li Na',
        tier: 'platinum',
        tags: [],
        consent: true,
        marketingConsent: false,
        preferences: {},
        devices: [],
        updatedAt: 2,
      });
      expect((await store.getMember('M2'))?.marketingConsent).toBe(false); // no marketing without presence consent
      expect(await store.listConsentingMemberKeys()).toEqual([{ memberId: 'M1', key: 'a'.repeat(32) }]); // key kept
      const visit = (type: 'arrival' | 'purchase' | 'approach', at: number, visitId: string, extra = {}) =>
        makeEvent({ type, at, visitId, subject: { id: 's1', memberId: 'M1', signals: ['ble'] }, ...extra });
      for (const e of [
        visit('approach', 5, 'v1'),
        visit('arrival', 10, 'v1'),
        visit('arrival', 11, 'v1'),
        visit('arrival', 50, 'v2'),
        visit('purchase', 60, 'v2', { amount: 100, currency: 'CNY' }),
        visit('purchase', 70, 'v2', { amount: 20.5, currency: 'CNY' }),
      ])
        await store.insertEvent(e, 1);
      expect(await store.memberActivity('M1')).toEqual({ visits: 2, lastSeenAt: 70, totalSpend: 120.5, currency: 'CNY' });
      expect(await store.memberActivity('M2')).toEqual({ visits: 0, lastSeenAt: null, totalSpend: 0 });
      const all = await store.searchMembers({ limit: 10 });
      expect(all.total).toBe(2);
      expect(all.members[0]).toMatchObject({ memberId: 'M1', visits: 2, totalSpend: 120.5 });
      expect(JSON.stringify(all)).not.toContain('aaaa');
      expect((await store.searchMembers({ limit: 10, q: 'li n' })).members.map((m) => m.memberId)).toEqual(['M1']);
      expect((await store.searchMembers({ limit: 10, q: 'SHOES' })).members.map((m) => m.memberId)).toEqual(['M2']);
      expect((await store.searchMembers({ limit: 10, q: '_%' })).members.map((m) => m.memberId)).toEqual(['M2']); // wildcards are literal
      expect(await store.searchMembers({ limit: 10, tier: 'gold' })).toEqual({ members: [], total: 0 });
      expect(await store.searchMembers({ limit: 1, offset: 1 })).toMatchObject({ members: [{ memberId: 'M2' }], total: 2 });
      expect((await store.listMemberEvents('M1', { limit: 10, types: ['purchase'] })).map((e) => e.at)).toEqual([70, 60]);

      await store.insertAlert({
        id: 'al1',
        at: 10,
        eventAt: 10,
        eventId: 'e',
        eventType: 'arrival',
        siteId: 'site1',
        memberId: 'M1',
        memberName: 'Li Na',
        tier: 'gold',
        tags: ['silk-scarves'],
        message: 'Li Na (gold) is here',
        status: 'open',
      });
      await store.insertOffer({
        id: 'o1',
        kind: 'welcome',
        memberId: 'M1',
        siteId: 'site1',
        day: 'd',
        issuedAt: 1,
        expiresAt: 999,
        status: 'issued',
        eventId: 'e',
      });
      await store.enqueueDelivery('o1', 1);
      expect(await store.eraseMember('M1', 'erased-x1')).toEqual({ erased: true, events: 6 });
      expect(await store.getMember('M1')).toBeUndefined();
      expect(await store.listConsentingMemberKeys()).toEqual([]);
      const dump = JSON.stringify([await store.listEvents({ limit: 100 }), await store.listAlerts({ limit: 10 }), await store.listOffers({ limit: 10 })]);
      expect(dump).not.toMatch(/"M1"|Li Na|silk/);
      expect((await store.listEvents({ limit: 1 }))[0]!.event.subject.memberId).toBe('erased-x1');
      expect((await store.getOffer('o1'))?.memberId).toBe('erased-x1');
      expect(await store.dueDeliveries(1000, 10)).toEqual([]);
      expect(await store.memberActivity('erased-x1')).toMatchObject({ visits: 2, totalSpend: 120.5 }); // aggregates survive
    });

    it('limits member searches, activity and events to one site when asked (a site-scoped reader)', async () => {
      for (const id of ['M1', 'M2', 'M3']) await store.putMember({ memberId: id, name: id, tier: 'gold', tags: [], consent: true }, 1);
      const ev = (memberId: string, siteId: string, type: 'arrival' | 'purchase', at: number, extra = {}) =>
        makeEvent({ type, at, siteId, visitId: `v-${memberId}-${siteId}`, subject: { id: 's1', memberId, signals: ['ble'] }, ...extra });
      for (const e of [
        ev('M1', 'site1', 'arrival', 10),
        ev('M1', 'site2', 'arrival', 20),
        ev('M1', 'site2', 'purchase', 30, { amount: 99, currency: 'CNY' }),
        ev('M2', 'site2', 'arrival', 40),
      ]) {
        await store.insertEvent(e, 1);
      }
      const site1 = await store.searchMembers({ limit: 10, siteId: 'site1' });
      expect(site1).toMatchObject({ total: 1, members: [{ memberId: 'M1', visits: 1, lastSeenAt: 10, totalSpend: 0 }] });
      expect((await store.searchMembers({ limit: 10, siteId: 'site2' })).members.map((m) => m.memberId)).toEqual(['M1', 'M2']);
      expect((await store.searchMembers({ limit: 10 })).total).toBe(3);
      expect(await store.memberActivity('M1', 'site2')).toEqual({ visits: 1, lastSeenAt: 30, totalSpend: 99, currency: 'CNY' });
      expect(await store.memberActivity('M2', 'site1')).toEqual({ visits: 0, lastSeenAt: null, totalSpend: 0 });
      expect((await store.listMemberEvents('M1', { limit: 10, siteId: 'site1' })).map((e) => e.siteId)).toEqual(['site1']);
      expect(await store.listMemberEvents('M1', { limit: 10 })).toHaveLength(3);
    });

    it('tracks gateway credentials and status', async () => {
      await store.upsertGatewayCredential({ siteId: 's', gatewayId: 'g', username: 's.g', passwordHash: 'h', salt: 'x', provisionedAt: 1 });
      expect((await store.getGatewayCredential('s.g'))?.gatewayId).toBe('g');
      await store.updateGatewayConn('s', 'g', { v: 1, state: 'online', at: 3, version: '0.1.0' }, 4);
      await store.updateGatewayConn('s', 'other', { v: 1, state: 'offline', at: 3, version: '0.1.0' }, 4);
      const gws = await store.listGateways();
      expect(gws.map((g) => [g.gatewayId, g.provisioned, g.conn?.state])).toEqual([
        ['g', true, 'online'],
        ['other', false, 'offline'],
      ]);
      expect((await store.counts()).gateways).toBe(2);
      expect(await store.ping()).toBe(true);
    });

    it('registers gateways, takes an enrolment code once, keeps their config and revokes them with their credential', async () => {
      await store.registerGateway('s', 'g', 10);
      expect(await store.setEnrolmentCode('s', 'nope', 'a'.repeat(64), 100)).toBe(false);
      expect(await store.setEnrolmentCode('s', 'g', 'a'.repeat(64), 100)).toBe(true);
      expect(await store.getGatewayRegistration('s', 'g')).toMatchObject({ registeredAt: 10, codeExpiresAt: 100, enrolledAt: undefined });
      // A new code replaces the pending one; an expired or unknown code is nothing.
      expect(await store.setEnrolmentCode('s', 'g', 'b'.repeat(64), 100)).toBe(true);
      expect(await store.consumeEnrolmentCode('a'.repeat(64), 50)).toBeUndefined();
      expect(await store.consumeEnrolmentCode('b'.repeat(64), 100)).toBeUndefined();
      expect(await store.consumeEnrolmentCode('b'.repeat(64), 99)).toEqual({ siteId: 's', gatewayId: 'g' });
      expect(await store.consumeEnrolmentCode('b'.repeat(64), 99)).toBeUndefined();
      const body = { version: 1, siteId: 's', gatewayId: 'g', sources: [{ kind: 'replay', path: 'x' }] };
      await store.setGatewayConfig('s', 'g', { version: 2, sha256: 'c'.repeat(64), body, overrides: { tickMs: 500 }, publishedAt: 120 });
      await store.recordGatewayConfigResult('s', 'g', { version: 2, status: 'refused', reasons: ['sources.0.path: bad'], at: 130 });
      expect(await store.getGatewayRegistration('s', 'g')).toMatchObject({
        enrolledAt: 99,
        codeExpiresAt: undefined,
        config: { version: 2, sha256: 'c'.repeat(64), body, overrides: { tickMs: 500 }, publishedAt: 120 },
        lastResult: { version: 2, status: 'refused', reasons: ['sources.0.path: bad'], at: 130 },
      });
      await store.upsertGatewayCredential({ siteId: 's', gatewayId: 'g', username: 's.g', passwordHash: 'h', salt: 'x', provisionedAt: 99 });
      await store.registerGateway('t', 'h', 11);
      expect((await store.listGatewayRegistrations()).map((r) => `${r.siteId}.${r.gatewayId}`)).toEqual(['s.g', 't.h']);
      expect((await store.listGatewayRegistrations('t')).map((r) => r.gatewayId)).toEqual(['h']);
      expect(await store.revokeGateway('s', 'g', 200)).toBe(true);
      expect(await store.revokeGateway('s', 'zz', 200)).toBe(false);
      expect(await store.getGatewayCredential('s.g')).toBeUndefined();
      expect((await store.getGatewayRegistration('s', 'g'))?.revokedAt).toBe(200);
      // A revoked gateway gets no code until registered again.
      expect(await store.setEnrolmentCode('s', 'g', 'd'.repeat(64), 300)).toBe(false);
      await store.registerGateway('s', 'g', 210);
      expect((await store.getGatewayRegistration('s', 'g'))?.revokedAt).toBeUndefined();
      expect(await store.setEnrolmentCode('s', 'g', 'd'.repeat(64), 300)).toBe(true);
    });

    it('gives a code to exactly one of many racing enrolments', async () => {
      await store.registerGateway('s', 'g', 1);
      await store.setEnrolmentCode('s', 'g', 'e'.repeat(64), 1_000);
      const takes = await Promise.all(Array.from({ length: 12 }, () => store.consumeEnrolmentCode('e'.repeat(64), 10)));
      expect(takes.filter((x) => x !== undefined)).toEqual([{ siteId: 's', gatewayId: 'g' }]);
    });

    it('keeps models immutable by version, with their bytes, digest and training domain', async () => {
      const body = Buffer.from([0, 1, 2, 255, 254]);
      expect(await store.putModel({ version: 'm1', sha256: 'a'.repeat(64), size: 5, domain: { siteCount: 2 }, createdAt: 10, body })).toBe(true);
      expect(await store.putModel({ version: 'm1', sha256: 'b'.repeat(64), size: 1, createdAt: 11, body: Buffer.from([9]) })).toBe(false);
      await store.putModel({ version: 'm2', sha256: 'c'.repeat(64), size: 1, createdAt: 20, body: Buffer.from([7]) });
      const m1 = await store.getModel('m1');
      expect(m1).toMatchObject({ version: 'm1', sha256: 'a'.repeat(64), size: 5, domain: { siteCount: 2 }, createdAt: 10 });
      expect(Buffer.compare(m1!.body, body)).toBe(0);
      expect(await store.getModel('nope')).toBeUndefined();
      const listed = await store.listModels();
      expect(listed.map((m) => m.version)).toEqual(['m2', 'm1']);
      expect(listed[0]).not.toHaveProperty('body');
      expect(listed[0]!.domain).toBeUndefined();
    });

    it('stores gap records once by id, lists them newest first, and flags the gateway with its drops', async () => {
      const gap = (id: string, at: number, count: number, gatewayId = 'g') => ({
        v: 1 as const,
        id,
        siteId: 's',
        gatewayId,
        at,
        reason: 'max_rows' as const,
        count,
        fromSeq: 1,
        toSeq: count,
        fromAt: at - 100,
        toAt: at - 10,
      });
      expect(await store.insertGap(gap('01GAP0000000000000000000A1', 1_000, 5), 1_100)).toEqual({ inserted: true });
      expect(await store.insertGap(gap('01GAP0000000000000000000A1', 1_000, 5), 1_200)).toEqual({ inserted: false });
      await store.insertGap(gap('01GAP0000000000000000000A2', 2_000, 7), 2_100);
      await store.insertGap(gap('01GAP0000000000000000000B1', 1_500, 1, 'h'), 1_600);
      expect((await store.listGaps({ limit: 10 })).map((g) => g.id)).toEqual([
        '01GAP0000000000000000000A2',
        '01GAP0000000000000000000B1',
        '01GAP0000000000000000000A1',
      ]);
      expect(await store.listGaps({ siteId: 's', gatewayId: 'g', since: 2_000, limit: 10 })).toEqual([
        { ...gap('01GAP0000000000000000000A2', 2_000, 7), receivedAt: 2_100 },
      ]);
      expect(await store.listGaps({ siteId: 'elsewhere', limit: 10 })).toEqual([]);
      const gws = await store.listGateways();
      expect(gws.find((g) => g.gatewayId === 'g')?.gaps).toEqual({ records: 2, dropped: 12, lastAt: 2_000 });
      expect(gws.find((g) => g.gatewayId === 'h')?.gaps).toEqual({ records: 1, dropped: 1, lastAt: 1_500 });
    });

    it('claims an alert by compare-and-set and lists alerts by scope and handling', async () => {
      const base = {
        at: 1,
        eventAt: 1,
        eventId: 'e1',
        eventType: 'arrival' as const,
        siteId: 'site1',
        memberId: 'm1',
        memberName: 'Ann',
        tags: [],
        message: 'hi',
        status: 'open' as const,
      };
      const a = await store.insertAlert({ ...base, id: 'a', storeId: 'st1' });
      await store.insertAlert({ ...base, id: 'b', storeId: 'st2' });
      await store.insertAlert({ ...base, id: 'c', siteId: 'site2', storeId: 'st1' });
      expect(await store.getAlertHandling('a')).toEqual({ status: 'open', handledBy: undefined });
      const claimed = { ...a, status: 'claimed' as const, claimedBy: 'Alice' };
      expect(await store.updateAlertStatus('a', { status: 'open', handledBy: undefined }, claimed, 'alice')).toBe(true);
      // The second claimant read 'open' too: the compare-and-set fails for it.
      expect(await store.updateAlertStatus('a', { status: 'open', handledBy: undefined }, { ...a, status: 'claimed', claimedBy: 'Bob' }, 'bob')).toBe(false);
      expect(await store.getAlert('a')).toEqual(claimed);
      expect(await store.getAlertHandling('a')).toEqual({ status: 'claimed', handledBy: 'alice' });
      expect(await store.getAlert('zzz')).toBeUndefined();
      const ids = async (q: Parameters<CloudStore['listAlerts']>[0]) => (await store.listAlerts(q)).map((x) => x.id);
      expect(await ids({ limit: 10, siteId: 'site1' })).toEqual(['a', 'b']);
      expect(await ids({ limit: 10, siteId: 'site1', storeIds: ['st1'] })).toEqual(['a']);
      expect(await ids({ limit: 10, storeIds: ['st1'] })).toEqual(['a', 'c']);
      expect(await ids({ limit: 10, handledOnly: true })).toEqual(['a']);
      expect(await ids({ limit: 10, upToSeq: a.seq })).toEqual(['a']);
    });

    it('keeps staff with hashes apart from profiles; tokens by hash, tickets taken once', async () => {
      const account = {
        username: 'alice',
        displayName: 'Alice',
        role: 'staff' as const,
        siteId: 's',
        storeIds: ['st1'],
        passwordHash: 'h',
        salt: 'x',
        updatedAt: 1,
      };
      await store.upsertStaff(account);
      await store.upsertStaff({ ...account, username: 'olga', role: 'operator', siteId: undefined, storeIds: [] });
      expect(await store.getStaff('alice')).toEqual(account);
      expect(await store.listStaff()).toEqual([
        { username: 'alice', displayName: 'Alice', role: 'staff', siteId: 's', storeIds: ['st1'], updatedAt: 1 },
        { username: 'olga', displayName: 'Alice', role: 'operator', siteId: undefined, storeIds: [], updatedAt: 1 },
      ]);
      const ticket = {
        tokenHash: 't1',
        kind: 'ticket' as const,
        username: 'alice',
        name: 'alice',
        role: 'staff' as const,
        siteId: 's',
        storeIds: ['st1'],
        createdAt: 1,
        expiresAt: 31,
      };
      await store.insertAuthToken(ticket);
      await store.insertAuthToken({ ...ticket, tokenHash: 's1', kind: 'session', expiresAt: 1000 });
      await store.insertAuthToken({
        tokenHash: 'k1',
        kind: 'api',
        name: 'tool',
        role: 'analyst',
        siteId: undefined,
        storeIds: [],
        createdAt: 1,
        expiresAt: undefined,
      });
      expect(await store.getAuthToken('t1', 'session')).toBeUndefined();
      expect(await store.takeAuthToken('t1', 'ticket')).toEqual(ticket);
      expect(await store.takeAuthToken('t1', 'ticket')).toBeUndefined();
      expect(await store.deleteExpiredAuthTokens(1000)).toBe(1);
      expect(await store.getAuthToken('k1', 'api')).toMatchObject({ name: 'tool', username: undefined, expiresAt: undefined });
      await store.insertAuthToken({ ...ticket, tokenHash: 's2', kind: 'session', expiresAt: 5000 });
      expect(await store.deleteAuthTokensOfUser('alice')).toBe(1);
      expect(await store.getAuthToken('s2', 'session')).toBeUndefined();
      await store.deleteAuthToken('k1');
      expect(await store.getAuthToken('k1', 'api')).toBeUndefined();
    });

    it('starts with the built-in rules seeded, in order', async () => {
      expect(await store.listRules()).toEqual(DEFAULT_RULES);
    });

    it('creates, replaces in place, reads and deletes rules', async () => {
      const rule: Rule = {
        id: 'vip-dwell',
        name: 'VIP dwell',
        enabled: true,
        eventTypes: ['dwell'],
        audience: 'member',
        memberTiers: ['platinum'],
        minDwellMs: 60_000,
        cooldownMs: 0,
        actions: [{ kind: 'staff_alert' }],
      };
      expect(await store.putRule(rule, 10)).toEqual({ created: true });
      expect(await store.getRule('vip-dwell')).toEqual(rule);
      expect((await store.listRules()).map((r) => r.id)).toEqual([...DEFAULT_RULES.map((r) => r.id), 'vip-dwell']);
      expect(await store.putRule({ ...DEFAULT_RULES[0]!, enabled: false }, 11)).toEqual({ created: false });
      const listed = await store.listRules();
      expect(listed[0]).toMatchObject({ id: DEFAULT_RULES[0]!.id, enabled: false });
      expect(listed.map((r) => r.id)).toEqual([...DEFAULT_RULES.map((r) => r.id), 'vip-dwell']);
      expect(await store.deleteRule('vip-dwell')).toBe(true);
      expect(await store.deleteRule('vip-dwell')).toBe(false);
      expect(await store.getRule('vip-dwell')).toBeUndefined();
    });

    it('counts offers of a kind per site, store and day (rule budgets)', async () => {
      const offer = {
        id: 'o1',
        kind: 'attract',
        memberId: 'M1',
        siteId: 's',
        storeId: 'st1',
        day: '2026-11-23',
        issuedAt: 1,
        expiresAt: 2,
        status: 'issued' as const,
        eventId: 'e1',
      };
      await store.insertOffer(offer);
      await store.insertOffer({ ...offer, id: 'o2', memberId: 'M2', eventId: 'e2' });
      await store.insertOffer({ ...offer, id: 'o3', memberId: 'M3', storeId: 'st2', eventId: 'e3' });
      await store.insertOffer({ ...offer, id: 'o4', memberId: 'M4', day: '2026-11-24', eventId: 'e4' });
      expect(await store.countOffersOnDay({ siteId: 's', storeId: 'st1', day: '2026-11-23', kind: 'attract' })).toBe(2);
      expect(await store.countOffersOnDay({ siteId: 's', storeId: undefined, day: '2026-11-23', kind: 'attract' })).toBe(3);
      expect(await store.countOffersOnDay({ siteId: 's', storeId: 'st1', day: '2026-11-23', kind: 'welcome' })).toBe(0);
    });

    runRollupContract(name, () => store);
  });
}
