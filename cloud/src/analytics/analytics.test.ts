import { join } from 'node:path';
import type { Site } from '@storesense/firmware-config';
import type { PresenceEvent, PresenceEventInput } from '@storesense/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudStore, Offer } from '../store/cloud-store.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { localHour, percentile } from './analytics.js';
import { AnalyticsService } from './analytics.service.js';

// 2026-11-22 15:00 UTC = 23:00 in Asia/Shanghai; the site's midnight is 16:00 UTC.
const T = Date.UTC(2026, 10, 22, 15, 0);
const MIN = 60_000;
const S = 1000;
const at = (minutes: number) => T + minutes * MIN;
const SITES = new Map([['mall', { timezone: 'Asia/Shanghai' } as Site]]);

/** A journey event of subject `subject` in visit `visit` (defaults: store st1, site mall). */
function ev(type: PresenceEvent['type'], minutes: number, subject: string, extra: Partial<PresenceEventInput> = {}): PresenceEvent {
  const memberId = extra.subject?.memberId;
  return makeEvent({
    type,
    at: at(minutes),
    siteId: 'mall',
    storeId: 'st1',
    visitId: `v_${subject}`,
    ...extra,
    subject: { id: subject, signals: ['ble'], ...(memberId ? { memberId } : {}) },
  });
}
const dwellEnd = (subject: string, zoneId: string, dwellMs: number, storeId = 'st1') =>
  ev('dwell', 1, subject, { zoneId, phase: 'end', dwellMs, storeId, visitId: `v_${subject}_${zoneId}_${dwellMs}` });
const member = (id: string) => ({ subject: { id: 'x', memberId: id, signals: [] } });

// Footfall across the site's midnight: v3 approaches at 23:50 local and arrives at 00:05 next day.
const FOOTFALL: PresenceEvent[] = [
  ev('approach', 30, 's1'),
  ev('arrival', 31, 's1'),
  ev('approach', 40, 's2'),
  ev('approach', 50, 's3'),
  ev('arrival', 65, 's3'),
  ev('approach', 70, 's4'),
  ev('approach', 72, 's4'),
  ev('arrival', 71, 's4'), // re-detected approach: one visit
  ev('approach', 80, 's5'),
  ev('approach', 90, 's6', { storeId: 'st2' }),
  ev('arrival', 91, 's6', { storeId: 'st2' }),
  ev('approach', 90, 's7', { siteId: 'other' }), // another site: never counted
];

