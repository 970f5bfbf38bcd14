import type { TruthEvent } from '@storesense/protocol';

/** Class indices in LOCATION_CLASSES order, plus IGNORE for ticks whose true place is uncertain. */
export const ABSENT = 0;
export const OUTSIDE_NEAR = 1;
export const INSIDE = 2;
export const IGNORE = 255;
/** Internal: an ignored stretch that beats every label (the door crossing itself). */
const HARD_IGNORE = 254;

/**
 * How truth events become per-tick place labels. The truth file has events, not positions, so
 * some stretches are not known for sure; those ticks are IGNOREd rather than guessed:
 * - inside: [arrival, exit) (open-ended without an exit); floor from the arrival's floor and
 *   later floor_changes;
 * - outside_near: [approach, arrival) when the arrival follows within `walkInMs`, else the first
 *   `nearAfterApproachMs` after an approach (a passer-by crosses the 8 m circle in ~10 s);
 *   the first `nearAfterExitMs` after an exit;
 * - ignored: `boundaryMs` either side of arrival and exit (the door crossing itself), the rest of a
 *   passer-by's first `passByMs`, `afterExitUnsureMs` after an exit, and `beforeEventMs` before an
 *   approach or arrival;
 * - absent: everything else (far from this store's entrances, or in another store).
 */
export interface LabelOptions {
  storeId: string | undefined;
  walkInMs?: number;
  nearAfterApproachMs?: number;
  passByMs?: number;
  nearAfterExitMs?: number;
  afterExitUnsureMs?: number;
  boundaryMs?: number;
  beforeEventMs?: number;
}

interface Interval {
  from: number;
  to: number;
  label: number;
  floor?: number;
}

/** Per-subject label timelines built from truth events. */
export class TruthLabels {
  private readonly bySubject = new Map<string, Interval[]>();

  constructor(truth: readonly TruthEvent[], o: LabelOptions) {
    const walkIn = o.walkInMs ?? 30_000;
    const nearAfterApproach = o.nearAfterApproachMs ?? 5_000;
    const passBy = o.passByMs ?? 30_000;
    const nearAfterExit = o.nearAfterExitMs ?? 4_000;
    const unsureAfterExit = o.afterExitUnsureMs ?? 20_000;
    const boundary = o.boundaryMs ?? 1_500;
    const before = o.beforeEventMs ?? 3_000;
    const events = new Map<string, TruthEvent[]>();
    for (const e of truth) {
      if (o.storeId !== undefined && e.storeId !== undefined && e.storeId !== o.storeId) continue;
      const list = events.get(e.subject) ?? [];
      list.push(e);
      events.set(e.subject, list);
    }
    for (const [subject, list] of events) {
      list.sort((a, b) => a.at - b.at);
      const iv: Interval[] = [];
      const arrivals = list.filter((e) => e.type === 'arrival');
      for (const [k, e] of list.entries()) {
        if (e.type === 'arrival') {
          const exit = list.slice(k + 1).find((x) => x.type === 'exit');
          let floor = e.floor;
          let from = e.at;
          for (const f of list.slice(k + 1)) {
            if (exit && f.at >= exit.at) break;
            if (f.type === 'floor_change') {
              iv.push({ from, to: f.at, label: INSIDE, ...(floor !== undefined ? { floor } : {}) });
              from = f.at;
              floor = f.toFloor;
            }
          }
          iv.push({ from, to: exit?.at ?? Infinity, label: INSIDE, ...(floor !== undefined ? { floor } : {}) });
          iv.push({ from: e.at - boundary, to: e.at + boundary, label: HARD_IGNORE });
          iv.push({ from: e.at - before, to: e.at, label: IGNORE });
        } else if (e.type === 'exit') {
          iv.push({ from: e.at - boundary, to: e.at + boundary, label: HARD_IGNORE });
          iv.push({ from: e.at, to: e.at + nearAfterExit, label: OUTSIDE_NEAR });
          iv.push({ from: e.at, to: e.at + unsureAfterExit, label: IGNORE });
        } else if (e.type === 'approach') {
          const arrival = arrivals.find((a) => a.at >= e.at);
          iv.push({ from: e.at - before, to: e.at, label: IGNORE });
          if (arrival && arrival.at - e.at <= walkIn) iv.push({ from: e.at, to: arrival.at, label: OUTSIDE_NEAR });
          else {
            iv.push({ from: e.at, to: e.at + nearAfterApproach, label: OUTSIDE_NEAR });
            iv.push({ from: e.at, to: e.at + passBy, label: IGNORE });
          }
        }
      }
      this.bySubject.set(subject, iv);
    }
  }

  /**
   * The label at `at`. Where intervals overlap: the door crossing (ignored) beats INSIDE beats
   * OUTSIDE_NEAR beats the unsure stretches (ignored) beat ABSENT.
   */
  at(subject: string, at: number): { label: number; floor: number | undefined } {
    const iv = this.bySubject.get(subject);
    if (!iv) return { label: ABSENT, floor: undefined };
    let best = ABSENT;
    let floor: number | undefined;
    const rank = (l: number) => (l === HARD_IGNORE ? 4 : l === INSIDE ? 3 : l === OUTSIDE_NEAR ? 2 : l === IGNORE ? 1 : 0);
    for (const i of iv) {
      if (at >= i.from && at < i.to && rank(i.label) > rank(best)) {
        best = i.label;
        floor = i.floor;
      }
    }
    return { label: best === HARD_IGNORE ? IGNORE : best, floor };
  }
}

/**
 * The true store zone at a tick, where the truth pins it down: a dwell (start ... end) says the
 * subject was in that zone from start.at − start.dwellMs to end.at (or the exit / the end of the
 * trace). Shorter passes through a zone have no events and stay unknown. `marginMs` is cut from
 * both ends of a stay (the smoothed evidence lags the crossing by a few seconds).
 */
export class ZoneTruth {
  private readonly bySubject = new Map<string, { from: number; to: number; zoneId: string; floor: number | undefined }[]>();

  constructor(truth: readonly TruthEvent[], o: { storeId: string | undefined; marginMs?: number }) {
    const margin = o.marginMs ?? 4_000;
    const open = new Map<string, { from: number; zoneId: string; floor: number | undefined }>();
    const sorted = [...truth].sort((a, b) => a.at - b.at);
    const close = (subject: string, to: number) => {
      const s = open.get(subject);
      if (!s) return;
      open.delete(subject);
      if (to - margin > s.from + margin) {
        const list = this.bySubject.get(subject) ?? [];
        list.push({ from: s.from + margin, to: to - margin, zoneId: s.zoneId, floor: s.floor });
        this.bySubject.set(subject, list);
      }
    };
    for (const e of sorted) {
      if (o.storeId !== undefined && e.storeId !== undefined && e.storeId !== o.storeId) continue;
      if (e.type === 'dwell' && e.phase === 'start' && e.zoneId !== undefined) {
        close(e.subject, e.at);
        open.set(e.subject, { from: e.at - (e.dwellMs ?? 0), zoneId: e.zoneId, floor: e.floor });
      } else if ((e.type === 'dwell' && e.phase === 'end') || e.type === 'exit') close(e.subject, e.at);
    }
    for (const subject of [...open.keys()]) close(subject, Number.POSITIVE_INFINITY);
  }

  /** The zone the subject is known to be in at `at`, else undefined. */
  at(subject: string, at: number): { zoneId: string; floor: number | undefined } | undefined {
    const s = this.bySubject.get(subject)?.find((i) => at >= i.from && at < i.to);
    return s && { zoneId: s.zoneId, floor: s.floor };
  }
}
