import type { PresenceEvent } from '@storesense/protocol';

/**
 * Hourly analytics rollups (decision 120), maintained by both stores in the transaction that
 * stores an event, and only when the event is new: a re-sent event changes nothing, so the rollups
 * are exact and idempotent. This file holds what both backends share: the keys and counters one
 * event contributes. The SQL lives in store.sqlite.rollups.ts and store.postgres.rollups.ts.
 *
 * - `rollup_hours`: one row per site, store, zone, floor and UTC hour: counts per event type,
 *   completed dwells (count, sum, the six display buckets) and distinct visits per funnel stage
 *   (approach → arrival → dwell → purchase). A visit counts once per store, stage and hour, in the
 *   row (zone, floor) of its first stored event of that stage in that hour.
 * - `rollup_visit_hours`: the (store, stage, subject, visit, hour) keys seen, which makes the distinct counts exact.
 * - `rollup_multi_visits`: every hour of the rare approach/arrival visits seen in more than one hour,
 *   so a day or a whole range counts such a visit once (footfall's distinct visits), reading only them.
 * - `rollup_floor_flows`: floor changes per store, from, to and hour.
 * - `rollup_arrivals` and `rollup_dwell_ends`: narrow per-event indexes (no JSON) for the two
 *   figures no hourly counter can answer exactly: repeat subjects/members, and dwell percentiles.
 */

export const HOUR_MS = 3_600_000;
/** `floor` key of an event without a floor (the key columns are NOT NULL). */
export const NO_FLOOR = -9999;

/** Upper bounds (ms, exclusive) of the dwell histogram; the last bucket is open-ended. */
export const DWELL_BUCKETS: readonly { label: string; upToMs: number }[] = [
  { label: '0-30s', upToMs: 30_000 },
  { label: '30s-1m', upToMs: 60_000 },
  { label: '1-2m', upToMs: 120_000 },
  { label: '2-5m', upToMs: 300_000 },
  { label: '5-10m', upToMs: 600_000 },
  { label: '10m+', upToMs: Number.POSITIVE_INFINITY },
];

export const dwellBucketOf = (ms: number): number => DWELL_BUCKETS.findIndex((b) => ms < b.upToMs);

/** Counter columns of `rollup_hours`, in table order. */
export const ROLLUP_COUNTERS = [
  'events',
  'approaches',
  'arrivals',
  'dwell_events',
  'dwell_ends',
  'dwell_ms_sum',
  'dwell_b0',
  'dwell_b1',
  'dwell_b2',
  'dwell_b3',
  'dwell_b4',
  'dwell_b5',
  'floor_changes',
  'purchases',
  'purchase_amount',
  'exits',
  'approach_visits',
  'arrival_visits',
  'dwell_visits',
  'purchase_visits',
] as const;
export type RollupCounter = (typeof ROLLUP_COUNTERS)[number];

/** Event types with a distinct-visit counter (the funnel stages). */
export const VISIT_STAGES = { approach: 'approach_visits', arrival: 'arrival_visits', dwell: 'dwell_visits', purchase: 'purchase_visits' } as const;
/** Stages whose visits spanning several hours are kept in `rollup_multi_visits` (footfall). */
export const MULTI_HOUR_STAGES: readonly string[] = ['approach', 'arrival'];

export interface RollupCell {
  siteId: string;
  /** '' when the event has no store. */
  storeId: string;
  zoneId: string;
  floor: number;
  hour: number;
}

export const cellKey = (c: RollupCell): string => `${c.siteId}\u001f${c.storeId}\u001f${c.zoneId}\u001f${c.floor}\u001f${c.hour}`;

export interface VisitHour {
  siteId: string;
  storeId: string;
  type: string;
  subjectId: string;
  visitId: string;
  hour: number;
}

export const visitKey = (v: Omit<VisitHour, 'hour'>): string => `${v.siteId}\u001f${v.storeId}\u001f${v.type}\u001f${v.subjectId}\u001f${v.visitId}`;
export const visitHourKey = (v: VisitHour): string => `${visitKey(v)}\u001f${v.hour}`;

export const isDwellEnd = (e: PresenceEvent): e is PresenceEvent & { dwellMs: number; zoneId: string } =>
  e.type === 'dwell' && e.phase === 'end' && e.dwellMs !== undefined && e.zoneId !== undefined;

