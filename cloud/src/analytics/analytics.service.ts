import type { Site } from '@storesense/firmware-config';
import { localDay } from '../rules/local-day.js';
import type { CloudStore } from '../store/cloud-store.js';
import { DWELL_BUCKETS, HOUR_MS, type DwellRollupStats } from '../store/rollups.js';
import {
  dwell,
  floorFlows,
  footfall,
  offerConversion,
  returning,
  type Bucket,
  type DwellReport,
  type DwellStats,
  localHour,
  type FloorFlow,
  type FootfallRow,
  type FootfallTotals,
  type OfferReport,
  type ReturningReport,
} from './analytics.js';

export interface AnalyticsRange {
  siteId: string;
  /** ms since epoch, inclusive. */
  from: number;
  /** ms since epoch, exclusive. */
  to: number;
}

export interface AnalyticsSummary {
  siteId: string;
  timeZone: string;
  from: number;
  to: number;
  footfall: { approaches: number; arrivals: number; captureRate: number | null; stores: FootfallTotals[] };
  dwell: { count: number; p50Ms: number | null; p90Ms: number | null };
  floors: FloorFlow[];
  returning: ReturningReport;
  offers: { issued: number; redeemed: number; conversion: number | null };
}

/**
 * Reads a site's events from the store and turns them into the analytics figures, in the site's
 * time zone (UTC when the site is unknown to this cloud).
 * @example await new AnalyticsService({ store, sites }).footfall({ siteId: 'mall', from, to }, 'hour')
 */
/** Distinct visits per funnel stage in one site-local hour, store and floor (null: events without a floor). */
export interface FunnelRow {
  hour: string;
  storeId: string;
  floor: number | null;
  approaches: number;
  arrivals: number;
  dwells: number;
  purchases: number;
}

export interface OccupancyReportOut {
  storeId: string;
  minutes: { start: number; occupancy: number }[];
  hours: { start: number; uniqueVisitors: number }[];
  peakOccupancy: number;
}

const SITE = '(site)';
const storeLabel = (storeId: string): string => (storeId === '' ? SITE : storeId);
const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
const minuteFormatters = new Map<string, Intl.DateTimeFormat>();

/** True when every site-local hour boundary is a UTC hour boundary at the range's days (no :30 or :45 offsets). */
function wholeHourOffsets(from: number, to: number, timeZone: string): boolean {
  let f = minuteFormatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, minute: '2-digit' });
    } catch {
      f = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', minute: '2-digit' });
    }
    minuteFormatters.set(timeZone, f);
  }
  for (let t = from; t < to + 86_400_000; t += 86_400_000) if (Number(f.format(new Date(Math.min(t, to)))) !== 0) return false;
  return true;
}

const toStats = (s: DwellRollupStats): DwellStats => ({
  count: s.count,
  p50Ms: s.p50Ms,
  p90Ms: s.p90Ms,
  buckets: DWELL_BUCKETS.map((b, i) => ({ label: b.label, count: s.buckets[i] ?? 0 })),
});

export class AnalyticsService {
  /**
   * `rollups: false` answers from the raw events as before the rollups (decision 120): the
   * reference the equivalence tests and the benchmark compare with.
   */
  constructor(private readonly deps: { store: CloudStore; sites: ReadonlyMap<string, Site>; rollups?: boolean }) {}

  timeZoneOf(siteId: string): string {
    return this.deps.sites.get(siteId)?.timezone ?? 'UTC';
  }

  /** The hourly rollups answer ranges on UTC hours in zones whose local hours are UTC hours; others read the raw events. */
  private hourly(r: AnalyticsRange, timeZone?: string): boolean {
    if (this.deps.rollups === false || r.from % HOUR_MS !== 0 || r.to % HOUR_MS !== 0) return false;
    return timeZone === undefined || wholeHourOffsets(r.from, r.to, timeZone);
  }

  async footfall(r: AnalyticsRange, bucket: Bucket, storeId?: string): Promise<{ timeZone: string; rows: FootfallRow[]; totals: FootfallTotals[] }> {
    const tz = this.timeZoneOf(r.siteId);
    if (this.hourly(r, tz)) return { timeZone: tz, ...(await this.footfallFromRollups(r, bucket, tz, storeId)) };
    let events = await this.deps.store.listEventsInRange({ ...r, types: ['approach', 'arrival'] });
    if (storeId !== undefined) events = events.filter((e) => e.storeId === storeId);
    return { timeZone: tz, ...footfall(events, bucket, tz) };
  }

