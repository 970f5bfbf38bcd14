import type { Site } from '@storesense/firmware-config';
import type { PresenceEvent } from '@storesense/protocol';
import { makeEvent } from '../testing/fixtures.js';
import type { OccupancyCounts, OccupancySettings } from './zone-occupancy.js';

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shoppers through a site's store zones as a gateway reports them: arrival, then per zone a dwell
 * start, updates every `dwellUpdateMs` and an end (the journey machine ends a zone before the
 * next), then an exit; about one visit in seven loses its exit (a gateway outage), so staleness
 * matters. A visit's event times are distinct milliseconds: order within one never matters.
 */
export function syntheticVisits(site: Site, opts: { from: number; visits: number; spanMs: number; seed: number; gatewayId?: string }): PresenceEvent[] {
  const r = rng(opts.seed);
  const events: PresenceEvent[] = [];
  const gatewayId = opts.gatewayId ?? site.gateways[0]!.id;
  const stores = site.stores.filter((s) => s.zones.length > 0);
  const { dwellUpdateMs } = site.journey;
  for (let n = 0; n < opts.visits; n++) {
    const store = stores[Math.floor(r() * stores.length)]!;
    const base = {
      siteId: site.id,
      gatewayId,
      storeId: store.id,
      visitId: `v_${opts.seed}_${n}`,
      subject: { id: `s_${opts.seed}_${n}`, signals: ['ble' as const] },
    };
    let at = opts.from + Math.floor(r() * opts.spanMs);
    events.push(makeEvent({ ...base, type: 'arrival', at }));
    const zones = 1 + Math.floor(r() * 3);
    for (let k = 0; k < zones; k++) {
      const zone = store.zones[Math.floor(r() * store.zones.length)]!;
      at += 5_000 + Math.floor(r() * 60_000);
      const threshold = zone.dwellThresholdMs ?? site.journey.dwellThresholdMs;
      const stayMs = threshold + 1 + Math.floor(r() * 4 * dwellUpdateMs);
      const start = at + threshold;
      events.push(makeEvent({ ...base, type: 'dwell', phase: 'start', zoneId: zone.id, floor: zone.floor, dwellMs: threshold, at: start }));
      for (let u = start + dwellUpdateMs; u < at + stayMs; u += dwellUpdateMs)
        events.push(makeEvent({ ...base, type: 'dwell', phase: 'update', zoneId: zone.id, floor: zone.floor, dwellMs: u - at, at: u }));
      at += stayMs;
      events.push(makeEvent({ ...base, type: 'dwell', phase: 'end', zoneId: zone.id, floor: zone.floor, dwellMs: stayMs, at }));
    }
    if (r() < 0.85) events.push(makeEvent({ ...base, type: 'exit', at: at + 3_000 }));
  }
  return events;
}

/**
 * The occupancy at `at`, counted independently of zone-occupancy.ts: per visit, its events up to
 * `at`; gone once it exited; in the zone its newest dwell event names unless that was an end or is
 * older than `zoneStaleMs`; in its store while in a zone or at most `storeStaleMs` after arriving.
 */
export function countAt(events: readonly PresenceEvent[], at: number, s: OccupancySettings): OccupancyCounts {
  const byVisit = new Map<string, PresenceEvent[]>();
  for (const e of events) {
    if (e.at > at || !['arrival', 'dwell', 'exit'].includes(e.type)) continue;
    const key = `${e.gatewayId}/${e.visitId}`;
    const list = byVisit.get(key);
    if (list) list.push(e);
    else byVisit.set(key, [e]);
  }
  const zones: Record<string, number> = {};
  const stores: Record<string, number> = {};
  for (const list of byVisit.values()) {
    if (list.some((e) => e.type === 'exit')) continue;
    const arrival = list.find((e) => e.type === 'arrival');
    const store = arrival?.storeId ?? list.find((e) => e.storeId !== undefined)?.storeId;
    const dwell = list.filter((e) => e.type === 'dwell').sort((a, b) => b.at - a.at)[0];
    const inZone = dwell !== undefined && dwell.phase !== 'end' && dwell.zoneId !== undefined && at - dwell.at <= s.zoneStaleMs;
    if (inZone) zones[dwell.zoneId!] = (zones[dwell.zoneId!] ?? 0) + 1;
    if (store !== undefined && (inZone || (arrival !== undefined && at - arrival.at <= s.storeStaleMs))) stores[store] = (stores[store] ?? 0) + 1;
  }
  return { zones, stores };
}
