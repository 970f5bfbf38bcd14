import type { AlertVisit, PresenceEvent, StaffAlert } from '@storesense/protocol';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { AlertFanout } from './alert-hub.js';

/** A visit followed this long after its last event, then forgotten (a day of shopping fits). */
const DEFAULT_TTL_MS = 6 * 3_600_000;
const DEFAULT_MAX_VISITS = 20_000;
/** Stage order of a card: a later stage replaces an earlier one, never the reverse (a late dwell after the exit). */
const RANK: Record<PresenceEvent['type'], number> = { approach: 0, arrival: 1, floor_change: 2, dwell: 2, purchase: 3, exit: 4 };

interface Followed {
  alertIds: string[];
  memberId: string;
  storeKey: string;
  lastAt: number;
}

/**
 * Pure: the visit progress after `event`. A later stage moves the card on (approach → arrival →
 * dwell → purchase); a dwell or floor change after a purchase keeps "purchase" but updates where;
 * an exit is kept for good (an event after it is a replay or a new visit, which has its own alert).
 */
export function nextVisit(current: AlertVisit | undefined, event: PresenceEvent): AlertVisit {
  const base: AlertVisit = current ?? { stage: event.type, at: event.at };
  if (base.exitedAt !== undefined) return base;
  const where = {
    ...(event.zoneId !== undefined ? { zoneId: event.zoneId } : base.zoneId !== undefined ? { zoneId: base.zoneId } : {}),
    ...(event.type === 'floor_change' && event.toFloor !== undefined
      ? { floor: event.toFloor }
      : event.floor !== undefined
        ? { floor: event.floor }
        : base.floor !== undefined
          ? { floor: base.floor }
          : {}),
  };
  if (event.type === 'exit') return { ...base, stage: 'exit', at: event.at, exitedAt: event.at };
  const moves = RANK[event.type] >= RANK[base.stage];
  return {
    ...base,
    ...where,
    ...(moves ? { stage: event.type, at: event.at } : {}),
    ...(event.type === 'dwell' && event.dwellMs !== undefined ? { dwellMs: event.dwellMs } : {}),
    ...(event.type === 'purchase' && event.amount !== undefined ? { amount: event.amount, ...(event.currency ? { currency: event.currency } : {}) } : {}),
  };
}

/**
 * Keeps staff alerts true as the shopper moves on: every later event of a visit that raised an
 * alert (dwell, floor change, purchase, exit) updates those alerts' `visit` in the store and
 * broadcasts them as `alert_update`, so a card says where the member is now and retires when they
 * leave. Visits are indexed in memory from the alerts this node raised (bounded by count and age);
 * a purchase from a till carries the terminal's own visit id, so it is matched to the member's
 * latest followed visit at that store. A restart forgets the index (cards then retire on the
 * staff view's timeout); decision 154. With `index: 'store'` (a cluster: later events of a visit
 * reach other nodes) the alerts of a visit are looked up in the store by visit id instead, for
 * events of a member (alerts are only raised for members), so any node follows any visit and a
 * restart forgets nothing (decision 171).
 */
export class VisitFollower {
  private readonly byVisit = new Map<string, Followed>();
  /** `memberId|siteId|storeId` -> visitId of the member's latest followed visit there. */
  private readonly byMemberStore = new Map<string, string>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly maxVisits: number;
  /** The newest event time seen: ages are in event time, so a replayed day is followed like a live one. */
  private newestAt = 0;

  constructor(
    private readonly deps: {
      store: CloudStore;
      hub: AlertFanout;
      logger: Logger;
      metrics: Metrics;
      ttlMs?: number;
      maxVisits?: number;
      index?: 'memory' | 'store';
    },
  ) {
    this.log = deps.logger.child({ module: 'visit-follower' });
    this.ttlMs = deps.ttlMs ?? DEFAULT_TTL_MS;
    this.maxVisits = deps.maxVisits ?? DEFAULT_MAX_VISITS;
  }

  /** Indexes a newly raised alert by its visit. */
  track(alert: StaffAlert): void {
    if (!alert.visitId || this.deps.index === 'store') return;
    const storeKey = `${alert.memberId}|${alert.siteId}|${alert.storeId ?? ''}`;
    const f = this.byVisit.get(alert.visitId) ?? { alertIds: [], memberId: alert.memberId, storeKey, lastAt: alert.eventAt };
    if (!f.alertIds.includes(alert.id)) f.alertIds.push(alert.id);
    f.lastAt = Math.max(f.lastAt, alert.eventAt);
    this.newestAt = Math.max(this.newestAt, alert.eventAt);
    this.byVisit.delete(alert.visitId); // re-insert: the map's order is least recently used first
    this.byVisit.set(alert.visitId, f);
    this.byMemberStore.set(storeKey, alert.visitId);
    this.evict();
  }

