import type { SubjectTrack } from '../tracking/tracker.js';

/** How far back the history features look; older samples are overwritten. */
export const PLACE_HISTORY_SPAN_MS = 30_000;
/** Ring capacity: 30 s of 250 ms ticks and one spare. A faster tick rate shortens the span seen, never grows memory. */
const CAPACITY = 128;

/** One tick's geometric evidence for one subject, as computeFeatures saw it (features v4). */
export interface PlaceSample {
  at: number;
  /** Position-fit mass inside the footprint (place-fit.ts). */
  insideMass: number;
  /** Posterior mean depth, metres (positive inside). */
  depthM: number;
  /** Posterior mean distance to the nearest door, metres. */
  doorM: number;
  /** Best door receiver above its door-radius level, dB (-40 = none hears it). */
  doorMarginDb: number;
}

/** The history features, in FEATURE_NAMES order (see features.ts). */
export const PLACE_HISTORY_FEATURE_NAMES = [
  'insideMassMean10s',
  'insideMassMin5s',
  'insideMassMax20s',
  'depthMax20sM',
  'doorMin20sM',
  'sinceDoorMinS',
  'doorMarginMax20sDb',
  'sinceDoorPeakS',
  'insideRunS',
  'nearOutsideRunS',
] as const;
export const PLACE_HISTORY_COUNT = PLACE_HISTORY_FEATURE_NAMES.length;

/*
 * Why (features v3, now on geometric quantities): a walk-in passes a door (the fit's door distance
 * dips, a door receiver peaks) and then stays inside; a window shopper stands near the footprint
 * for a while and looks inside only in blips. The instantaneous fit cannot tell them apart; tens of
 * seconds of the subject's own evidence can. And a run already inside for a few seconds lets the
 * journey machine use a short enter hold (faster arrivals) without trusting single blips.
 *
 * Storage: one typed ring per track (a WeakMap, so it goes with the track): 128 × 24 bytes,
 * no per-tick allocation. A second call at the same `now` replaces that tick's sample.
 */
interface Ring {
  at: Float64Array;
  v: Float32Array;
  /** Index of the newest sample, and how many are held. */
  head: number;
  size: number;
}

const FIELDS = 4;
const rings = new WeakMap<SubjectTrack, Ring>();

/** Records `s` for `track` and writes the history features at `s.at` into `out` from `offset`. */
export function recordPlaceSample(track: SubjectTrack, s: PlaceSample, out: Float32Array, offset: number): void {
  let r = rings.get(track);
  if (!r) {
    r = { at: new Float64Array(CAPACITY), v: new Float32Array(CAPACITY * FIELDS), head: -1, size: 0 };
    rings.set(track, r);
  }
  // Ticks only move forward; a repeated (or, defensively, an earlier) `now` restarts from there.
  while (r.size > 0 && r.at[r.head]! >= s.at) {
    r.head = (r.head - 1 + CAPACITY) % CAPACITY;
    r.size -= 1;
  }
  r.head = (r.head + 1) % CAPACITY;
  r.size = Math.min(CAPACITY, r.size + 1);
  r.at[r.head] = s.at;
  const b = r.head * FIELDS;
  r.v[b] = s.insideMass;
  r.v[b + 1] = s.depthM;
  r.v[b + 2] = s.doorM;
  r.v[b + 3] = s.doorMarginDb;
  summarizeRing(r, s.at, out, offset);
}

function summarizeRing(r: Ring, now: number, out: Float32Array, offset: number): void {
  let mass10 = 0;
  let n10 = 0;
  let min5 = 1;
  let max20 = 0;
  let depthMax = -30;
  let doorMin = 30;
  let doorMinAt = Number.NaN;
  let marginMax = -40;
  let peak = -40;
  let peakAt = Number.NaN;
  let insideRun = 0;
  let nearRun = 0;
  let insideOpen = true;
  let nearOpen = true;
  // Newest first, so the runs are the newest consecutive stretches.
  for (let k = 0, i = r.head; k < r.size; k++, i = (i - 1 + CAPACITY) % CAPACITY) {
    const at = r.at[i]!;
    const age = now - at;
    if (age > PLACE_HISTORY_SPAN_MS) break;
    const b = i * FIELDS;
    const mass = r.v[b]!;
    const depth = r.v[b + 1]!;
    const door = r.v[b + 2]!;
    const margin = r.v[b + 3]!;
    // The strongest door moment of the whole span (the latest of equals: first met going back).
    if (margin > -40 && margin > peak) {
      peak = margin;
      peakAt = at;
    }
    if (door < doorMin) {
      doorMin = door;
      doorMinAt = at;
    }
    if (age <= 20_000) {
      if (mass > max20) max20 = mass;
      if (depth > depthMax) depthMax = depth;
      if (margin > marginMax) marginMax = margin;
    }
    if (age <= 10_000) {
      mass10 += mass;
      n10 += 1;
    }
    if (age <= 5_000 && mass < min5) min5 = mass;
    if (insideOpen) {
      if (mass > 0.5) insideRun = age;
      else insideOpen = false;
    }
    if (nearOpen) {
      if (depth < 0 && door < 8) nearRun = age;
      else nearOpen = false;
    }
  }
  let i = offset;
  out[i++] = n10 === 0 ? 0 : mass10 / n10;
  out[i++] = min5;
  out[i++] = max20;
  out[i++] = depthMax;
  out[i++] = doorMin;
  out[i++] = Number.isNaN(doorMinAt) ? PLACE_HISTORY_SPAN_MS / 1000 : (now - doorMinAt) / 1000;
  out[i++] = marginMax;
  out[i++] = Number.isNaN(peakAt) ? PLACE_HISTORY_SPAN_MS / 1000 : (now - peakAt) / 1000;
  out[i++] = insideRun / 1000;
  out[i++] = nearRun / 1000;
}
