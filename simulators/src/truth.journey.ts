import type { Point, Zone } from '@storesense/firmware-config';
import type { TruthEvent } from '@storesense/protocol';
import { APPROACH_HYSTERESIS_M, APPROACH_RADIUS_M, storeAtPoint, storeZoneAt, type SiteLayout } from './site-layout.js';
import type { Segment } from './trajectory.js';

/**
 * Ground truth from geometry, following the brief's journey semantics: the shopper's path is
 * sampled every SAMPLE_STEP_M metres, every change of (store, zone, floor, near-an-entrance) is
 * located to the millisecond by bisection, and the journey rules turn changes into events:
 * - approach: first within APPROACH_RADIUS_M of an entrance, outside the store; the episode stays
 *   open (no second approach) until the subject is APPROACH_RADIUS_M + APPROACH_HYSTERESIS_M away.
 * - arrival / exit: crossing the store footprint on a floor with an entrance.
 * - dwell: start at zone entry + threshold, update every dwellUpdateMs, end at zone exit (dwellMs =
 *   time in zone). Store zones only (mall corridors never dwell); an exit ends any open dwell first.
 * - floor_change: arriving on another floor inside a store (end of an escalator ride).
 * Purchases come from the plan (payment time) and are merged in.
 */
export const SAMPLE_STEP_M = 0.5;

export interface PlannedPurchase {
  at: number;
  storeId: string;
  floor: number;
  terminalId: string;
  amount: number;
}

interface LocState {
  present: boolean;
  floor: number;
  storeId: string | undefined;
  zone: { zone: Zone; storeId: string } | undefined;
  /** Per store index: 1 = within approach radius outside, 2 = beyond radius + hysteresis. */
  near: Uint8Array;
}

interface ZoneStay {
  zone: Zone;
  storeId: string;
  floor: number;
  entryAt: number;
  thresholdMs: number;
  started: boolean;
  nextUpdateAt: number;
}