  /** Follows one ingested event; never throws (a failure is counted and logged). */
  async onEvent(event: PresenceEvent): Promise<void> {
    let visitId: string | undefined;
    let alertIds: string[] | undefined;
    try {
      if (this.deps.index === 'store') ({ visitId, alertIds } = await this.lookUp(event));
      else visitId = this.visitOf(event);
    } catch (err) {
      this.deps.metrics.inc('alerts.follow_failed');
      this.log.warn({ err, eventId: event.id }, 'visit look-up failed');
      return;
    }
    if (visitId === undefined) return;
    const id = visitId;
    const previous = this.chains.get(visitId) ?? Promise.resolve();
    const run = previous.then(() => this.apply(id, event, alertIds));
    const tail = run.catch((err: unknown) => {
      this.deps.metrics.inc('alerts.follow_failed');
      this.log.warn({ err, eventId: event.id, visitId }, 'visit follow-up failed');
    });
    this.chains.set(visitId, tail);
    await tail;
    if (this.chains.get(visitId) === tail) this.chains.delete(visitId);
  }

  get size(): number {
    return this.byVisit.size;
  }

  private visitOf(event: PresenceEvent): string | undefined {
    if (this.byVisit.has(event.visitId)) return event.visitId;
    const memberId = event.subject.memberId;
    if (event.type !== 'purchase' || memberId === undefined) return undefined;
    const visitId = this.byMemberStore.get(`${memberId}|${event.siteId}|${event.storeId ?? ''}`);
    const f = visitId === undefined ? undefined : this.byVisit.get(visitId);
    return f && event.at - f.lastAt <= this.ttlMs ? visitId : undefined;
  }

  /** The store-backed index: the visit's alerts by id, or (a till's purchase) the member's latest visit at that store. */
  private async lookUp(event: PresenceEvent): Promise<{ visitId?: string; alertIds?: string[] }> {
    const memberId = event.subject.memberId;
    if (memberId === undefined) return {};
    const { store } = this.deps;
    const ids = await store.listVisitAlertIds(event.siteId, event.visitId);
    if (ids.length > 0) return { visitId: event.visitId, alertIds: ids };
    if (event.type !== 'purchase') return {};
    const visitId = await store.latestMemberAlertVisit({ siteId: event.siteId, storeId: event.storeId, memberId, since: event.at - this.ttlMs });
    return visitId === undefined ? {} : { visitId, alertIds: await store.listVisitAlertIds(event.siteId, visitId) };
  }

  private async apply(visitId: string, event: PresenceEvent, storeIds?: string[]): Promise<void> {
    const f = storeIds ? undefined : this.byVisit.get(visitId);
    if (!f && !storeIds) return;
    if (f) f.lastAt = Math.max(f.lastAt, event.at);
    this.newestAt = Math.max(this.newestAt, event.at);
    for (const id of storeIds ?? f!.alertIds) {
      // Two tries: a claim landing between the read and the write is read again (the write is a compare-and-set on the status).
      for (let attempt = 0; attempt < 2; attempt++) {
        const [alert, handling] = await Promise.all([this.deps.store.getAlert(id), this.deps.store.getAlertHandling(id)]);
        if (!alert || !handling) break;
        const visit = nextVisit(alert.visit, event);
        if (JSON.stringify(visit) === JSON.stringify(alert.visit)) break;
        const next: StaffAlert = { ...alert, visit };
        if (await this.deps.store.updateAlertStatus(id, handling, next, handling.handledBy)) {
          this.deps.metrics.inc('alerts.followed');
          this.deps.hub.publishUpdate(next);
          break;
        }
      }
    }
    if (event.type === 'exit') this.forget(visitId);
  }

  private forget(visitId: string): void {
    const f = this.byVisit.get(visitId);
    this.byVisit.delete(visitId);
    if (f && this.byMemberStore.get(f.storeKey) === visitId) this.byMemberStore.delete(f.storeKey);
  }

  private evict(): void {
    for (const [visitId, f] of this.byVisit) {
      if (this.byVisit.size <= this.maxVisits && this.newestAt - f.lastAt <= this.ttlMs) break;
      this.forget(visitId);
    }
  }
}
