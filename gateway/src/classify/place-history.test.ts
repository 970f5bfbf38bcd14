import { describe, expect, it } from 'vitest';
import { Tracker } from '../tracking/tracker.js';
import { PLACE_HISTORY_COUNT, PLACE_HISTORY_FEATURE_NAMES, recordPlaceSample, type PlaceSample } from './place-history.js';

const T0 = 1_700_000_000_000;
const track = () => new Tracker().observe({ v: 1, at: T0, source: 'ble', receiverId: 'rx', subject: 's', rssiDbm: -60 });
const outside = { insideMass: 0.1, depthM: -3, doorM: 5, doorMarginDb: -40 };
function record(t: ReturnType<typeof track>, s: PlaceSample): Record<string, number> {
  const out = new Float32Array(PLACE_HISTORY_COUNT);
  recordPlaceSample(t, s, out, 0);
  return Object.fromEntries(PLACE_HISTORY_FEATURE_NAMES.map((n, i) => [n, out[i]!]));
}

describe('place history (features v4)', () => {
  it('tells a walk-in (door passage, then inside) from a window shopper (near the door, inside blips)', () => {
    const walkIn = track();
    const shopper = track();
    let w: Record<string, number> = {};
    let s: Record<string, number> = {};
    for (let t = 0; t <= 20_000; t += 250) {
      const at = T0 + t;
      w = record(
        walkIn,
        t < 12_000
          ? { at, ...outside }
          : t < 13_000
            ? { at, insideMass: 0.6, depthM: 0.2, doorM: 0.5, doorMarginDb: 6 }
            : { at, insideMass: 0.9, depthM: 2, doorM: 4, doorMarginDb: -5 },
      );
      s = record(shopper, { at, ...outside, insideMass: t % 4_000 < 500 ? 0.7 : 0.1, doorM: 3 });
    }
    expect(w.insideRunS).toBeCloseTo(8, 6);
    expect(w.doorMarginMax20sDb).toBeCloseTo(6, 6);
    expect(w.sinceDoorPeakS).toBeCloseTo(7.25, 6);
    expect(w.doorMin20sM).toBeCloseTo(0.5, 6);
    expect(w.depthMax20sM).toBeCloseTo(2, 6);
    expect(w.nearOutsideRunS).toBe(0);
    expect(s.insideRunS).toBe(0);
    expect(s.doorMarginMax20sDb).toBe(-40);
    expect(s.nearOutsideRunS).toBeCloseTo(20, 6);
    expect(s.insideMassMean10s).toBeLessThan(0.3);
    expect(w.insideMassMin5s).toBeCloseTo(0.9, 6);
  });

  it('keeps one sample per tick (a repeated tick replaces it), forgets samples older than 30 s and never grows past its ring', () => {
    const t = track();
    record(t, { at: T0, ...outside, doorMarginDb: 9 });
    const first = record(t, { at: T0 + 250, ...outside });
    expect(record(t, { at: T0 + 250, ...outside })).toEqual(first);
    expect(first.doorMarginMax20sDb).toBe(9);
    expect(record(track(), { at: T0 + 250, ...outside }).doorMarginMax20sDb).toBe(-40);
    expect(record(t, { at: T0 + 31_000, ...outside }).sinceDoorPeakS).toBe(30);
    // A 10 ms tick rate: the ring holds the last 128 ticks, whatever the rate.
    let last: Record<string, number> = {};
    for (let k = 0; k < 1_000; k++) last = record(t, { at: T0 + 40_000 + k * 10, ...outside, insideMass: 0.9 });
    expect(last.insideRunS).toBeCloseTo(1.27, 6);
  });
});