export function journeyTruth(
  layout: SiteLayout,
  segments: readonly Segment[],
  subject: string,
  memberId: string | undefined,
  purchases: readonly PlannedPurchase[] = [],
): TruthEvent[] {
  const { dwellThresholdMs, dwellUpdateMs } = layout.site.journey;
  const stores = layout.stores;
  const events: TruthEvent[] = [];
  const base = memberId === undefined ? { subject } : { subject, memberId };
  const emit = (e: Omit<TruthEvent, 'subject' | 'memberId'>) => events.push({ ...e, ...base, at: Math.round(e.at) });

  const approachOpen = new Uint8Array(stores.length);
  let cur: LocState = { present: false, floor: segments[0]?.floor0 ?? 0, storeId: undefined, zone: undefined, near: new Uint8Array(stores.length).fill(2) };
  let stay: ZoneStay | undefined;

  const locate = (present: boolean, floor: number, p: Point): LocState => {
    const near = new Uint8Array(stores.length);
    if (!present) return { present, floor, storeId: undefined, zone: undefined, near: near.fill(2) };
    const store = storeAtPoint(layout, floor, p);
    for (let i = 0; i < stores.length; i++) {
      let d = Infinity;
      for (const e of stores[i]!.entrances) if (e.floor === floor) d = Math.min(d, Math.hypot(p.x - e.at.x, p.y - e.at.y));
      near[i] = store?.id === stores[i]!.store.id ? 0 : d <= APPROACH_RADIUS_M ? 1 : d > APPROACH_RADIUS_M + APPROACH_HYSTERESIS_M ? 2 : 0;
    }
    return { present, floor, storeId: store?.id, zone: storeZoneAt(layout, floor, p), near };
  };
  const key = (s: LocState) => `${s.present ? 1 : 0}|${s.floor}|${s.storeId ?? ''}|${s.zone?.zone.id ?? ''}|${s.near.join('')}`;

  const advance = (t: number) => {
    while (stay !== undefined) {
      if (!stay.started && stay.entryAt + stay.thresholdMs <= t) {
        stay.started = true;
        const at = stay.entryAt + stay.thresholdMs;
        stay.nextUpdateAt = at + dwellUpdateMs;
        emit({
          type: 'dwell',
          phase: 'start',
          at,
          storeId: stay.storeId,
          zoneId: stay.zone.id,
          floor: stay.floor,
          dwellMs: Math.round(at) - Math.round(stay.entryAt),
        });
      } else if (stay.started && stay.nextUpdateAt <= t) {
        const at = stay.nextUpdateAt;
        stay.nextUpdateAt += dwellUpdateMs;
        emit({
          type: 'dwell',
          phase: 'update',
          at,
          storeId: stay.storeId,
          zoneId: stay.zone.id,
          floor: stay.floor,
          dwellMs: Math.round(at) - Math.round(stay.entryAt),
        });
      } else break;
    }
  };
  const endStay = (t: number) => {
    if (stay?.started)
      emit({
        type: 'dwell',
        phase: 'end',
        at: t,
        storeId: stay.storeId,
        zoneId: stay.zone.id,
        floor: stay.floor,
        dwellMs: Math.round(t) - Math.round(stay.entryAt),
      });
    stay = undefined;
  };

  const apply = (t: number, s: LocState) => {
    advance(t);
    const zoneChanged = (s.zone?.zone.id ?? '') !== (cur.zone?.zone.id ?? '');
    const storeChanged = s.storeId !== cur.storeId;
    if (zoneChanged || (storeChanged && cur.storeId !== undefined)) endStay(t);
    if (storeChanged && cur.storeId !== undefined) emit({ type: 'exit', at: t, storeId: cur.storeId, floor: cur.floor });
    if (s.floor !== cur.floor && s.storeId !== undefined && s.storeId === cur.storeId) {
      emit({ type: 'floor_change', at: t, storeId: s.storeId, floor: s.floor, fromFloor: cur.floor, toFloor: s.floor });
    }
    if (storeChanged && s.storeId !== undefined) {
      const i = stores.findIndex((x) => x.store.id === s.storeId);
      if (i >= 0 && approachOpen[i] === 0) {
        approachOpen[i] = 1;
        emit({ type: 'approach', at: t, storeId: s.storeId, floor: s.floor });
      }
      emit({ type: 'arrival', at: t, storeId: s.storeId, floor: s.floor });
    }
    for (let i = 0; i < stores.length; i++) {
      if (s.near[i] === 1 && approachOpen[i] === 0) {
        approachOpen[i] = 1;
        emit({ type: 'approach', at: t, storeId: stores[i]!.store.id, floor: s.floor });
      } else if (s.near[i] === 2) approachOpen[i] = 0;
    }
    if (s.zone !== undefined && stay === undefined) {
      const thresholdMs = s.zone.zone.dwellThresholdMs ?? dwellThresholdMs;
      stay = { zone: s.zone.zone, storeId: s.zone.storeId, floor: s.floor, entryAt: t, thresholdMs, started: false, nextUpdateAt: Infinity };
    }
    cur = s;
  };

  let curKey = key(cur);
  const visit = (t: number, s: LocState) => {
    const k = key(s);
    if (k !== curKey) {
      apply(t, s);
      curKey = k;
    }
  };

  for (const seg of segments) {
    if (!seg.present) {
      visit(seg.t0, locate(false, seg.floor0, { x: seg.x0, y: seg.y0 }));
      continue;
    }
    const p0 = { x: seg.x0, y: seg.y0 };
    visit(seg.t0, locate(true, seg.floor0, p0));
    if (seg.ride) {
      // Truth holds the departure state for the ride and switches floor on arrival.
      advance(seg.t1);
      visit(seg.t1, locate(true, seg.floor1, { x: seg.x1, y: seg.y1 }));
      continue;
    }
    const len = Math.hypot(seg.x1 - seg.x0, seg.y1 - seg.y0);
    const n = Math.max(1, Math.ceil(len / SAMPLE_STEP_M));
    const at = (f: number) => seg.t0 + (seg.t1 - seg.t0) * f;
    const pos = (f: number) => ({ x: seg.x0 + (seg.x1 - seg.x0) * f, y: seg.y0 + (seg.y1 - seg.y0) * f });
    let fPrev = 0;
    for (let k = 1; k <= n; k++) {
      const f = k / n;
      const s = locate(true, seg.floor0, pos(f));
      if (key(s) !== curKey) {
        // Bisect (fPrev, f] to 0.1 ms so the rounded time of the change is exact to the millisecond.
        let lo = fPrev;
        let hi = f;
        while ((hi - lo) * (seg.t1 - seg.t0) > 0.1) {
          const mid = (lo + hi) / 2;
          if (key(locate(true, seg.floor0, pos(mid))) === curKey) lo = mid;
          else hi = mid;
        }
        visit(at(hi), locate(true, seg.floor0, pos(hi)));
        if (hi < f) visit(at(f), s);
      }
      fPrev = f;
    }
    advance(seg.t1);
  }
  const last = segments[segments.length - 1];
  if (last !== undefined) visit(last.t1, locate(false, last.floor1, { x: last.x1, y: last.y1 }));
  return mergePurchases(events, purchases, base);
}

function mergePurchases(events: TruthEvent[], purchases: readonly PlannedPurchase[], base: { subject: string; memberId?: string }): TruthEvent[] {
  if (purchases.length === 0) return events;
  const out: TruthEvent[] = [];
  const sorted = [...purchases].sort((a, b) => a.at - b.at);
  let j = 0;
  for (const e of events) {
    while (j < sorted.length && Math.round(sorted[j]!.at) < e.at) out.push(purchaseEvent(sorted[j++]!, base));
    out.push(e);
  }
  while (j < sorted.length) out.push(purchaseEvent(sorted[j++]!, base));
  return out;
}

function purchaseEvent(p: PlannedPurchase, base: { subject: string; memberId?: string }): TruthEvent {
  return { type: 'purchase', at: Math.round(p.at), storeId: p.storeId, floor: p.floor, amount: p.amount, ...base };
}