  /**
   * A store's WiFi occupancy as its gateway published it: people present per minute (mean and
   * peak per hour beside the hour's unique visitors), counts only.
   */
  async occupancy(r: AnalyticsRange, storeId: string): Promise<OccupancyReportOut> {
    const s = await this.deps.store.occupancySeries({ ...r, storeId });
    const peak = s.minutes.reduce((m, x) => Math.max(m, x.occupancy), 0);
    return { storeId, minutes: s.minutes.map((m) => ({ start: m.start, occupancy: m.occupancy })), hours: s.hours, peakOccupancy: peak };
  }

  /**
   * Distinct visits per bucket from the hourly rollups: a visit counts once per store, stage and
   * hour there; a day (or the range's total) counts a visit seen in several of its hours once, by
   * subtracting the extra hours of the few visits in `rollup_multi_visits`.
   */
  private async footfallFromRollups(
    r: AnalyticsRange,
    bucket: Bucket,
    tz: string,
    storeId: string | undefined,
  ): Promise<{ rows: FootfallRow[]; totals: FootfallTotals[] }> {
    const fr = await this.deps.store.rollupFootfall(r);
    const keep = (s: string) => storeId === undefined || s === storeId;
    const labelOf = bucket === 'day' ? (h: number) => localDay(h, tz) : (h: number) => localHour(h, tz);
    const labels = new Map<number, string>();
    const label = (h: number): string => {
      let l = labels.get(h);
      if (l === undefined) labels.set(h, (l = labelOf(h)));
      return l;
    };
    const cells = new Map<string, FootfallRow>();
    const totals = new Map<string, FootfallTotals>();
    const cellOf = (b: string, s: string): FootfallRow => {
      const k = `${b}\u0000${s}`;
      let c = cells.get(k);
      if (!c) cells.set(k, (c = { bucket: b, storeId: s, approaches: 0, arrivals: 0, captureRate: null }));
      return c;
    };
    const totalOf = (s: string): FootfallTotals => {
      let t = totals.get(s);
      if (!t) totals.set(s, (t = { storeId: s, approaches: 0, arrivals: 0, captureRate: null }));
      return t;
    };
    for (const h of fr.hours) {
      if (!keep(h.storeId)) continue;
      const s = storeLabel(h.storeId);
      const c = cellOf(label(h.hour), s);
      c.approaches += h.approaches;
      c.arrivals += h.arrivals;
      const t = totalOf(s);
      t.approaches += h.approaches;
      t.arrivals += h.arrivals;
    }
    const visits = new Map<string, { storeId: string; type: 'approach' | 'arrival'; hours: number[] }>();
    for (const m of fr.multi) {
      if (!keep(m.storeId)) continue;
      const k = `${m.storeId}\u0000${m.type}\u0000${m.subjectId}\u0000${m.visitId}`;
      let v = visits.get(k);
      if (!v) visits.set(k, (v = { storeId: m.storeId, type: m.type, hours: [] }));
      v.hours.push(m.hour);
    }
    const field = (type: 'approach' | 'arrival') => (type === 'approach' ? 'approaches' : 'arrivals');
    for (const v of visits.values()) {
      if (v.hours.length < 2) continue;
      const s = storeLabel(v.storeId);
      totalOf(s)[field(v.type)] -= v.hours.length - 1;
      if (bucket === 'hour') continue;
      const perBucket = new Map<string, number>();
      for (const h of v.hours) perBucket.set(label(h), (perBucket.get(label(h)) ?? 0) + 1);
      for (const [b, n] of perBucket) if (n > 1) cellOf(b, s)[field(v.type)] -= n - 1;
    }
    const rows = [...cells.values()]
      .map((c) => ({ ...c, captureRate: ratio(c.arrivals, c.approaches) }))
      .sort((a, b) => a.bucket.localeCompare(b.bucket) || a.storeId.localeCompare(b.storeId));
    const totalRows = [...totals.values()]
      .map((t) => ({ ...t, captureRate: ratio(t.arrivals, t.approaches) }))
      .sort((a, b) => a.storeId.localeCompare(b.storeId));
    return { rows, totals: totalRows };
  }

  async dwell(r: AnalyticsRange, filter: { storeId?: string | undefined; zoneId?: string | undefined }): Promise<DwellReport> {
    if (this.deps.rollups === false) return dwell(await this.deps.store.listEventsInRange({ ...r, types: ['dwell'] }), filter);
    const d = await this.deps.store.rollupDwell({ ...r, ...filter });
    return {
      overall: toStats(d.overall),
      stores: d.stores.map((s) => ({ storeId: storeLabel(s.storeId), ...toStats(s) })).sort((a, b) => a.storeId.localeCompare(b.storeId)),
      zones: d.zones
        .map((z) => ({ storeId: storeLabel(z.storeId), zoneId: z.zoneId, ...toStats(z) }))
        .sort((a, b) => a.storeId.localeCompare(b.storeId) || a.zoneId.localeCompare(b.zoneId)),
    };
  }

