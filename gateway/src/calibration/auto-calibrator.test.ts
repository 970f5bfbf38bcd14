import { describe, expect, it } from 'vitest';
import { exampleSitePath, loadSiteFile, renderGatewayConfig, type GatewayConfig } from '@storesense/firmware-config';
import { mulberry32 } from '../random.js';
import { AutoCalibrator, type AutoCalibratorOptions, type CalibrationSubject } from './auto-calibrator.js';
import { expectedDbm, spaceAt } from './radio-fit.js';

function config(name: 'boutique' | 'dept-store', gw: string): GatewayConfig {
  const site = loadSiteFile(exampleSitePath(name));
  if (!site.ok) throw new Error(site.error);
  return renderGatewayConfig(site.value, gw);
}

interface Synth {
  /** True reporting bias per receiver (what the gateway should learn, less its mean). */
  biasDb: Map<string, number>;
  wallDb: number;
  noiseDb: number;
  /** Share of readings replaced by a wild value (reflections, a body in the way). */
  outlierShare?: number;
}

/**
 * Phones at random known positions on floor 0 (inside the store and in the corridor), read by every
 * floor-0 receiver with the radio model's mean plus the receiver's bias, a per-phone transmit offset,
 * the wall loss across the storefront and Gaussian noise: independent of the estimator's own grid.
 */
function* phones(cfg: GatewayConfig, s: Synth, n: number, seed: number): Generator<{ at: number; subject: CalibrationSubject }> {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const store = cfg.stores[0]!;
  const b = 'rect' in store.shape ? store.shape.rect : { x: 0, y: 0, w: 10, h: 10 };
  const rxs = cfg.receivers.filter((r) => r.floor === 0);
  for (let i = 0; i < n; i++) {
    const at = i * 1_000;
    const outside = rnd() < 0.3;
    const p = outside ? { x: b.x + rnd() * b.w, y: b.y - 1 - rnd() * 5 } : { x: b.x + 0.5 + rnd() * (b.w - 1), y: b.y + 0.5 + rnd() * (b.h - 1) };
    const tx = 2 * gauss();
    const space = spaceAt(cfg, 0, p);
    const receivers = new Map<string, { fastDbm: number; lastSeenAt: number; count: number }>();
    for (const r of rxs) {
      const h = Math.hypot(r.position.x - p.x, r.position.y - p.y);
      const wall = spaceAt(cfg, 0, r.position) !== space ? s.wallDb : 0;
      let dbm = expectedDbm(r.calibration, h) + tx - wall + (s.biasDb.get(r.id) ?? 0) + s.noiseDb * gauss();
      if (s.outlierShare !== undefined && rnd() < s.outlierShare) dbm += rnd() < 0.5 ? -25 : 20;
      if (dbm < -90) continue;
      // The gateway subtracts the declared offset before the calibrator sees a level.
      receivers.set(r.id, { fastDbm: dbm - r.calibration.rssiOffsetDb, lastSeenAt: at, count: 5 });
    }
    yield { at, subject: { receivers } };
  }
}

function run(cfg: GatewayConfig, s: Synth, n: number, seed = 1, extra: Partial<AutoCalibratorOptions> = {}) {
  const corrections = new Map(cfg.receivers.map((r) => [r.id, -r.calibration.rssiOffsetDb]));
  const cal = new AutoCalibrator({ config: cfg, corrections, sampleEveryMs: 0, publishEveryMs: 10_000, ...extra });
  for (const { at, subject } of phones(cfg, s, n, seed)) {
    // The tracker's levels carry the applied correction, as the live path's do.
    const levels = new Map(
      [...subject.receivers].map(([id, r]) => [
        id,
        { ...r, fastDbm: r.fastDbm + (corrections.get(id)! + cfg.receivers.find((x) => x.id === id)!.calibration.rssiOffsetDb) },
      ]),
    );
    cal.sample(at, [{ receivers: levels }]);
  }
  cal.publish(n * 1_000);
  return { cal, corrections };
}

