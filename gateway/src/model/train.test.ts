import * as fc from 'fast-check';
import type { Observation, TruthEvent } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { computeFeatures, FEATURE_COUNT, FEATURES_VERSION, FRESH_MS } from '../classify/features.js';
import { siteContext } from '../classify/site-context.js';
import { boutiqueConfig } from '../testing/fixtures.js';
import { Tracker } from '../tracking/tracker.js';
import { collectFeatureRows, type LabelledRows } from './dataset.js';
import { ABSENT, IGNORE, INSIDE, OUTSIDE_NEAR, TruthLabels, ZoneTruth } from './labels.js';
import { estimateFloor } from '../classify/rules.classifier.js';
import { zoneCandidates } from '../classify/zone-features.js';
import { seededRandom } from './mlp.js';
import { onnxMetadata } from './onnx-export.js';
import { fitPlaceModel, onnxVersusTs } from './train.core.js';

const T0 = 1_700_000_000_000;
const config = boutiqueConfig();
const ctx = siteContext(config);
const RECEIVERS = config.receivers.map((r) => r.id);

/** A tiny synthetic labelled set: the class is decided by two features, plus noise. */
function tinySet(rows: number, seed: number): LabelledRows {
  const rand = seededRandom(seed);
  const x = new Float32Array(rows * FEATURE_COUNT);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < FEATURE_COUNT; f++) x[r * FEATURE_COUNT + f] = -100 + 60 * rand();
    const a = x[r * FEATURE_COUNT]!;
    const b = x[r * FEATURE_COUNT + 1]!;
    y[r] = a > -60 ? INSIDE : b > -70 ? OUTSIDE_NEAR : ABSENT;
  }
  return { x, y, rulesY: new Uint8Array(rows), floor: new Float64Array(rows).fill(Number.NaN), rows, ignored: 0 };
}

describe('place model training', () => {
  it('is deterministic: the same data and seed give the same ONNX bytes; another seed does not', () => {
    const data = [tinySet(300, 1)];
    const a = fitPlaceModel(data, { seed: 5, epochs: 3 });
    const b = fitPlaceModel(data, { seed: 5, epochs: 3 });
    const c = fitPlaceModel(data, { seed: 6, epochs: 3 });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(Buffer.from(a.bytes).equals(Buffer.from(c.bytes))).toBe(false);
    expect(onnxMetadata(a.bytes)).toMatchObject({ features_version: FEATURES_VERSION, classes: 'absent,outside_near,inside', seed: '5' });
  });

  it('learns the tiny task, and onnxruntime gives the TypeScript forward pass to 1e-5', () => {
    const train = tinySet(600, 2);
    const test = tinySet(300, 3);
    const m = fitPlaceModel([train], { seed: 1, epochs: 20 });
    expect(onnxVersusTs(m.bytes, m.mlp, ctx, test.x, test.rows)).toBeLessThan(1e-5);
  });
});

