import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { Tracker } from '../tracking/tracker.js';
import { HISTORY_FEATURE_NAMES, HISTORY_SPAN_MS, recordAndSummarize, summarize, type HistorySample } from './feature-history.js';

/*
 * The typed ring buffer (decision 51) must give exactly the features of the sample-object history
 * it replaced. This is that history, kept here only as the reference (features v3, commit e553fbb).
 */
function referenceSummarize(h: readonly HistorySample[], now: number): number[] {
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

function referenceRecord(h: HistorySample[], s: HistorySample): number[] {
  while (h.length > 0 && h[h.length - 1]!.at >= s.at) h.pop();
  h.push(s);
  let drop = 0;
  while (drop < h.length && s.at - h[drop]!.at > HISTORY_SPAN_MS) drop += 1;
  if (drop > 0) h.splice(0, drop);
  return referenceSummarize(h, s.at);
}

/** Random per-tick evidence with the shapes real tracks have: ties, -40 floors, runs, gaps, repeated ticks. */
function randomSamples(seed: number, ticks: number): HistorySample[] {
  const rnd = mulberry32(seed);
  const pick = (choices: number) => Math.floor(rnd() * choices);
  // Some tracks hold a value for several ticks (no fresh advert: the EWMA does not move), some use a coarse grid (ties).
  const value = (lo: number, hi: number, prev: number): number => {
    const u = pick(10);
    if (u < 2) return prev;
    if (u < 4) return Math.round((lo + rnd() * (hi - lo)) * 2) / 2;
    if (u === 4) return lo;
    return lo + rnd() * (hi - lo);
  };
  let at = 1_700_000_000_000 + pick(1000);
  let door = -40;
  let smo = 0;
  let deep = -40;
  let near = 0;
  const out: HistorySample[] = [];
  for (let t = 0; t < ticks; t++) {
    const g = pick(100);
    at += g < 80 ? 250 : g < 90 ? 250 * (2 + pick(16)) : g < 94 ? 0 : g < 97 ? -250 * (1 + pick(4)) : g < 99 ? 20_000 + pick(15_000) : 1 + pick(249);
    door = pick(3) === 0 ? -40 : value(-40, 15, door);
    smo = pick(12) === 0 ? 0 : value(-40, 40, smo);
    deep = pick(3) === 0 ? -40 : value(-40, 25, deep);
    if (pick(8) === 0) near = 1 - near;
    out.push({ at, doorMarginDb: door, storeMinusOutsideDb: smo, deepOverPresenceDb: deep, nearDoor: near });
  }
  return out;
}

const f32 = (v: number[]) => Array.from(Float32Array.from(v));

describe('feature history ring buffer against the sample-object reference', () => {
  it('gives bit-identical features on 4,000 random tracks x 160 ticks (repeated and earlier ticks, gaps, ties)', () => {
    const tracker = new Tracker();
    const mismatches: string[] = [];
    let compared = 0;
    const a = new Float32Array(HISTORY_FEATURE_NAMES.length);
    const b = new Float32Array(HISTORY_FEATURE_NAMES.length);
    for (let seed = 1; seed <= 4000; seed++) {
      const track = tracker.observe({ v: 1, at: 1, source: 'ble', receiverId: 'rx', subject: `s${seed}`, rssiDbm: -60 });
      const ref: HistorySample[] = [];
      for (const s of randomSamples(seed, 160)) {
        const want = referenceRecord(ref, s);
        const got = recordAndSummarize(track, { ...s });
        a.set(got);
        b.set(want);
        // The feature vector is float32: equal there bit for bit; every feature but the float32 deep column also equal as doubles.
        for (let i = 0; i < a.length; i++) {
          const exact = HISTORY_FEATURE_NAMES[i] === 'deepOverPresenceMax20sDb' || Object.is(got[i], want[i]);
          if (!Object.is(a[i], b[i]) || !exact) mismatches.push(`seed ${seed} at ${s.at} ${HISTORY_FEATURE_NAMES[i]}: ${got[i]} != ${want[i]}`);
        }
        compared += 1;
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBe(4000 * 160);
  }, 120_000);

  it('summarize() over a list equals the reference on random lists and times', () => {
    const rnd = mulberry32(7);
    for (let seed = 1; seed <= 3000; seed++) {
      const list = randomSamples(100_000 + seed, 1 + Math.floor(rnd() * 150));
      const now = list[list.length - 1]!.at + Math.floor(rnd() * 3) * 250;
      expect(f32(summarize(list, now))).toEqual(f32(referenceSummarize(list, now)));
    }
  });
});
