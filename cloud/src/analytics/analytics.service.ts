import type { Site } from '@storesense/firmware-config';
import type { CloudStore } from '../store/cloud-store.js';
import {
  dwell,
  floorFlows,
  footfall,
  offerConversion,
  returning,
  type Bucket,
  type DwellReport,
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
export interface OccupancyReportOut {
  storeId: string;
  minutes: { start: number; occupancy: number }[];
  hours: { start: number; uniqueVisitors: number }[];
  peakOccupancy: number;
}

export class AnalyticsService {
  constructor(private readonly deps: { store: CloudStore; sites: ReadonlyMap<string, Site> }) {}

  timeZoneOf(siteId: string): string {
    return this.deps.sites.get(siteId)?.timezone ?? 'UTC';
  }

  async footfall(r: AnalyticsRange, bucket: Bucket, storeId?: string): Promise<{ timeZone: string; rows: FootfallRow[]; totals: FootfallTotals[] }> {
    let events = await this.deps.store.listEventsInRange({ ...r, types: ['approach', 'arrival'] });
    if (storeId !== undefined) events = events.filter((e) => e.storeId === storeId);
    const timeZone = this.timeZoneOf(r.siteId);
    return { timeZone, ...footfall(events, bucket, timeZone) };
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

  async dwell(r: AnalyticsRange, filter: { storeId?: string | undefined; zoneId?: string | undefined }): Promise<DwellReport> {
    return dwell(await this.deps.store.listEventsInRange({ ...r, types: ['dwell'] }), filter);
  }

  async floors(r: AnalyticsRange): Promise<FloorFlow[]> {
    return floorFlows(await this.deps.store.listEventsInRange({ ...r, types: ['floor_change'] }));
  }

  async returning(r: AnalyticsRange): Promise<{ timeZone: string } & ReturningReport> {
    const timeZone = this.timeZoneOf(r.siteId);
    return { timeZone, ...returning(await this.deps.store.listEventsInRange({ ...r, types: ['arrival'] }), timeZone) };
  }

  /** Offers issued in the range; purchases are read up to the latest expiry, which may lie past `to`. */
  async offers(r: AnalyticsRange): Promise<OfferReport> {
    const offers = await this.deps.store.listOffersIssued(r.siteId, r.from, r.to);
    if (offers.length === 0) return offerConversion([], []);
    const until = Math.max(...offers.map((o) => o.expiresAt));
    const purchases = await this.deps.store.listEventsInRange({ siteId: r.siteId, from: r.from, to: until + 1, types: ['purchase'] });
    return offerConversion(offers, purchases);
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
