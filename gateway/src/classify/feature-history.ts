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
export const HISTORY_FEATURE_COUNT = HISTORY_FEATURE_NAMES.length;

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

/** Ring capacity a new track starts with; grows ×1.5 (16, 24, 36, 54, 81, 121: 30 s of 250 ms ticks). */
const INITIAL_CAPACITY = 16;

/**
 * One track's samples, oldest first, in typed columns of one ArrayBuffer (decision 51): 121
 * sample objects cost 16.7 KB per subject; this ring 4.2 KB (3.5 KB of columns; heap delta over 5,000 tracks). Column types are chosen so that the
 * features are bit-identical to the object version: `at` and every value that is summed or whose
 * ties decide something (door margin: the latest of equal peaks) stay float64; a value used only
 * through max/min/sign (deep) is float32, which commutes with the float32 feature vector (rounding
 * is monotone); a 0/1 flag is a byte. A new history field: add it to HistorySample, give it a
 * column here (float64 unless it is only compared), and read it in summarizeRing.
 */
export class HistoryRing {
  private capacity = 0;
  private start = 0;
  /** Samples held. */
  length = 0;
  at = new Float64Array(0);
  doorMarginDb = new Float64Array(0);
  storeMinusOutsideDb = new Float64Array(0);
  deepOverPresenceDb = new Float32Array(0);
  nearDoor = new Uint8Array(0);

  /** Storage index of the k-th oldest sample (0 ≤ k < length). */
  index(k: number): number {
    const j = this.start + k;
    return j >= this.capacity ? j - this.capacity : j;
  }

  /** Drops the newest samples while they are at or after `at` (ticks move forward; a repeated tick replaces its sample). */
  dropNewerOrEqual(at: number): void {
    while (this.length > 0 && this.at[this.index(this.length - 1)]! >= at) this.length -= 1;
  }

  /** Appends `s` as the newest sample, as it is. */
  append(s: HistorySample): void {
    if (this.length === this.capacity) this.grow();
    const j = this.index(this.length);
    this.at[j] = s.at;
    this.doorMarginDb[j] = s.doorMarginDb;
    this.storeMinusOutsideDb[j] = s.storeMinusOutsideDb;
    this.deepOverPresenceDb[j] = s.deepOverPresenceDb;
    this.nearDoor[j] = s.nearDoor > 0 ? 1 : 0;
    this.length += 1;
  }

  /** Drops samples more than `spanMs` older than `now`, oldest first. */
  dropOlderThan(now: number, spanMs: number): void {
    while (this.length > 0 && now - this.at[this.start]! > spanMs) {
      this.start = this.start + 1 === this.capacity ? 0 : this.start + 1;
      this.length -= 1;
    }
  }

  private grow(): void {
    const capacity = this.capacity === 0 ? INITIAL_CAPACITY : this.capacity + (this.capacity >> 1);
    // One buffer: three float64 columns, then float32, then bytes (offsets stay aligned).
    const buf = new ArrayBuffer(capacity * (3 * 8 + 4 + 1));
    const at = new Float64Array(buf, 0, capacity);
    const door = new Float64Array(buf, capacity * 8, capacity);
    const smo = new Float64Array(buf, capacity * 16, capacity);
    const deep = new Float32Array(buf, capacity * 24, capacity);
    const near = new Uint8Array(buf, capacity * 28, capacity);
    for (let k = 0; k < this.length; k++) {
      const j = this.index(k);
      at[k] = this.at[j]!;
      door[k] = this.doorMarginDb[j]!;
      smo[k] = this.storeMinusOutsideDb[j]!;
      deep[k] = this.deepOverPresenceDb[j]!;
      near[k] = this.nearDoor[j]!;
    }
    this.at = at;
    this.doorMarginDb = door;
    this.storeMinusOutsideDb = smo;
    this.deepOverPresenceDb = deep;
    this.nearDoor = near;
    this.capacity = capacity;
    this.start = 0;
  }
}

const histories = new WeakMap<SubjectTrack, HistoryRing>();

/** Records `s` for `track` and returns the history features at `s.at`. */
export function recordAndSummarize(track: SubjectTrack, s: HistorySample): number[] {
  const out = new Array<number>(HISTORY_FEATURE_COUNT);
  recordAndSummarizeInto(track, s, out, 0);
  return out;
}

/** recordAndSummarize writing the features into `out` from `offset` (no allocation per tick). */
export function recordAndSummarizeInto(track: SubjectTrack, s: HistorySample, out: { [i: number]: number }, offset: number): void {
  let h = histories.get(track);
  if (!h) {
    h = new HistoryRing();
    histories.set(track, h);
  }
  // Samples at or after s.at, then those older than the span, then s: the same set as dropping after
  // the append, but a full ring of 30 s never grows for the one sample about to go.
  h.dropNewerOrEqual(s.at);
  h.dropOlderThan(s.at, HISTORY_SPAN_MS);
  h.append(s);
  summarizeRing(h, s.at, out, offset);
}

/** The history features over `h` (oldest first, last = now). Pure. */
export function summarize(h: readonly HistorySample[], now: number): number[] {
  const ring = new HistoryRing();
  // As given: a caller's list is taken as it is, without the forward-only rule of recordAndSummarize.
  for (const s of h) ring.append(s);
  const out = new Array<number>(HISTORY_FEATURE_COUNT);
  summarizeRing(ring, now, out, 0);
  return out;
}

/** The history features over ring `h` at `now`, written into `out` from `offset`. */
export function summarizeRing(h: HistoryRing, now: number, out: { [i: number]: number }, offset: number): void {
  let doorMax = -40;
  let doorPeak = -40;
  let doorPeakAt = Number.NaN;
  let inside10 = 0;
  let n10 = 0;
  let min5 = 40;
  let sum20 = 0;
  let n20 = 0;
  let deepMax = -40;
  const n = h.length;
  for (let k = 0; k < n; k++) {
    const j = h.index(k);
    const at = h.at[j]!;
    const door = h.doorMarginDb[j]!;
    const smo = h.storeMinusOutsideDb[j]!;
    const age = now - at;
    // The strongest door moment of the whole span (the latest of equals): when did they pass it?
    if (door > -40 && door >= doorPeak) {
      doorPeak = door;
      doorPeakAt = at;
    }
    if (age <= 20_000) {
      doorMax = Math.max(doorMax, door);
      sum20 += smo;
      n20 += 1;
      deepMax = Math.max(deepMax, h.deepOverPresenceDb[j]!);
    }
    if (age <= 10_000) {
      n10 += 1;
      if (smo > 0) inside10 += 1;
    }
    if (age <= 5_000) min5 = Math.min(min5, smo);
  }
  let nearRun = 0;
  for (let k = n - 1; k >= 0; k -= 1) {
    const j = h.index(k);
    if (h.nearDoor[j] === 0) break;
    nearRun = now - h.at[j]!;
  }
  out[offset] = doorMax;
  out[offset + 1] = Number.isNaN(doorPeakAt) ? HISTORY_SPAN_MS / 1000 : (now - doorPeakAt) / 1000;
  out[offset + 2] = n10 === 0 ? 0 : inside10 / n10;
  out[offset + 3] = min5;
  out[offset + 4] = n20 === 0 ? 0 : sum20 / n20;
  out[offset + 5] = deepMax;
  out[offset + 6] = nearRun / 1000;
}
