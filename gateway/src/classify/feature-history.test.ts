import { describe, expect, it } from 'vitest';
import { Tracker } from '../tracking/tracker.js';
import { HISTORY_FEATURE_NAMES, recordAndSummarize, summarize, type HistorySample } from './feature-history.js';

const T0 = 1_700_000_000_000;
const sample = (at: number, over: Partial<HistorySample> = {}): HistorySample => ({
  at,
  doorMarginDb: -40,
  storeMinusOutsideDb: -10,
  deepOverPresenceDb: -40,
  nearDoor: 0,
  ...over,
});
const named = (v: number[]) => Object.fromEntries(HISTORY_FEATURE_NAMES.map((n, i) => [n, v[i]]));

describe('feature history', () => {
  it('tells a walk-in (door peak, then steady inside) from a window shopper (near the door, inside blips)', () => {
    const walkIn: HistorySample[] = [];
    const shopper: HistorySample[] = [];
    for (let t = 0; t <= 20_000; t += 250) {
      walkIn.push(
        sample(
          T0 + t,
          t < 12_000
            ? { nearDoor: 1 }
            : t < 14_000
              ? { doorMarginDb: 6, nearDoor: 1, storeMinusOutsideDb: 2 }
              : { storeMinusOutsideDb: 8, deepOverPresenceDb: 5 },
        ),
      );
      shopper.push(sample(T0 + t, { nearDoor: 1, storeMinusOutsideDb: t % 4_000 < 500 ? 3 : -6 }));
    }
    const w = named(summarize(walkIn, T0 + 20_000));
    const s = named(summarize(shopper, T0 + 20_000));
    expect(w.insideEvidenceShare10s).toBeCloseTo(33 / 41, 6); // inside from 12 s: 33 of the last 41 ticks
    expect(w).toMatchObject({ doorMarginMax20sDb: 6, sinceDoorPeakS: 6.25, storeMinusOutsideMin5sDb: 8, deepOverPresenceMax20sDb: 5, nearDoorRunS: 0 });
    expect(s).toMatchObject({ doorMarginMax20sDb: -40, sinceDoorPeakS: 30, storeMinusOutsideMin5sDb: -6, deepOverPresenceMax20sDb: -40, nearDoorRunS: 20 });
    expect(s.insideEvidenceShare10s).toBeGreaterThan(0);
    expect(s.insideEvidenceShare10s).toBeLessThan(0.3);
  });

  it('keeps one sample per tick per track (a repeated tick replaces it) and forgets samples older than 30 s', () => {
    const track = new Tracker().observe({ v: 1, at: T0, source: 'ble', receiverId: 'rx', subject: 's', rssiDbm: -60 });
    const other = new Tracker().observe({ v: 1, at: T0, source: 'ble', receiverId: 'rx', subject: 's', rssiDbm: -60 });
    recordAndSummarize(track, sample(T0, { doorMarginDb: 9 }));
    const first = recordAndSummarize(track, sample(T0 + 250, { storeMinusOutsideDb: 4 }));
    expect(recordAndSummarize(track, sample(T0 + 250, { storeMinusOutsideDb: 4 }))).toEqual(first);
    expect(named(first).doorMarginMax20sDb).toBe(9);
    // Another track has its own history.
    expect(named(recordAndSummarize(other, sample(T0 + 250))).doorMarginMax20sDb).toBe(-40);
    const late = named(recordAndSummarize(track, sample(T0 + 31_000)));
    expect(late.doorMarginMax20sDb).toBe(-40);
    expect(late.sinceDoorPeakS).toBe(30);
  });
});
