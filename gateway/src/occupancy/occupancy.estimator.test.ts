import { describe, expect, it } from 'vitest';
import { OccupancyEstimator, type OccupancyMinute, type OccupancyPeriod, type ProbeSample } from './occupancy.estimator.js';
import { rssiGateDbm, type OccupancySettingsInput } from './occupancy.settings.js';
import { isTimerScanner, scanPeriod } from './scan-timing.js';

const T0 = Date.UTC(2024, 1, 29, 14, 0, 0);
const MIN = 60_000;

/** Deterministic jitter in [-1, 1] (no Math.random in tests). */
const jitter = (i: number) => Math.sin(i * 12.9898) % 1;

function run(
  samples: ProbeSample[],
  settings: OccupancySettingsInput = {},
  untilMs?: number,
): { minutes: OccupancyMinute[]; periods: OccupancyPeriod[]; est: OccupancyEstimator } {
  const est = new OccupancyEstimator(settings);
  const periods: OccupancyPeriod[] = [];
  for (const s of [...samples].sort((a, b) => a.atMs - b.atMs)) periods.push(...est.observe(s));
  if (untilMs !== undefined) periods.push(...est.advanceTo(untilMs));
  return { minutes: periods.filter((p): p is OccupancyMinute => p.kind === 'minute'), periods, est };
}

/** A handheld: bursts of 2 frames at irregular gaps (20 s .. 4 min). */
function phone(subject: string, fromMs: number, toMs: number, opts: Partial<ProbeSample> = {}, seed = 1): ProbeSample[] {
  const out: ProbeSample[] = [];
  let t = fromMs;
  let i = seed;
  while (t < toMs) {
    out.push({ atMs: t, subject, randomized: false, rssiDbm: -55, ...opts }, { atMs: t + 30, subject, randomized: false, rssiDbm: -56, ...opts });
    t += 20_000 + Math.abs(jitter(i++)) * 220_000;
  }
  return out;
}

/** A fixed computer: a burst every 60 s ± 0.3 s. */
function timerPc(subject: string, fromMs: number, toMs: number, periodMs = 60_000): ProbeSample[] {
  const out: ProbeSample[] = [];
  for (let t = fromMs, i = 0; t < toMs; t += periodMs + jitter(i++) * 300)
    out.push({ atMs: t, subject, randomized: false, rssiDbm: -50 }, { atMs: t + 40, subject, randomized: false, rssiDbm: -51 });
  return out;
}

const at = (minutes: OccupancyMinute[], ms: number) => minutes.find((m) => m.startMs === ms)!;

describe('scan timing', () => {
  it('finds the period of a timer, with missed scans, and refuses irregular gaps', () => {
    const timer = [60_100, 59_900, 120_200, 60_000, 59_800, 60_300, 180_100, 60_000];
    expect(scanPeriod(timer, { minPeriodMs: 30_000, toleranceMs: 2_000, minGaps: 8, minShare: 0.75 }).share).toBe(1);
    expect(isTimerScanner(timer, { minPeriodMs: 30_000, toleranceMs: 2_000, minGaps: 8, minShare: 0.75 })).toBe(true);
    const hand = [21_000, 95_000, 47_000, 230_000, 33_000, 71_000, 150_000, 64_000];
    expect(isTimerScanner(hand, { minPeriodMs: 30_000, toleranceMs: 2_000, minGaps: 8, minShare: 0.75 })).toBe(false);
    // A phone scanning every 5 s with its screen on is active, not a machine timer (period floor).
    expect(isTimerScanner(Array(10).fill(5_000), { minPeriodMs: 30_000, toleranceMs: 2_000, minGaps: 8, minShare: 0.75 })).toBe(false);
  });
});

