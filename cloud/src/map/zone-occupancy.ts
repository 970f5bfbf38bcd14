import type { Site } from '@storesense/firmware-config';
import type { EventType, PresenceEvent } from '@storesense/protocol';

/**
 * Live and replayed occupancy of a site's zones and stores from its journey events (decision 160):
 * counts of pseudonymous visits only, never their ids. Causal: the figure at time T uses events
 * with `at <= T` only, so a replayed moment shows what the live map showed then.
 *
 * - A visit is in zone Z from a dwell `start` or `update` naming Z until a dwell `end` of Z, its
 *   `exit`, or a dwell event naming another zone. Gateways send an `update` every
 *   `journey.dwellUpdateMs` while the stay lasts, so a visit silent for longer than
 *   `zoneStaleMs` (two updates plus the exit absence) has lost its exit and no longer counts.
 * - A visit is in store S (its arrival's, else its dwell events') until its `exit`, while it is in
 *   one of the zones or its arrival is at most `storeStaleMs` old (default one hour: a visit
 *   outside every zone sends nothing, so a lost exit is only bounded by this).
 *
 * Both rules look back a bounded time only, which keeps the live figure cheap (`liveQueries`):
 * arrivals and exits of the last `storeStaleMs`, dwell events of the last `zoneStaleMs`.
 */
export interface OccupancySettings {
  zoneStaleMs: number;
  storeStaleMs: number;
}

export const DEFAULT_STORE_STALE_MS = 3_600_000;
/** The types that move a visit on the map; the others (approach, floor change, purchase) do not. */
export const OCCUPANCY_EVENT_TYPES: readonly EventType[] = ['arrival', 'dwell', 'exit'];

export function occupancySettings(site: Site): OccupancySettings {
  return { zoneStaleMs: 2 * site.journey.dwellUpdateMs + site.journey.exitAbsenceMs, storeStaleMs: DEFAULT_STORE_STALE_MS };
}

/** How far before T the events must reach to know the state at T. */
export const lookbackMs = (s: OccupancySettings): number => Math.max(s.zoneStaleMs, s.storeStaleMs);

/** The two event reads that give the exact state at `at`: arrivals and exits over the store bound, dwells over the zone bound. */
export function liveQueries(s: OccupancySettings, at: number): { from: number; to: number; types: EventType[] }[] {
  return [
    { from: at - s.storeStaleMs, to: at + 1, types: ['arrival', 'exit'] },
    { from: at - s.zoneStaleMs, to: at + 1, types: ['dwell'] },
  ];
}

export interface OccupancyCounts {
  zones: Record<string, number>;
  stores: Record<string, number>;
}

interface VisitState {
  zoneId: string | undefined;
  zoneAt: number;
  storeId: string | undefined;
  arrivalAt: number | undefined;
  lastAt: number;
}

// Within one millisecond a visit's events apply in journey order: arrival, dwell, exit.
const ORDER: Record<string, number> = { arrival: 0, dwell: 1, exit: 2 };
const PHASE: Record<string, number> = { end: 0, start: 1, update: 2 };

/** Events sorted for a sweep: by time, then journey order. */
export function sortForSweep(events: readonly PresenceEvent[]): PresenceEvent[] {
  return events
    .filter((e) => OCCUPANCY_EVENT_TYPES.includes(e.type))
    .slice()
    .sort((a, b) => a.at - b.at || (ORDER[a.type] ?? 9) - (ORDER[b.type] ?? 9) || (PHASE[a.phase ?? ''] ?? 9) - (PHASE[b.phase ?? ''] ?? 9));
}

function apply(visits: Map<string, VisitState>, e: PresenceEvent): void {
  const key = `${e.gatewayId}\u0000${e.visitId}`;
  let v = visits.get(key);
  if (!v) {
    v = { zoneId: undefined, zoneAt: e.at, storeId: undefined, arrivalAt: undefined, lastAt: e.at };
    visits.set(key, v);
  }
  v.lastAt = e.at;
  if (e.type === 'exit') {
    visits.delete(key);
    return;
  }
  if (e.type === 'arrival') {
    v.storeId = e.storeId ?? v.storeId;
    v.arrivalAt = e.at;
    return;
  }
  // dwell
  if (e.storeId !== undefined) v.storeId ??= e.storeId;
  if (e.phase === 'end') {
    if (v.zoneId === e.zoneId) v.zoneId = undefined;
  } else if (e.zoneId !== undefined) {
    v.zoneId = e.zoneId;
    v.zoneAt = e.at;
  }
}

function count(visits: Map<string, VisitState>, at: number, s: OccupancySettings): OccupancyCounts {
  const zones: Record<string, number> = {};
  const stores: Record<string, number> = {};
  for (const v of visits.values()) {
    const inZone = v.zoneId !== undefined && at - v.zoneAt <= s.zoneStaleMs;
    if (inZone) zones[v.zoneId!] = (zones[v.zoneId!] ?? 0) + 1;
    if (v.storeId !== undefined && (inZone || (v.arrivalAt !== undefined && at - v.arrivalAt <= s.storeStaleMs)))
      stores[v.storeId] = (stores[v.storeId] ?? 0) + 1;
  }
  return { zones, stores };
}

/**
 * Counts at each of `times` (ascending) from `events` (any order; they should reach
 * `lookbackMs` before the first time). One sweep: O(events + times × open visits).
 * @example occupancySeries(events, [t0, t0 + 1000], occupancySettings(site))
 */
export function occupancySeries(events: readonly PresenceEvent[], times: readonly number[], s: OccupancySettings): OccupancyCounts[] {
  const sorted = sortForSweep(events);
  const visits = new Map<string, VisitState>();
  const out: OccupancyCounts[] = [];
  let i = 0;
  for (const at of times) {
    while (i < sorted.length && sorted[i]!.at <= at) apply(visits, sorted[i++]!);
    // Visits silent for longer than both bounds can never count again: drop them (bounded memory).
    for (const [k, v] of visits) if (at - v.lastAt > Math.max(s.zoneStaleMs, s.storeStaleMs)) visits.delete(k);
    out.push(count(visits, at, s));
  }
  return out;
}