describe('analytics over stored events (table-driven, exact figures)', () => {
  let store: CloudStore;
  let cleanup: () => void;
  let analytics: AnalyticsService;
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    analytics = new AnalyticsService({ store, sites: SITES });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });
  const ingest = async (events: readonly PresenceEvent[]) => {
    for (const e of events) await store.insertEvent(e, e.at);
  };
  const range = { siteId: 'mall', from: at(0), to: at(24 * 60) };

  it.each([
    {
      name: 'day buckets in Asia/Shanghai split at 16:00 UTC',
      siteId: 'mall',
      bucket: 'day' as const,
      storeId: undefined,
      rows: [
        { bucket: '2026-11-22', storeId: 'st1', approaches: 3, arrivals: 1, captureRate: 1 / 3 },
        { bucket: '2026-11-23', storeId: 'st1', approaches: 2, arrivals: 2, captureRate: 1 },
        { bucket: '2026-11-23', storeId: 'st2', approaches: 1, arrivals: 1, captureRate: 1 },
      ],
      totals: [
        { storeId: 'st1', approaches: 5, arrivals: 3, captureRate: 0.6 },
        { storeId: 'st2', approaches: 1, arrivals: 1, captureRate: 1 },
      ],
    },
    {
      name: 'hour buckets, one store',
      siteId: 'mall',
      bucket: 'hour' as const,
      storeId: 'st1',
      rows: [
        { bucket: '2026-11-22T23', storeId: 'st1', approaches: 3, arrivals: 1, captureRate: 1 / 3 },
        { bucket: '2026-11-23T00', storeId: 'st1', approaches: 2, arrivals: 2, captureRate: 1 },
      ],
      totals: [{ storeId: 'st1', approaches: 5, arrivals: 3, captureRate: 0.6 }],
    },
    {
      name: 'a site unknown to the cloud buckets in UTC',
      siteId: 'other',
      bucket: 'day' as const,
      storeId: undefined,
      rows: [{ bucket: '2026-11-22', storeId: 'st1', approaches: 1, arrivals: 0, captureRate: 0 }],
      totals: [{ storeId: 'st1', approaches: 1, arrivals: 0, captureRate: 0 }],
    },
  ])('footfall: $name', async ({ siteId, bucket, storeId, rows, totals }) => {
    await ingest(FOOTFALL);
    const r = await analytics.footfall({ ...range, siteId }, bucket, storeId);
    expect(r.rows).toEqual(rows);
    expect(r.totals).toEqual(totals);
  });

  const SHOES = [10, 45, 90, 200, 400, 700, 20, 50, 100, 1000].map((s) => dwellEnd('a', 'shoes', s * S));
  const BAGS = [dwellEnd('b', 'bags', 30 * S), dwellEnd('c', 'bags', 5 * S, 'st2')];
  const NOT_ENDS = [
    ev('dwell', 2, 'd', { zoneId: 'shoes', phase: 'start', dwellMs: 5 * S }),
    ev('dwell', 3, 'd', { zoneId: 'shoes', phase: 'update', dwellMs: 9 * S }),
  ];
  it.each([
    {
      name: 'a zone: nearest-rank p50/p90 and histogram edges',
      filter: { zoneId: 'shoes' },
      overall: { count: 10, p50Ms: 90 * S, p90Ms: 700 * S, buckets: [2, 2, 2, 1, 1, 2] },
    },
    { name: 'a store', filter: { storeId: 'st2' }, overall: { count: 1, p50Ms: 5 * S, p90Ms: 5 * S, buckets: [1, 0, 0, 0, 0, 0] } },
    { name: 'whole site', filter: {}, overall: { count: 12, p50Ms: 50 * S, p90Ms: 700 * S, buckets: [3, 3, 2, 1, 1, 2] } },
    { name: 'nothing matches', filter: { zoneId: 'nowhere' }, overall: { count: 0, p50Ms: null, p90Ms: null, buckets: [0, 0, 0, 0, 0, 0] } },
  ])('dwell: $name', async ({ filter, overall }) => {
    await ingest([...SHOES, ...BAGS, ...NOT_ENDS]);
    const r = await analytics.dwell(range, filter);
    expect({ ...r.overall, buckets: r.overall.buckets.map((b) => b.count) }).toEqual(overall);
    expect(r.overall.buckets.map((b) => b.label)).toEqual(['0-30s', '30s-1m', '1-2m', '2-5m', '5-10m', '10m+']);
  });

  it('dwell per store and zone', async () => {
    await ingest([...SHOES, ...BAGS]);
    const r = await analytics.dwell(range, {});
    expect(r.stores.map((s) => [s.storeId, s.count, s.p50Ms])).toEqual([
      ['st1', 11, 90 * S],
      ['st2', 1, 5 * S],
    ]);
    expect(r.zones.map((z) => [z.storeId, z.zoneId, z.count, z.p90Ms])).toEqual([
      ['st1', 'bags', 1, 30 * S],
      ['st1', 'shoes', 10, 700 * S],
      ['st2', 'bags', 1, 5 * S],
    ]);
  });

  it('floor flows: from→to counts, most frequent first', async () => {
    const fc = (s: string, fromFloor: number, toFloor: number) => ev('floor_change', 5, s, { fromFloor, toFloor, storeId: 'dept' });
    await ingest([fc('a', 1, 2), fc('b', 1, 2), fc('c', 1, 2), fc('a', 2, 3), fc('b', 2, 1), fc('c', 2, 1)]);
    expect(await analytics.floors(range)).toEqual([
      { storeId: 'dept', fromFloor: 1, toFloor: 2, count: 3 },
      { storeId: 'dept', fromFloor: 2, toFloor: 1, count: 2 },
      { storeId: 'dept', fromFloor: 2, toFloor: 3, count: 1 },
    ]);
  });

  it('returning subjects, members across site-local days, member share', async () => {
    await ingest(
      [
        ev('arrival', 10, 'anon1'),
        ev('arrival', 100, 'anon1', { visitId: 'v2' }), // returns within the range
        ev('arrival', 10, 'anon2'),
        ev('arrival', 30, 'p1', member('M1')),
        ev('arrival', 70, 'p1', { ...member('M1'), visitId: 'v3' }), // 23:30 and 00:10 local: two days
        ev('arrival', 70, 'p2', member('M2')),
        ev('arrival', 80, 'p2', { ...member('M2'), visitId: 'v4' }), // twice on one day
        ev('arrival', 80, 'p3', member('M3')),
      ].map((e) => (e.subject.memberId ? { ...e, subject: { ...e.subject, id: `sub_${e.subject.memberId}` } } : e)),
    );
    const r = await analytics.returning(range);
    expect(r).toEqual({
      timeZone: 'Asia/Shanghai',
      arrivals: 8,
      subjects: 5,
      returningSubjects: 3,
      memberArrivals: 5,
      memberShare: 5 / 8,
      members: 3,
      returningMembers: 2,
      membersOnSeveralDays: 1,
    });
  });

  it('offer conversion: a member purchase at the site within [issuedAt, expiresAt)', async () => {
    const offer = (id: string, memberId: string, kind = 'welcome'): Offer => ({
      id,
      kind,
      memberId,
      siteId: 'mall',
      storeId: 'st1',
      day: '2026-11-22',
      issuedAt: at(10),
      expiresAt: at(70),
      status: 'issued',
      eventId: `e_${id}`,
    });
    for (const o of [offer('o1', 'M1'), offer('o2', 'M2'), offer('o3', 'M3'), offer('o4', 'M4', 'birthday'), offer('o5', 'M5', 'birthday')])
      await store.insertOffer(o);
    await store.insertOffer({ ...offer('o6', 'M6'), issuedAt: at(-10) }); // issued before the range: not counted
    const buy = (minutes: number, memberId: string, siteId = 'mall') => ev('purchase', minutes, `p_${memberId}`, { ...member(memberId), siteId, amount: 10 });
    await ingest([
      buy(40, 'M1'), // redeemed, after the range's end
      buy(70, 'M2'), // at expiry: too late
      buy(9, 'M3'), // before issue
      buy(20, 'M4', 'other'), // another site
      buy(69, 'M5'), // redeemed
      buy(20, 'M6'),
    ]);
    const r = await analytics.offers({ siteId: 'mall', from: at(0), to: at(11) });
    expect(r).toEqual({
      issued: 5,
      redeemed: 2,
      conversion: 0.4,
      byKind: [
        { kind: 'birthday', issued: 2, redeemed: 1, conversion: 0.5 },
        { kind: 'welcome', issued: 3, redeemed: 1, conversion: 1 / 3 },
      ],
    });
  });

  it('funnel: distinct visits per stage, site-local hour, store and floor (re-detections and zones count once)', async () => {
    await ingest([
      ev('approach', 10, 'a', { floor: 1 }),
      ev('approach', 12, 'a', { floor: 1 }), // re-detected: one visit
      ev('arrival', 13, 'a', { floor: 1 }),
      ev('dwell', 14, 'a', { floor: 1, zoneId: 'shoes', phase: 'start', dwellMs: 5 * S }),
      ev('dwell', 20, 'a', { floor: 1, zoneId: 'bags', phase: 'end', dwellMs: 60 * S }), // another zone, same visit
      ev('purchase', 25, 'a', { floor: 1, amount: 10 }),
      ev('approach', 30, 'b', { floor: 1 }),
      ev('approach', 70, 'c'), // no floor, next local hour (00:10)
      ev('arrival', 71, 'c', { storeId: 'st2' }),
    ]);
    const r = await analytics.funnel({ siteId: 'mall', from: T, to: T + 2 * 3_600_000 });
    expect(r).toEqual({
      timeZone: 'Asia/Shanghai',
      rows: [
        { hour: '2026-11-22T23', storeId: 'st1', floor: 1, approaches: 2, arrivals: 1, dwells: 1, purchases: 1 },
        { hour: '2026-11-23T00', storeId: 'st1', floor: null, approaches: 1, arrivals: 0, dwells: 0, purchases: 0 },
        { hour: '2026-11-23T00', storeId: 'st2', floor: null, approaches: 0, arrivals: 1, dwells: 0, purchases: 0 },
      ],
    });
    expect((await analytics.funnel({ siteId: 'mall', from: T, to: T + 2 * 3_600_000 }, 'st2')).rows).toHaveLength(1);
  });

  it('summary carries the headline figures of each report', async () => {
    await ingest([...FOOTFALL, ...SHOES]);
    const s = await analytics.summary(range);
    expect(s.footfall).toMatchObject({ approaches: 6, arrivals: 4, captureRate: 4 / 6 });
    expect(s.dwell).toEqual({ count: 10, p50Ms: 90 * S, p90Ms: 700 * S });
    expect(s.returning).toMatchObject({ arrivals: 4, memberShare: 0 });
    expect(s.offers).toEqual({ issued: 0, redeemed: 0, conversion: null });
    expect(s.timeZone).toBe('Asia/Shanghai');
  });
});

describe('analytics helpers', () => {
  it.each([
    [[], 50, null],
    [[7], 90, 7],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 90, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
  ])('percentile(%j, %d) = %j', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it.each([
    [Date.UTC(2026, 10, 22, 15, 59), 'Asia/Shanghai', '2026-11-22T23'],
    [Date.UTC(2026, 10, 22, 16, 0), 'Asia/Shanghai', '2026-11-23T00'],
    [Date.UTC(2026, 10, 22, 16, 0), 'UTC', '2026-11-22T16'],
    [Date.UTC(2026, 10, 22, 0, 30), 'Not/AZone', '2026-11-22T00'],
  ])('localHour(%d, %s) = %s', (atMs, tz, expected) => {
    expect(localHour(atMs, tz)).toBe(expected);
  });
});