describe('OccupancyEstimator', () => {
  it('the range gate comes from the receiver calibration and the store radius', () => {
    expect(rssiGateDbm({ refRssiAt1mDbm: -45, pathLossExponent: 3 }, 10)).toBeCloseTo(-75, 6);
    expect(new OccupancyEstimator({ calibration: { refRssiAt1mDbm: -59, pathLossExponent: 2 }, radiusM: 10 }).gateDbm).toBeCloseTo(-79, 6);
  });

  it('counts a phone in range and not one beyond the store radius', () => {
    const near = phone('s_near', T0, T0 + 30 * MIN);
    const far = phone('s_far', T0, T0 + 30 * MIN, { rssiDbm: -90 }, 7);
    const { minutes } = run([...near, ...far], { radiusM: 8 });
    expect(at(minutes, T0 + 20 * MIN).occupancy).toBe(1);
    expect(at(minutes, T0 + 20 * MIN).framesOutOfRange).toBeGreaterThanOrEqual(0);
    const farOnly = run(far, { radiusM: 8 });
    expect(farOnly.minutes.every((m) => m.occupancy === 0)).toBe(true);
  });

  it('learns a timer-scanning computer as fixed and never counts it, beside a counted phone', () => {
    const { minutes, est } = run([...timerPc('s_pc', T0, T0 + 60 * MIN), ...phone('s_phone', T0, T0 + 60 * MIN)]);
    expect(minutes.every((m) => m.occupancy <= 1)).toBe(true);
    expect(at(minutes, T0 + 40 * MIN).occupancy).toBe(1);
    expect(at(minutes, T0 + 40 * MIN).fixedExcluded).toBe(1);
    expect(est.stats().fixedLearned).toBe(1);
  });

  it('learns a device present for hours as fixed (long presence)', () => {
    const { minutes } = run(phone('s_staff', T0, T0 + 8 * 60 * MIN), { maxVisitMs: 2 * 60 * MIN });
    expect(at(minutes, T0 + 60 * MIN).occupancy).toBe(1);
    expect(at(minutes, T0 + 3 * 60 * MIN).occupancy).toBe(0);
  });

  it('merges per-scan rotating addresses of one fingerprint into one phone, and counts concurrent ones', () => {
    // One phone: a new random address (and a fresh sequence number) every scan, a scan a minute.
    const rotating = (prefix: string, offsetMs: number, n: number): ProbeSample[] =>
      Array.from({ length: n }, (_, i) => ({
        atMs: T0 + offsetMs + i * MIN,
        subject: `${prefix}${i}`,
        randomized: true,
        rssiDbm: -60,
        seq: (i * 977) % 4096,
        ieFp: 'aaaaaaaaaaaaaaaa',
      }));
    const one = run(rotating('s_a', 5_000, 30));
    expect(at(one.minutes, T0 + 20 * MIN).occupancy).toBe(1);
    expect(at(one.minutes, T0 + 20 * MIN).addressesInRange).toBe(1);
    const three = run([...rotating('s_a', 5_000, 30), ...rotating('s_b', 25_000, 30), ...rotating('s_c', 45_000, 30)]);
    expect(at(three.minutes, T0 + 20 * MIN).occupancy).toBe(3);
    // Another model is another phone even with the same timing.
    const other = run([...rotating('s_a', 5_000, 30), ...rotating('s_x', 5_000, 30).map((s) => ({ ...s, ieFp: 'bbbbbbbbbbbbbbbb' }))]);
    expect(at(other.minutes, T0 + 20 * MIN).occupancy).toBe(2);
  });

  it('links a rotated stable address by sequence-number continuity; without continuity it is a second phone', () => {
    const stable = (subject: string, fromMs: number, n: number, seq0: number): ProbeSample[] =>
      Array.from({ length: n }, (_, i) => ({
        atMs: fromMs + i * 30_000 + (i === 0 ? 0 : jitter(i) * 9_000),
        subject,
        randomized: true,
        rssiDbm: -60,
        seq: (seq0 + i * 3) % 4096,
        ieFp: 'cccccccccccccccc',
      }));
    const a = stable('s_a', T0, 20, 4000); // 10 min, a scan every 30 s
    const lastSeq = (4000 + 19 * 3) % 4096;
    const linked = run([...a, ...stable('s_b', T0 + 10 * MIN, 20, (lastSeq + 3) % 4096)]);
    const unlinked = run([...a, ...stable('s_b', T0 + 10 * MIN, 20, (lastSeq + 2000) % 4096)]);
    // Minute ending T0+11 min: A (last heard 9.5 min) is still within its window.
    expect(at(linked.minutes, T0 + 10 * MIN).occupancy).toBe(1);
    expect(at(unlinked.minutes, T0 + 10 * MIN).occupancy).toBe(2);
  });

  it('reports unique visitors per hour and closes empty minutes from advanceTo', () => {
    const samples = [...phone('s_1', T0 + 5 * MIN, T0 + 20 * MIN), ...phone('s_2', T0 + 30 * MIN, T0 + 50 * MIN, {}, 3)];
    const { periods, minutes } = run(samples, {}, T0 + 2 * 60 * MIN);
    const hours = periods.filter((p) => p.kind === 'hour');
    expect(hours[0]).toEqual({ kind: 'hour', startMs: T0, uniqueVisitors: 2 });
    expect(hours[1]).toEqual({ kind: 'hour', startMs: T0 + 60 * MIN, uniqueVisitors: 0 });
    expect(at(minutes, T0 + 90 * MIN).occupancy).toBe(0);
    expect(
      minutes.every((m) =>
        Object.keys(m).every((k) => ['kind', 'startMs', 'occupancy', 'addressesInRange', 'fixedExcluded', 'frames', 'framesOutOfRange'].includes(k)),
      ),
    ).toBe(true);
  });

  it('keeps memory bounded: at most maxDevices addresses tracked', () => {
    const samples = Array.from({ length: 5_000 }, (_, i) => ({
      atMs: T0 + i * 100,
      subject: `s_${i}`,
      randomized: true,
      rssiDbm: -60,
      seq: i % 4096,
      ieFp: `${(i % 50).toString(16).padStart(16, '0')}`,
    }));
    const { est } = run(samples, { maxDevices: 500 });
    expect(est.stats().trackedDevices).toBeLessThanOrEqual(500);
  });
});
