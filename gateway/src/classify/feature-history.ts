import type { SubjectTrack } from '../tracking/tracker.js';

/** How far back the history features look; older samples are dropped. */
export const HISTORY_SPAN_MS = 30_000;

/** One tick's worth of per-subject evidence, as computeFeatures saw it. */
export interface HistorySample {
  at: number;
  /** Strongest entrance receiver above its door-radius level, dB (-40 = none). */
  doorMarginDb: number;
  /** Strongest store-side minus strongest outside receiver (fast EWMA), clamped to ±40 dB. */
  storeMinusOutsideDb: number;
  /** Strongest deep (store-side, not entrance) receiver above the site's approach level, dB (-40 = none). */
  deepOverPresenceDb: number;
  /** 1 when the subject is within approach range of a storefront/entrance receiver. */
  nearDoor: number;
}

/** The history features, in FEATURE_NAMES order (see features.ts). */
export const HISTORY_FEATURE_NAMES = [
  'doorMarginMax20sDb',
  'sinceDoorPeakS',
  'insideEvidenceShare10s',
  'storeMinusOutsideMin5sDb',
  'storeMinusOutsideMean20sDb',
  'deepOverPresenceMax20sDb',
  'nearDoorRunS',
] as const;

/*
 * Why a history at all (features v3): the false arrivals left by v2 were window shoppers standing
 * 1-2.5 m outside and 2-5 m beside the door for 5 s to minutes; fading makes them look inside for
 * a few seconds now and then. A walk-in passes the entrance receiver (a door-margin peak seconds
 * ago) and then stays inside-looking; a window shopper has stood near the door for a while, never
 * peaked at the door, and looks inside only in blips. The instantaneous EWMAs cannot tell these
 * apart; a few tens of seconds of per-tick evidence can.
 *
 * The history lives beside the track (a WeakMap, so it goes when the tracker forgets the track)
 * and is appended to by computeFeatures itself, once per tick. Training and inference both call
 * computeFeatures once per fresh subject per tick through the same pipeline, so they see the same
 * history; a second call at the same `now` replaces that tick's sample (idempotent).
 */
const histories = new WeakMap<SubjectTrack, HistorySample[]>();

/** Records `s` for `track` and returns the history features at `s.at`. */
export function recordAndSummarize(track: SubjectTrack, s: HistorySample): number[] {
  let h = histories.get(track);
  if (!h) {
    h = [];
    histories.set(track, h);
  }
  // Ticks only move forward; a repeated (or, defensively, an earlier) `now` restarts from there.
  while (h.length > 0 && h[h.length - 1]!.at >= s.at) h.pop();
  h.push(s);
  let drop = 0;
  while (drop < h.length && s.at - h[drop]!.at > HISTORY_SPAN_MS) drop += 1;
  if (drop > 0) h.splice(0, drop);
  return summarize(h, s.at);
}

/** The history features over `h` (oldest first, last = now). Pure. */
export function summarize(h: readonly HistorySample[], now: number): number[] {
  let doorMax = -40;
  let doorPeak = -40;
  let doorPeakAt = Number.NaN;
  let inside10 = 0;
  let n10 = 0;
  let min5 = 40;
  let sum20 = 0;
  let n20 = 0;
  let deepMax = -40;
  for (const x of h) {
    const age = now - x.at;
    // The strongest door moment of the whole span (the latest of equals): when did they pass it?
    if (x.doorMarginDb > -40 && x.doorMarginDb >= doorPeak) {
      doorPeak = x.doorMarginDb;
      doorPeakAt = x.at;
    }
    if (age <= 20_000) {
      doorMax = Math.max(doorMax, x.doorMarginDb);
      sum20 += x.storeMinusOutsideDb;
      n20 += 1;
      deepMax = Math.max(deepMax, x.deepOverPresenceDb);
    }
    if (age <= 10_000) {
      n10 += 1;
      if (x.storeMinusOutsideDb > 0) inside10 += 1;
    }
    if (age <= 5_000) min5 = Math.min(min5, x.storeMinusOutsideDb);
  }
  let nearRun = 0;
  for (let i = h.length - 1; i >= 0 && h[i]!.nearDoor > 0; i -= 1) nearRun = now - h[i]!.at;
  return [
    doorMax,
    Number.isNaN(doorPeakAt) ? HISTORY_SPAN_MS / 1000 : (now - doorPeakAt) / 1000,
    n10 === 0 ? 0 : inside10 / n10,
    min5,
    n20 === 0 ? 0 : sum20 / n20,
    deepMax,
    nearRun / 1000,
  ];
}