/** What one newly stored event adds to the rollups (the distinct-visit counters come from `visitHour`, when that key is new). */
export interface Contribution {
  cell: RollupCell;
  counters: Partial<Record<RollupCounter, number>>;
  visitHour?: VisitHour | undefined;
  flow?: { siteId: string; storeId: string; fromFloor: number; toFloor: number; hour: number } | undefined;
  arrival?: { id: string; siteId: string; at: number; subjectId: string; memberId: string | null } | undefined;
  dwellEnd?: { id: string; siteId: string; storeId: string; zoneId: string; at: number; dwellMs: number } | undefined;
}

export function contributionOf(e: PresenceEvent): Contribution {
  const hour = Math.floor(e.at / HOUR_MS) * HOUR_MS;
  const storeId = e.storeId ?? '';
  const cell: RollupCell = { siteId: e.siteId, storeId, zoneId: e.zoneId ?? '', floor: e.floor ?? NO_FLOOR, hour };
  const counters: Partial<Record<RollupCounter, number>> = { events: 1 };
  const c: Contribution = { cell, counters };
  switch (e.type) {
    case 'approach':
      counters.approaches = 1;
      break;
    case 'arrival':
      counters.arrivals = 1;
      c.arrival = { id: e.id, siteId: e.siteId, at: e.at, subjectId: e.subject.id, memberId: e.subject.memberId ?? null };
      break;
    case 'dwell':
      counters.dwell_events = 1;
      if (isDwellEnd(e)) {
        counters.dwell_ends = 1;
        counters.dwell_ms_sum = e.dwellMs;
        counters[`dwell_b${dwellBucketOf(e.dwellMs)}` as RollupCounter] = 1;
        c.dwellEnd = { id: e.id, siteId: e.siteId, storeId, zoneId: e.zoneId, at: e.at, dwellMs: e.dwellMs };
      }
      break;
    case 'floor_change':
      counters.floor_changes = 1;
      if (e.fromFloor !== undefined && e.toFloor !== undefined) c.flow = { siteId: e.siteId, storeId, fromFloor: e.fromFloor, toFloor: e.toFloor, hour };
      break;
    case 'purchase':
      counters.purchases = 1;
      counters.purchase_amount = e.amount ?? 0;
      break;
    case 'exit':
      counters.exits = 1;
      break;
  }
  if (e.type in VISIT_STAGES) c.visitHour = { siteId: e.siteId, storeId, type: e.type, subjectId: e.subject.id, visitId: e.visitId, hour };
  return c;
}

// ---- what the stores answer from the rollups ----

export interface RollupRange {
  siteId: string;
  /** UTC-hour aligned for the hourly tables (`from` inclusive, `to` exclusive); any ms for the per-event indexes. */
  from: number;
  to: number;
}

export interface FootfallRollup {
  /** Distinct visits per store and UTC hour (store '' = no store). */
  hours: { storeId: string; hour: number; approaches: number; arrivals: number }[];
  /** Each hour of the visits seen in more than one hour (approach/arrival), for day and range totals. */
  multi: { storeId: string; type: 'approach' | 'arrival'; subjectId: string; visitId: string; hour: number }[];
}

export interface FlowRollup {
  storeId: string;
  fromFloor: number;
  toFloor: number;
  count: number;
}

export interface DwellRollupStats {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  buckets: number[];
}

export interface DwellRollup {
  overall: DwellRollupStats;
  stores: ({ storeId: string } & DwellRollupStats)[];
  zones: ({ storeId: string; zoneId: string } & DwellRollupStats)[];
}

export interface ReturningRollup {
  arrivals: number;
  subjects: number;
  returningSubjects: number;
  memberArrivals: number;
  members: number;
  returningMembers: number;
  /** Arrival times of members with more than one arrival in the range (site-local days are the caller's). */
  repeatMemberArrivals: { memberId: string; at: number }[];
}

/** One `rollup_hours` row (the funnel and per-hour figures). */
export type RollupHourRow = { storeId: string; zoneId: string; floor: number | null; hour: number } & Record<RollupCounter, number>;

/** Nearest-rank percentile of sorted values (p in 0..100): no interpolation, always an observed value. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Count, nearest-rank p50/p90 and display buckets of already sorted values. */
export function sortedDwellStats(sorted: ArrayLike<number>): DwellRollupStats {
  const buckets = DWELL_BUCKETS.map(() => 0);
  for (let i = 0; i < sorted.length; i++) buckets[dwellBucketOf(sorted[i]!)]!++;
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), buckets };
}
