import { demoMembersPath, exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import type { AlertVisit, PresenceEvent } from '@storesense/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import { nextVisit } from './visit-follower.js';

const T = Date.UTC(2026, 10, 23, 2);
const ev = (type: PresenceEvent['type'], at: number, extra: Record<string, unknown> = {}): PresenceEvent =>
  makeEvent({ type, at, visitId: 'v1', subject: { id: 's1', memberId: 'M1', signals: ['ble'] }, ...extra } as never);

describe('nextVisit (pure)', () => {
  const table: [string, AlertVisit | undefined, PresenceEvent, Partial<AlertVisit>][] = [
    ['approach starts', undefined, ev('approach', T), { stage: 'approach', at: T }],
    ['arrival moves on', { stage: 'approach', at: T }, ev('arrival', T + 1, { floor: 2 }), { stage: 'arrival', at: T + 1, floor: 2 }],
    [
      'dwell says where and how long',
      { stage: 'arrival', at: T },
      ev('dwell', T + 2, { zoneId: 'z1', phase: 'update', dwellMs: 60_000 }),
      { stage: 'dwell', zoneId: 'z1', dwellMs: 60_000 },
    ],
    [
      'floor change moves the floor',
      { stage: 'dwell', at: T, floor: 1 },
      ev('floor_change', T + 3, { fromFloor: 1, toFloor: 2 }),
      { stage: 'floor_change', floor: 2 },
    ],
    [
      'purchase keeps the amount',
      { stage: 'dwell', at: T },
      ev('purchase', T + 4, { amount: 880, currency: 'CNY' }),
      { stage: 'purchase', amount: 880, currency: 'CNY' },
    ],
    [
      'a dwell after the purchase updates where, not the stage',
      { stage: 'purchase', at: T + 4 },
      ev('dwell', T + 5, { zoneId: 'z2', phase: 'end', dwellMs: 1 }),
      { stage: 'purchase', at: T + 4, zoneId: 'z2' },
    ],
    ['an arrival never goes back before a dwell', { stage: 'dwell', at: T + 2 }, ev('arrival', T + 6), { stage: 'dwell', at: T + 2 }],
    ['exit retires', { stage: 'purchase', at: T + 4 }, ev('exit', T + 7), { stage: 'exit', exitedAt: T + 7 }],
    [
      'nothing after the exit',
      { stage: 'exit', at: T + 7, exitedAt: T + 7 },
      ev('dwell', T + 8, { zoneId: 'z3', phase: 'end', dwellMs: 1 }),
      { stage: 'exit', exitedAt: T + 7 },
    ],
  ];
  it.each(table)('%s', (_name, current, event, expected) => expect(nextVisit(current, event)).toMatchObject(expected));
});

describe('visit follower in a cloud: one visit, its alerts follow the shopper', () => {
  let t: TestCloud;
  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('dept-store'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({ sites: [site.value], membersCsvPath: demoMembersPath });
  });
  afterAll(async () => t?.stop());

  it('approach and arrival alerts carry the visit; dwell, a till purchase and the exit update both in place', async () => {
    const base = { siteId: 'mall-sh-01', gatewayId: 'gw-dept-1', storeId: 'dept-store' };
    const subject = { id: 's_M0001', signals: ['ble' as const], memberId: 'M0001' };
    const now = Date.now();
    const ingest = async (e: Record<string, unknown>) =>
      expect((await t.cloud.ingestEvent(makeEvent({ ...base, subject, visitId: 'v-follow', ...e } as never))).status).toBe('stored');
    await ingest({ type: 'approach', at: now });
    await ingest({ type: 'arrival', at: now + 1000, floor: 1 });
    const alerts = async () => (await t.cloud.store!.listAlerts({ limit: 10 })).filter((a) => a.visitId === 'v-follow');
    await waitFor(async () => (await alerts()).length === 2, 5000, 'two alerts');
    await waitFor(async () => (await alerts()).every((a) => a.visit?.stage === 'arrival'), 5000, 'arrival followed');
    expect((await alerts()).map((a) => a.eventType).sort()).toEqual(['approach', 'arrival']); // the approach alert now says "inside"
    expect((await alerts()).map((a) => a.floor)).toContain(1);
    await ingest({ type: 'dwell', phase: 'end', zoneId: 'silk-scarves', dwellMs: 300_000, at: now + 2000 });
    // The till's purchase has its own subject and visit: matched by member and store.
    const buy = makeEvent({
      ...base,
      type: 'purchase',
      at: now + 3000,
      subject: { id: 'pos_9', signals: ['terminal'], memberId: 'M0001' },
      amount: 880,
      currency: 'CNY',
    });
    expect((await t.cloud.ingestEvent(buy)).status).toBe('stored');
    await waitFor(async () => (await alerts()).every((a) => a.visit?.stage === 'purchase'), 5000, 'purchase followed');
    expect((await alerts())[0]!.visit).toMatchObject({ stage: 'purchase', zoneId: 'silk-scarves', amount: 880, currency: 'CNY' });
    await ingest({ type: 'exit', at: now + 4000 });
    await waitFor(async () => (await alerts()).every((a) => a.visit?.exitedAt === now + 4000), 5000, 'exit followed');
    expect((await alerts()).every((a) => a.status === 'open')).toBe(true); // following never touches the claim
  });
});
