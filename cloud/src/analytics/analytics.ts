import type { PresenceEvent } from '@storesense/protocol';
import type { Offer } from '../store/cloud-store.js';
import { localDay } from '../rules/local-day.js';
import { DWELL_BUCKETS, dwellBucketOf, percentile } from '../store/rollups.js';

export { DWELL_BUCKETS, percentile };

/**
 * Retail analytics computed from stored journey events (issue 6). Pure: events in, figures out.
 * Bucketing happens here, not in SQL, because buckets are in the site's IANA time zone
 * (Asia/Shanghai midnight is 16:00 UTC) and SQLite has no time-zone database.
 */

export type Bucket = 'hour' | 'day';

export interface FootfallRow {
  /** Site-local bucket label: `YYYY-MM-DD` (day) or `YYYY-MM-DDTHH` (hour). */
  bucket: string;
  storeId: string;
  /** Distinct visits that approached the entrance (passers-by included). */
  approaches: number;
  /** Distinct visits that crossed into the store. */
  arrivals: number;
  /** arrivals / approaches; null when nobody approached. */
  captureRate: number | null;
}

export interface FootfallTotals {
  storeId: string;
  approaches: number;
  arrivals: number;
  captureRate: number | null;
}

export interface DwellStats {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  buckets: { label: string; count: number }[];
}

export interface DwellReport {
  /** All completed dwells (events of phase `end`) matching the filter. */
  overall: DwellStats;
  stores: ({ storeId: string } & DwellStats)[];
  zones: ({ storeId: string; zoneId: string } & DwellStats)[];
}

export interface FloorFlow {
  storeId: string;
  fromFloor: number;
  toFloor: number;
  count: number;
}

export interface ReturningReport {
  arrivals: number;
  /** Distinct subjects that arrived at least once. */
  subjects: number;
  /** Subjects with more than one arrival in the range. */
  returningSubjects: number;
  memberArrivals: number;
  /** memberArrivals / arrivals; null without arrivals. */
  memberShare: number | null;
  members: number;
  /** Members with more than one arrival in the range. */
  returningMembers: number;
  /** Members who arrived on two or more site-local days. */
  membersOnSeveralDays: number;
}

export interface OfferReport {
  issued: number;
  redeemed: number;
  /** redeemed / issued; null when none were issued. */
  conversion: number | null;
  byKind: { kind: string; issued: number; redeemed: number; conversion: number | null }[];
}

const SITE = '(site)';
const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
const storeOf = (e: PresenceEvent): string => e.storeId ?? SITE;

const hourFormatters = new Map<string, Intl.DateTimeFormat>();

/** Site-local hour label `YYYY-MM-DDTHH`; an unknown zone falls back to UTC like `localDay`. */
export function localHour(atMs: number, timeZone: string): string {
  let f = hourFormatters.get(timeZone);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' };
    try {
      f = new Intl.DateTimeFormat('en-CA', { ...opts, timeZone });
    } catch {
      f = new Intl.DateTimeFormat('en-CA', { ...opts, timeZone: 'UTC' });
    }
    hourFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(atMs)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}`;
}

function bucketOf(atMs: number, bucket: Bucket, timeZone: string): string {
  return bucket === 'day' ? localDay(atMs, timeZone) : localHour(atMs, timeZone);
}

/** Approaches vs arrivals per store and bucket, counted as distinct visits (a visit re-detected twice counts once). */
export function footfall(events: readonly PresenceEvent[], bucket: Bucket, timeZone: string): { rows: FootfallRow[]; totals: FootfallTotals[] } {
  const cells = new Map<string, { bucket: string; storeId: string; approaches: Set<string>; arrivals: Set<string> }>();
  const totals = new Map<string, { approaches: Set<string>; arrivals: Set<string> }>();
  for (const e of events) {
    if (e.type !== 'approach' && e.type !== 'arrival') continue;
    const b = bucketOf(e.at, bucket, timeZone);
    const storeId = storeOf(e);
    const key = `${b}\u0000${storeId}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { bucket: b, storeId, approaches: new Set(), arrivals: new Set() }));
    let total = totals.get(storeId);
    if (!total) totals.set(storeId, (total = { approaches: new Set(), arrivals: new Set() }));
    const visit = `${e.subject.id}\u0000${e.visitId}`;
    (e.type === 'approach' ? cell.approaches : cell.arrivals).add(visit);
    (e.type === 'approach' ? total.approaches : total.arrivals).add(visit);
  }
  const rows = [...cells.values()]
    .map((c) => ({
      bucket: c.bucket,
      storeId: c.storeId,
      approaches: c.approaches.size,
      arrivals: c.arrivals.size,
      captureRate: ratio(c.arrivals.size, c.approaches.size),
    }))
    .sort((a, b) => a.bucket.localeCompare(b.bucket) || a.storeId.localeCompare(b.storeId));
  const totalRows = [...totals.entries()]
    .map(([storeId, t]) => ({ storeId, approaches: t.approaches.size, arrivals: t.arrivals.size, captureRate: ratio(t.arrivals.size, t.approaches.size) }))
    .sort((a, b) => a.storeId.localeCompare(b.storeId));
  return { rows, totals: totalRows };
}

export function dwellStats(values: readonly number[]): DwellStats {
  const sorted = Float64Array.from(values).sort();
  const buckets = DWELL_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  for (const v of sorted) buckets[dwellBucketOf(v)]!.count++;
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), buckets };
}