  async floors(r: AnalyticsRange): Promise<FloorFlow[]> {
    if (!this.hourly(r)) return floorFlows(await this.deps.store.listEventsInRange({ ...r, types: ['floor_change'] }));
    return (await this.deps.store.rollupFloorFlows(r))
      .map((f) => ({ ...f, storeId: storeLabel(f.storeId) }))
      .sort((a, b) => b.count - a.count || a.storeId.localeCompare(b.storeId) || a.fromFloor - b.fromFloor || a.toFloor - b.toFloor);
  }

  async returning(r: AnalyticsRange): Promise<{ timeZone: string } & ReturningReport> {
    const timeZone = this.timeZoneOf(r.siteId);
    if (this.deps.rollups === false) return { timeZone, ...returning(await this.deps.store.listEventsInRange({ ...r, types: ['arrival'] }), timeZone) };
    const x = await this.deps.store.rollupReturning(r);
    const days = new Map<string, Set<string>>();
    for (const a of x.repeatMemberArrivals) {
      let d = days.get(a.memberId);
      if (!d) days.set(a.memberId, (d = new Set()));
      d.add(localDay(a.at, timeZone));
    }
    return {
      timeZone,
      arrivals: x.arrivals,
      subjects: x.subjects,
      returningSubjects: x.returningSubjects,
      memberArrivals: x.memberArrivals,
      memberShare: ratio(x.memberArrivals, x.arrivals),
      members: x.members,
      returningMembers: x.returningMembers,
      membersOnSeveralDays: [...days.values()].filter((d) => d.size > 1).length,
    };
  }

  /** Offers issued in the range; purchases are read up to the latest expiry, which may lie past `to`. */
  async offers(r: AnalyticsRange): Promise<OfferReport> {
    const offers = await this.deps.store.listOffersIssued(r.siteId, r.from, r.to);
    if (offers.length === 0) return offerConversion([], []);
    const until = Math.max(...offers.map((o) => o.expiresAt));
    const purchases = await this.deps.store.listEventsInRange({ siteId: r.siteId, from: r.from, to: until + 1, types: ['purchase'] });
    return offerConversion(offers, purchases);
  }

  /**
   * The journey funnel (approach → arrival → dwell → purchase) per site-local hour, store and
   * floor, from the hourly rollups: a visit counts once per stage, store and hour, on the floor of
   * its first event of that stage in the hour. `from`/`to` on whole UTC hours.
   */
  async funnel(r: AnalyticsRange, storeId?: string): Promise<{ timeZone: string; rows: FunnelRow[] }> {
    const timeZone = this.timeZoneOf(r.siteId);
    const cells = new Map<string, FunnelRow & { at: number }>();
    for (const h of await this.deps.store.rollupHours({ ...r, storeId })) {
      if (h.approach_visits + h.arrival_visits + h.dwell_visits + h.purchase_visits === 0) continue;
      const k = `${h.hour}\u0000${h.storeId}\u0000${h.floor}`;
      let c = cells.get(k);
      if (!c)
        cells.set(
          k,
          (c = {
            at: h.hour,
            hour: localHour(h.hour, timeZone),
            storeId: storeLabel(h.storeId),
            floor: h.floor,
            approaches: 0,
            arrivals: 0,
            dwells: 0,
            purchases: 0,
          }),
        );
      c.approaches += h.approach_visits;
      c.arrivals += h.arrival_visits;
      c.dwells += h.dwell_visits;
      c.purchases += h.purchase_visits;
    }
    const rows = [...cells.values()]
      .sort((a, b) => a.at - b.at || a.storeId.localeCompare(b.storeId) || (a.floor ?? -1e9) - (b.floor ?? -1e9))
      .map(({ at: _at, ...row }) => row);
    return { timeZone, rows };
  }

  async summary(r: AnalyticsRange): Promise<AnalyticsSummary> {
    const [foot, dw, floors, ret, offers] = await Promise.all([this.footfall(r, 'day'), this.dwell(r, {}), this.floors(r), this.returning(r), this.offers(r)]);
    // Site-wide capture sums per-store visits: a passer-by approaching two stores counts twice,
    // once for each store's door, which is what each capture rate is about.
    const approaches = foot.totals.reduce((n, t) => n + t.approaches, 0);
    const arrivals = foot.totals.reduce((n, t) => n + t.arrivals, 0);
    return {
      siteId: r.siteId,
      timeZone: foot.timeZone,
      from: r.from,
      to: r.to,
      footfall: { approaches, arrivals, captureRate: approaches === 0 ? null : arrivals / approaches, stores: foot.totals },
      dwell: { count: dw.overall.count, p50Ms: dw.overall.p50Ms, p90Ms: dw.overall.p90Ms },
      floors,
      returning: ret,
      offers: { issued: offers.issued, redeemed: offers.redeemed, conversion: offers.conversion },
    };
  }
}