/** Learned offsets against the true biases (mean-removed over the receivers that learned). */
function errors(cfg: GatewayConfig, cal: AutoCalibrator, truth: Map<string, number>) {
  const snap = cal.snapshot();
  const ids = cfg.receivers.filter((r) => r.floor === 0 && snap.receivers[r.id]!.applied).map((r) => r.id);
  const declared = new Map(cfg.receivers.map((r) => [r.id, r.calibration.rssiOffsetDb]));
  const t = ids.map((id) => (truth.get(id) ?? 0) - declared.get(id)!);
  const tMean = t.reduce((a, x) => a + x, 0) / t.length;
  return { ids, err: ids.map((id, i) => Math.abs(snap.receivers[id]!.learnedDb - (t[i]! - tMean))), snap };
}

const boutique = config('boutique', 'gw-boutique-1');
const plusMinus6 = (cfg: GatewayConfig) => new Map(cfg.receivers.map((r, i) => [r.id, r.calibration.rssiOffsetDb + (i % 2 === 0 ? 6 : -6)]));

describe('AutoCalibrator on synthetic readings from known positions', () => {
  it('recovers ±6 dB receiver biases within 1 dB (storefront wall at its declared 3 dB)', () => {
    const truth = plusMinus6(boutique);
    const { cal } = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5 }, 6_000);
    const { ids, err, snap } = errors(boutique, cal, truth);
    expect(ids.length).toBe(boutique.receivers.length);
    for (const e of err) expect(e).toBeLessThan(1);
    expect(snap.wallDb).toBe(3);
  });

  it('learns nothing wrong on a calibrated site (each within 1 dB of 0)', () => {
    const truth = new Map(boutique.receivers.map((r) => [r.id, r.calibration.rssiOffsetDb]));
    const { cal } = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5 }, 6_000, 2);
    for (const e of errors(boutique, cal, truth).err) expect(e).toBeLessThan(1);
  });

  it('shrugs off 10 % wild readings (Huber): still within 1.5 dB', () => {
    const truth = plusMinus6(boutique);
    const { cal } = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5, outlierShare: 0.1 }, 8_000, 3);
    const { ids, err } = errors(boutique, cal, truth);
    expect(ids.length).toBe(boutique.receivers.length);
    for (const e of err) expect(e).toBeLessThan(1.5);
  });

  it('writes the corrections map only after minEvidence, as −(declared + learned), clamped', () => {
    const truth = new Map(boutique.receivers.map((r, i) => [r.id, r.calibration.rssiOffsetDb + (i === 1 ? 25 : 0)]));
    const declared = new Map(boutique.receivers.map((r) => [r.id, -r.calibration.rssiOffsetDb]));
    const early = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5 }, 40, 4);
    expect(early.cal.snapshot().state).toBe('learning');
    expect(early.corrections).toEqual(declared);
    const late = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5 }, 6_000, 4, { maxOffsetDb: 10 });
    const snap = late.cal.snapshot();
    expect(snap.state).toBe('applied');
    for (const r of boutique.receivers) {
      const c = snap.receivers[r.id]!;
      expect(Math.abs(c.learnedDb)).toBeLessThanOrEqual(10);
      expect(late.corrections.get(r.id)).toBeCloseTo(-c.offsetDb, 0);
    }
    expect(snap.receivers['rx-entrance']!.learnedDb).toBe(10);
  });

  it('is deterministic and keeps per-receiver state only, however many phones pass', () => {
    const truth = plusMinus6(boutique);
    const a = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5 }, 3_000, 5);
    const b = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5 }, 3_000, 5);
    expect(a.cal.snapshot()).toEqual(b.cal.snapshot());
    expect([...a.corrections]).toEqual([...b.corrections]);
    const big = run(boutique, { biasDb: truth, wallDb: 3, noiseDb: 1.5 }, 12_000, 5);
    expect(big.cal.stateEntries).toBe(a.cal.stateEntries);
    expect(a.cal.stateEntries).toBe(boutique.receivers.length);
  });
});
