import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { DEFAULT_RULES, type Rule } from '../rules/rules.js';
import type { CloudStore, MemberRecord } from './cloud-store.js';

/**
 * The behaviour every CloudStore implementation must show (the aedes/MQTT.js abstract-store
 * habit): call it from each implementation's test file with a factory of fresh stores.
 */
export function runCloudStoreContract(name: string, open: () => { store: CloudStore; cleanup: () => void }): void {
  describe(`CloudStore contract: ${name}`, () => {
    let store: CloudStore;
    let cleanup: () => void;
    beforeEach(() => {
      ({ store, cleanup } = open());
    });
    afterEach(async () => {
      await store.close();
      cleanup();
    });

    it('stores an event once per id and lists newest first with filters', async () => {
      const a = makeEvent({ at: 1000, type: 'approach' });
      const b = makeEvent({ at: 2000, type: 'arrival', siteId: 'site2' });
      expect(await store.insertEvent(a, 5)).toEqual({ inserted: true });
      expect(await store.insertEvent(a, 6)).toEqual({ inserted: false });
      await store.insertEvent(b, 7);
      expect((await store.listEvents({ limit: 10 })).map((e) => e.event.id)).toEqual([b.id, a.id]);
      expect((await store.listEvents({ limit: 10, siteId: 'site1' })).map((e) => e.event.id)).toEqual([a.id]);
      expect((await store.listEvents({ limit: 10, type: 'arrival' })).map((e) => e.event.id)).toEqual([b.id]);
      expect((await store.listEvents({ limit: 10, since: 1500 })).map((e) => e.event.id)).toEqual([b.id]);
      expect(await store.listEvents({ limit: 1 })).toHaveLength(1);
      expect((await store.listEvents({ limit: 10 }))[1]).toEqual({ event: a, receivedAt: 5 });
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

    it('lists a site’s offers by issue time', async () => {
      const offer = { id: 'o1', kind: 'welcome', memberId: 'm1', siteId: 'site1', storeId: undefined, day: '2026-11-23', issuedAt: 10,
        expiresAt: 20, status: 'issued' as const, eventId: 'e1' };
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
      expect(profile).toEqual({ memberId: 'm1', name: 'Ann', tier: 'gold', tags: ['shoes'], consent: true, updatedAt: 2 });
      expect(JSON.stringify(await store.listMembers({ limit: 10 }))).not.toContain('aaaa');
      expect(await store.listConsentingMemberKeys()).toEqual([{ memberId: 'm1', key: m.tokenKey }]);
      expect(await store.getMember('nobody')).toBeUndefined();
    });

    it('assigns increasing alert seqs and answers cooldown lookups', async () => {
      const base = { at: 10, eventAt: 5, eventId: 'e'.repeat(26), eventType: 'arrival' as const, siteId: 'site1', storeId: 'st1',
        memberId: 'm1', memberName: 'Ann', tags: [], message: 'hi', status: 'open' as const };
      const a1 = await store.insertAlert({ ...base, id: 'a1' });
      const a2 = await store.insertAlert({ ...base, id: 'a2', eventAt: 9 });
      expect(a2.seq).toBeGreaterThan(a1.seq);
      expect((await store.listAlerts({ sinceSeq: a1.seq, limit: 10 })).map((a) => a.id)).toEqual(['a2']);
      expect((await store.listAlerts({ limit: 10, newestFirst: true })).map((a) => a.id)).toEqual(['a2', 'a1']);
      expect(await store.lastAlertEventAt({ memberId: 'm1', siteId: 'site1', storeId: 'st1', eventType: 'arrival' })).toBe(9);
      expect(await store.lastAlertEventAt({ memberId: 'm1', siteId: 'site1', storeId: 'st1', eventType: 'approach' })).toBeUndefined();
    });

    it('keeps one offer per member, site, day and kind', async () => {
      const offer = { id: 'o1', kind: 'welcome', memberId: 'm1', siteId: 'site1', storeId: 'st1', day: '2026-11-23', issuedAt: 1,
        expiresAt: 2, status: 'issued' as const, eventId: 'e1' };
      expect(await store.insertOffer(offer)).toEqual({ inserted: true });
      expect(await store.insertOffer({ ...offer, id: 'o2' })).toEqual({ inserted: false });
      expect(await store.hasOffer('m1', 'site1', '2026-11-23', 'welcome')).toBe(true);
      expect(await store.hasOffer('m1', 'site1', '2026-11-24', 'welcome')).toBe(false);
      expect(await store.listOffers({ limit: 10, memberId: 'm1' })).toEqual([offer]);
    });

    it('tracks gateway credentials and status', async () => {
      await store.upsertGatewayCredential({ siteId: 's', gatewayId: 'g', username: 's.g', passwordHash: 'h', salt: 'x', provisionedAt: 1 });
      expect((await store.getGatewayCredential('s.g'))?.gatewayId).toBe('g');
      await store.updateGatewayConn('s', 'g', { v: 1, state: 'online', at: 3, version: '0.1.0' }, 4);
      await store.updateGatewayConn('s', 'other', { v: 1, state: 'offline', at: 3, version: '0.1.0' }, 4);
      const gws = await store.listGateways();
      expect(gws.map((g) => [g.gatewayId, g.provisioned, g.conn?.state])).toEqual([['g', true, 'online'], ['other', false, 'offline']]);
      expect((await store.counts()).gateways).toBe(2);
      expect(await store.ping()).toBe(true);
    });

    it('claims an alert by compare-and-set and lists alerts by scope and handling', async () => {
      const base = { at: 1, eventAt: 1, eventId: 'e1', eventType: 'arrival' as const, siteId: 'site1', memberId: 'm1', memberName: 'Ann',
        tags: [], message: 'hi', status: 'open' as const };
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
      const account = { username: 'alice', displayName: 'Alice', role: 'staff' as const, siteId: 's', storeIds: ['st1'], passwordHash: 'h', salt: 'x', updatedAt: 1 };
      await store.upsertStaff(account);
      await store.upsertStaff({ ...account, username: 'olga', role: 'operator', siteId: undefined, storeIds: [] });
      expect(await store.getStaff('alice')).toEqual(account);
      expect(await store.listStaff()).toEqual([
        { username: 'alice', displayName: 'Alice', role: 'staff', siteId: 's', storeIds: ['st1'], updatedAt: 1 },
        { username: 'olga', displayName: 'Alice', role: 'operator', siteId: undefined, storeIds: [], updatedAt: 1 },
      ]);
      const ticket = { tokenHash: 't1', kind: 'ticket' as const, username: 'alice', name: 'alice', role: 'staff' as const, siteId: 's', storeIds: ['st1'], createdAt: 1, expiresAt: 31 };
      await store.insertAuthToken(ticket);
      await store.insertAuthToken({ ...ticket, tokenHash: 's1', kind: 'session', expiresAt: 1000 });
      await store.insertAuthToken({ tokenHash: 'k1', kind: 'api', name: 'tool', role: 'analyst', siteId: undefined, storeIds: [], createdAt: 1, expiresAt: undefined });
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
      const rule: Rule = { id: 'vip-dwell', name: 'VIP dwell', enabled: true, eventTypes: ['dwell'], audience: 'member', memberTiers: ['platinum'], minDwellMs: 60_000, cooldownMs: 0, actions: [{ kind: 'staff_alert' }] };
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
      const offer = { id: 'o1', kind: 'attract', memberId: 'M1', siteId: 's', storeId: 'st1', day: '2026-11-23', issuedAt: 1, expiresAt: 2, status: 'issued' as const, eventId: 'e1' };
      await store.insertOffer(offer);
      await store.insertOffer({ ...offer, id: 'o2', memberId: 'M2' });
      await store.insertOffer({ ...offer, id: 'o3', memberId: 'M3', storeId: 'st2' });
      await store.insertOffer({ ...offer, id: 'o4', memberId: 'M4', day: '2026-11-24' });
      expect(await store.countOffersOnDay({ siteId: 's', storeId: 'st1', day: '2026-11-23', kind: 'attract' })).toBe(2);
      expect(await store.countOffersOnDay({ siteId: 's', storeId: undefined, day: '2026-11-23', kind: 'attract' })).toBe(3);
      expect(await store.countOffersOnDay({ siteId: 's', storeId: 'st1', day: '2026-11-23', kind: 'welcome' })).toBe(0);
    });
  });
}
