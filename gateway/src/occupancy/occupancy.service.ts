import type { GatewayConfig } from '@storesense/firmware-config';
import { shapePolygon, distanceM } from '@storesense/firmware-config';
import type { Observation, OccupancyReport } from '@storesense/protocol';
import type { Logger } from '../log.js';
import { OccupancyEstimator, type OccupancyPeriod } from './occupancy.estimator.js';
import { rssiGateDbm, type OccupancySettingsInput } from './occupancy.settings.js';

/** What health shows per store, beside `subjects`: counts only. */
export interface StoreOccupancyHealth {
  storeId: string;
  occupancy: number;
  uniqueVisitorsLastHour?: number;
  fixedDevices: number;
}

/** Reports not yet published are kept at most this long per store (a day of minutes), oldest dropped. */
const MAX_PENDING_MINUTES = 1_440;

interface StoreState {
  estimator: OccupancyEstimator;
  pending: OccupancyReport;
  last?: { occupancy: number; fixed: number };
  lastHourVisitors?: number;
}

/**
 * The gateway's WiFi occupancy: one estimator per store, fed the WiFi observations of the store's
 * receivers. Each receiver's range gate is the log-distance level (its calibration, minus its
 * reporting bias) at the store's farthest corner from it, so "in the store" follows the site
 * file, not a constant. Closed periods queue as one report per store until the uplink takes them.
 */
export class OccupancyService {
  private readonly stores = new Map<string, StoreState>();
  private readonly receiverStore = new Map<string, { storeId: string; gateDbm: number }>();
  private readonly log: Logger;
  droppedPending = 0;

  constructor(config: GatewayConfig, logger: Logger, settings: OccupancySettingsInput = {}) {
    this.log = logger.child({ module: 'occupancy' });
    for (const r of config.receivers) {
      const store = r.storeId === undefined ? undefined : config.stores.find((s) => s.id === r.storeId);
      if (!store) continue;
      const radiusM = Math.max(1, ...shapePolygon(store.shape).map((p) => distanceM(p, r.position)));
      const gateDbm =
        rssiGateDbm({ refRssiAt1mDbm: r.calibration.refRssiAt1mDbm, pathLossExponent: r.calibration.pathLossExponent }, radiusM) + r.calibration.rssiOffsetDb;
      this.receiverStore.set(r.id, { storeId: store.id, gateDbm });
      if (!this.stores.has(store.id)) {
        this.stores.set(store.id, { estimator: new OccupancyEstimator(settings), pending: emptyReport(store.id) });
      }
    }
  }

  /** WiFi observations only; others are ignored. Returns nothing: periods close in `advanceTo`. */
  ingest(o: Observation): void {
    if (o.source !== 'wifi') return;
    const rx = this.receiverStore.get(o.receiverId);
    if (!rx) return;
    const st = this.stores.get(rx.storeId)!;
    this.take(
      st,
      st.estimator.observe({
        atMs: o.at,
        subject: o.subject,
        randomized: o.randomized === true,
        gateDbm: rx.gateDbm,
        ...(o.rssiDbm !== undefined ? { rssiDbm: o.rssiDbm } : {}),
        ...(o.seq !== undefined ? { seq: o.seq } : {}),
        ...(o.ieFp !== undefined ? { ieFp: o.ieFp } : {}),
      }),
    );
  }

  /** Closes minutes up to `atMs` in every store that has heard WiFi at all (a timer calls it). */
  advanceTo(atMs: number): void {
    for (const st of this.stores.values()) this.take(st, st.estimator.advanceTo(atMs));
  }

  /** Reports with something to publish; the caller hands back what it could not send with `requeue`. */
  takePending(atMs: number): OccupancyReport[] {
    const out: OccupancyReport[] = [];
    for (const st of this.stores.values()) {
      if (st.pending.minutes.length === 0 && st.pending.hours.length === 0) continue;
      out.push({ ...st.pending, at: Math.round(atMs) });
      st.pending = emptyReport(st.pending.storeId);
    }
    return out;
  }

  requeue(report: OccupancyReport): void {
    const st = this.stores.get(report.storeId);
    if (!st) return;
    st.pending = { ...st.pending, minutes: [...report.minutes, ...st.pending.minutes], hours: [...report.hours, ...st.pending.hours] };
    this.bound(st);
  }

  health(): StoreOccupancyHealth[] {
    return [...this.stores]
      .filter(([, st]) => st.last)
      .map(([storeId, st]) => ({
        storeId,
        occupancy: st.last!.occupancy,
        fixedDevices: st.estimator.stats().fixedLearned,
        ...(st.lastHourVisitors !== undefined ? { uniqueVisitorsLastHour: st.lastHourVisitors } : {}),
      }));
  }

  private take(st: StoreState, periods: OccupancyPeriod[]): void {
    for (const p of periods) {
      if (p.kind === 'minute') {
        st.last = { occupancy: p.occupancy, fixed: p.fixedExcluded };
        st.pending.minutes.push({ start: p.startMs, occupancy: p.occupancy, addresses: p.addressesInRange, fixed: p.fixedExcluded });
      } else {
        st.lastHourVisitors = p.uniqueVisitors;
        st.pending.hours.push({ start: p.startMs, uniqueVisitors: p.uniqueVisitors });
      }
    }
    this.bound(st);
  }

  private bound(st: StoreState): void {
    const over = st.pending.minutes.length - MAX_PENDING_MINUTES;
    if (over > 0) {
      st.pending.minutes.splice(0, over);
      this.droppedPending += over;
      if (this.droppedPending === over || this.droppedPending % 1_000 < over)
        this.log.warn({ storeId: st.pending.storeId, droppedPending: this.droppedPending }, 'occupancy minutes not published for a day; oldest dropped');
    }
    if (st.pending.hours.length > 48) st.pending.hours.splice(0, st.pending.hours.length - 48);
  }
}

function emptyReport(storeId: string): OccupancyReport {
  return { v: 1, at: 0, storeId, minutes: [], hours: [] };
}