/** Completed dwells (phase `end`, which carries the total time in the zone) per store and zone. */
export function dwell(events: readonly PresenceEvent[], filter: { storeId?: string | undefined; zoneId?: string | undefined } = {}): DwellReport {
  const all: number[] = [];
  const byStore = new Map<string, number[]>();
  const byZone = new Map<string, { storeId: string; zoneId: string; values: number[] }>();
  for (const e of events) {
    if (e.type !== 'dwell' || e.phase !== 'end' || e.dwellMs === undefined || e.zoneId === undefined) continue;
    if (filter.storeId !== undefined && e.storeId !== filter.storeId) continue;
    if (filter.zoneId !== undefined && e.zoneId !== filter.zoneId) continue;
    const storeId = storeOf(e);
    all.push(e.dwellMs);
    let sv = byStore.get(storeId);
    if (!sv) byStore.set(storeId, (sv = []));
    sv.push(e.dwellMs);
    const key = `${storeId}\u0000${e.zoneId}`;
    const z = byZone.get(key) ?? { storeId, zoneId: e.zoneId, values: [] };
    z.values.push(e.dwellMs);
    byZone.set(key, z);
  }
  return {
    overall: dwellStats(all),
    stores: [...byStore.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([storeId, v]) => ({ storeId, ...dwellStats(v) })),
    zones: [...byZone.values()]
      .sort((a, b) => a.storeId.localeCompare(b.storeId) || a.zoneId.localeCompare(b.zoneId))
      .map((z) => ({ storeId: z.storeId, zoneId: z.zoneId, ...dwellStats(z.values) })),
  };
}

/** fromFloor → toFloor counts per store, most frequent first. */
export function floorFlows(events: readonly PresenceEvent[]): FloorFlow[] {
  const flows = new Map<string, FloorFlow>();
  for (const e of events) {
    if (e.type !== 'floor_change' || e.fromFloor === undefined || e.toFloor === undefined) continue;
    const storeId = storeOf(e);
    const key = `${storeId}\u0000${e.fromFloor}\u0000${e.toFloor}`;
    const f = flows.get(key) ?? { storeId, fromFloor: e.fromFloor, toFloor: e.toFloor, count: 0 };
    f.count++;
    flows.set(key, f);
  }
  return [...flows.values()].sort((a, b) => b.count - a.count || a.storeId.localeCompare(b.storeId) || a.fromFloor - b.fromFloor || a.toFloor - b.toFloor);
}

/** Repeat arrivals: subjects and members with more than one arrival; members on several local days. */
export function returning(events: readonly PresenceEvent[], timeZone: string): ReturningReport {
  const bySubject = new Map<string, number>();
  const byMember = new Map<string, { arrivals: number; days: Set<string> }>();
  let arrivals = 0;
  let memberArrivals = 0;
  for (const e of events) {
    if (e.type !== 'arrival') continue;
    arrivals++;
    bySubject.set(e.subject.id, (bySubject.get(e.subject.id) ?? 0) + 1);
    const memberId = e.subject.memberId;
    if (memberId === undefined) continue;
    memberArrivals++;
    const m = byMember.get(memberId) ?? { arrivals: 0, days: new Set<string>() };
    m.arrivals++;
    m.days.add(localDay(e.at, timeZone));
    byMember.set(memberId, m);
  }
  const members = [...byMember.values()];
  return {
    arrivals,
    subjects: bySubject.size,
    returningSubjects: [...bySubject.values()].filter((n) => n > 1).length,
    memberArrivals,
    memberShare: ratio(memberArrivals, arrivals),
    members: members.length,
    returningMembers: members.filter((m) => m.arrivals > 1).length,
    membersOnSeveralDays: members.filter((m) => m.days.size > 1).length,
  };
}

/**
 * Offer conversion: an offer is redeemed when its member makes a purchase at the same site at or
 * after `issuedAt` and before `expiresAt` (offers without a ruleId, stored before redemption was
 * recorded), or when its stored status says it was redeemed (offers issued by rules).
 * `purchases` must cover the offers' validity windows, which may run past the report's range.
 */
export function offerConversion(offers: readonly Offer[], purchases: readonly PresenceEvent[]): OfferReport {
  const buys = new Map<string, number[]>();
  for (const p of purchases) {
    if (p.type !== 'purchase' || p.subject.memberId === undefined) continue;
    const key = `${p.siteId}\u0000${p.subject.memberId}`;
    let ats = buys.get(key);
    if (!ats) buys.set(key, (ats = []));
    ats.push(p.at);
  }
  const kinds = new Map<string, { issued: number; redeemed: number }>();
  let redeemed = 0;
  for (const o of offers) {
    const k = kinds.get(o.kind) ?? { issued: 0, redeemed: 0 };
    k.issued++;
    const ats = buys.get(`${o.siteId}\u0000${o.memberId}`) ?? [];
    // Offers issued by a rule (issue 6) carry their redemption, recorded at ingest when a purchase
    // at the offer's store settles it; offers without a ruleId predate that and are judged by
    // the purchase window, as before.
    const legacy = o.ruleId === undefined;
    if (o.status === 'redeemed' || (legacy && o.memberId !== null && ats.some((at) => at >= o.issuedAt && at < o.expiresAt))) {
      k.redeemed++;
      redeemed++;
    }
    kinds.set(o.kind, k);
  }
  return {
    issued: offers.length,
    redeemed,
    conversion: ratio(redeemed, offers.length),
    byKind: [...kinds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, k]) => ({ kind, ...k, conversion: ratio(k.redeemed, k.issued) })),
  };
}