describe('training features', () => {
  const obsArb = fc.array(
    fc.record({
      dtMs: fc.integer({ min: 0, max: 3_000 }),
      subject: fc.constantFrom('p1', 'p2', 'p3'),
      receiverId: fc.constantFrom(...RECEIVERS),
      rssiDbm: fc.integer({ min: -100, max: -40 }),
    }),
    { minLength: 1, maxLength: 120 },
  );

  it('are exactly computeFeatures over the tracker at each 250 ms tick (the inference function), for any observations', () => {
    fc.assert(
      fc.property(obsArb, (steps) => {
        let at = T0;
        const obs: Observation[] = steps.map((s) => {
          at += s.dtMs;
          return { v: 1, at, source: 'ble', receiverId: s.receiverId, subject: s.subject, rssiDbm: s.rssiDbm };
        });
        const rows = collectFeatureRows(config, obs, () => true);
        // Independent recomputation: a separate tracker fed everything heard up to each row's tick,
        // ticks in order, computeFeatures once per (subject, tick) as the gateway does (features v3
        // carry the subject's own history, so the rows must also agree on what came before).
        const tracker = new Tracker({ rssiCorrectionDb: ctx.rssiCorrectionDb });
        let fed = 0;
        for (const row of rows) {
          for (; fed < obs.length && obs[fed]!.at <= row.at; fed += 1) tracker.observe(obs[fed]!);
          const track = tracker.get(row.subject)!;
          expect(row.at % config.tickMs).toBe(0);
          expect(row.at - track.lastRadioAt!).toBeLessThanOrEqual(FRESH_MS);
          const w = computeFeatures(track, row.at, ctx);
          expect(Array.from(row.values)).toEqual(Array.from(w.values));
          // The zone head's candidate rows too: what OnnxClassifier computes for the same window.
          const cand = zoneCandidates(w, estimateFloor(w, 3).floor, ctx);
          expect(row.zone && { zoneIds: row.zone.zoneIds, values: Array.from(row.zone.values) }).toEqual(
            cand && { zoneIds: cand.zoneIds, values: Array.from(cand.values) },
          );
        }
        // Every fresh subject at every tick got a row (none skipped).
        const expected = new Set<string>();
        const first = Math.ceil(obs[0]!.at / config.tickMs) * config.tickMs;
        for (let now = first; now <= obs[obs.length - 1]!.at + config.tickMs; now += config.tickMs) {
          const last = new Map<string, number>();
          for (const o of obs) if (o.at <= now) last.set(o.subject, o.at);
          for (const [s, t] of last) if (now - t <= FRESH_MS) expected.add(`${s}@${now}`);
        }
        expect(new Set(rows.map((r) => `${r.subject}@${r.at}`))).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });
});

describe('TruthLabels', () => {
  const ev = (type: TruthEvent['type'], s: number, extra: Partial<TruthEvent> = {}): TruthEvent => ({
    type,
    at: T0 + s * 1000,
    subject: 'p',
    storeId: 'boutique',
    ...extra,
  });
  it('derives inside / near / ignored / absent from a visit and a pass', () => {
    const labels = new TruthLabels([ev('approach', 10), ev('arrival', 16, { floor: 0 }), ev('exit', 100), ev('approach', 300)], { storeId: 'boutique' });
    const at = (s: number) => labels.at('p', T0 + s * 1000).label;
    expect(at(0)).toBe(ABSENT);
    expect(at(8)).toBe(IGNORE); // just before the approach
    expect(at(12)).toBe(OUTSIDE_NEAR); // walking in
    expect(at(16)).toBe(IGNORE); // the door crossing
    expect(at(18)).toBe(INSIDE);
    expect(labels.at('p', T0 + 50_000).floor).toBe(0);
    expect(at(101)).toBe(IGNORE); // the door crossing
    expect(at(102)).toBe(OUTSIDE_NEAR);
    expect(at(110)).toBe(IGNORE);
    expect(at(200)).toBe(ABSENT);
    expect(at(302)).toBe(OUTSIDE_NEAR); // a pass: near for a few seconds
    expect(at(320)).toBe(IGNORE);
    expect(at(400)).toBe(ABSENT);
    expect(labels.at('someone-else', T0).label).toBe(ABSENT);
  });
});

describe('ZoneTruth', () => {
  const ev = (type: TruthEvent['type'], s: number, extra: Partial<TruthEvent> = {}): TruthEvent => ({
    type,
    at: T0 + s * 1000,
    subject: 'p',
    storeId: 'boutique',
    ...extra,
  });
  it('knows the zone only inside dwell stays (entry = start − dwellMs), less a margin at both ends', () => {
    const zt = new ZoneTruth(
      [
        ev('arrival', 0),
        ev('dwell', 40, { phase: 'start', zoneId: 'a', dwellMs: 30_000 }),
        ev('dwell', 70, { phase: 'end', zoneId: 'a', dwellMs: 60_000 }),
        ev('dwell', 110, { phase: 'start', zoneId: 'b', dwellMs: 30_000 }),
        ev('exit', 150),
      ],
      { storeId: 'boutique', marginMs: 4_000 },
    );
    const at = (s: number) => zt.at('p', T0 + s * 1000)?.zoneId;
    expect(at(5)).toBeUndefined(); // walking in: no stay long enough to be known
    expect(at(12)).toBeUndefined(); // within the margin after the entry at 10 s
    expect(at(15)).toBe('a');
    expect(at(65)).toBe('a');
    expect(at(67)).toBeUndefined(); // within the margin before leaving at 70 s
    expect(at(76)).toBeUndefined(); // between the stays (b was entered at 110 − 30 = 80 s)
    expect(at(100)).toBe('b'); // open stay closed by the exit
    expect(at(147)).toBeUndefined();
    expect(zt.at('someone-else', T0 + 20_000)).toBeUndefined();
  });
});
