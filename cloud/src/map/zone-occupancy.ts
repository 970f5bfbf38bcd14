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
 * - A visit is in store S from its `arrival` at S until its `exit`, and counts while its newest
 *   event is at most `storeStaleMs` old (default one hour: a visit with no zone stays silent).
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

export interface OccupancyCounts {
  zones: Record<string, number>;
  stores: Record<string, number>;
}

interface VisitState {
  zoneId: string | undefined;
  zoneAt: number;
  storeId: string | undefined;
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
    v = { zoneId: undefined, zoneAt: e.at, storeId: undefined, lastAt: e.at };
    visits.set(key, v);
  }
  v.lastAt = e.at;
  if (e.type === 'exit') {
    visits.delete(key);
    return;
  }
  if (e.type === 'arrival') {
    v.storeId = e.storeId ?? v.storeId;
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
    if (v.zoneId !== undefined && at - v.zoneAt <= s.zoneStaleMs) zones[v.zoneId] = (zones[v.zoneId] ?? 0) + 1;
    if (v.storeId !== undefined && at - v.lastAt <= s.storeStaleMs) stores[v.storeId] = (stores[v.storeId] ?? 0) + 1;
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
