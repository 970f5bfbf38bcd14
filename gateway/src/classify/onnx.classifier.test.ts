import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { runOffline } from '../offline.js';
import { MODEL_INPUT_NAME, MODEL_OUTPUT_NAME, ZONE_INPUT_NAME, ZONE_OUTPUT_NAME } from '../model/contract.js';
import { initMlp, predict, type Mlp } from '../model/mlp.js';
import { mlpsToOnnx, mlpToOnnx, onnxMetadata, withOnnxMetadata, type MlpOnnxOptions } from '../model/onnx-export.js';
import { Pipeline } from '../pipeline.js';
import { adverts, boutiqueConfig } from '../testing/fixtures.js';
import { Tracker } from '../tracking/tracker.js';
import { ClassifierUnavailableError, createClassifier } from './create-classifier.js';
import { computeFeatures, FEATURE_COUNT, FEATURES_VERSION, type FeatureWindow } from './features.js';
import { estimateFloor } from './rules.classifier.js';
import { ZONE_FEATURE_COUNT, zoneCandidates } from './zone-features.js';
import { DECISION_METADATA_KEY, ModelRejectedError, OnnxClassifier, parseDecision, runWithPublicApi } from './onnx.classifier.js';
import { siteContext } from './site-context.js';

const T0 = 1_700_000_000_000;
const config = boutiqueConfig();
const ctx = siteContext(config);
const dir = mkdtempSync(join(tmpdir(), 'onnx-classifier-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const okOptions: MlpOnnxOptions = { inputName: MODEL_INPUT_NAME, outputName: MODEL_OUTPUT_NAME };
const tinyMlp = (inputs: number = FEATURE_COUNT, classes = 3, seed = 3): Mlp => {
  const m = initMlp(inputs, [8], classes, seed);
  // Standardization as in trained models: raw dBm / seconds scaled to O(1).
  return { ...m, shift: new Float64Array(inputs).fill(80), scale: new Float64Array(inputs).fill(0.05) };
};

/** Feature windows of a few subjects walking past, into and inside the fixture boutique. */
function windows(): FeatureWindow[] {
  const tracker = new Tracker({ rssiCorrectionDb: ctx.rssiCorrectionDb });
  const obs = [
    ...adverts('a', T0, T0 + 6_000, { 'rx-front': -72, 'rx-door': -86 }),
    ...adverts('b', T0, T0 + 6_000, { 'rx-door': -60, 'rx-sales': -75 }),
    ...adverts('c', T0, T0 + 6_000, { 'rx-sales': -58, 'rx-till': -80 }),
  ].sort((x, y) => x.at - y.at);
  for (const o of obs) tracker.observe(o);
  return [...tracker.all()].map((t) => computeFeatures(t, T0 + 6_000, ctx));
}

describe('OnnxClassifier', () => {
  it('runs a whole tick in one batch and matches the TypeScript forward pass to 1e-5', () => {
    const mlp = tinyMlp();
    const c = OnnxClassifier.load({ model: mlpToOnnx(mlp, okOptions), site: ctx });
    const ws = windows();
    const probs = c.classify(ws);
    expect(probs.map((p) => p.subject)).toEqual(ws.map((w) => w.subject));
    ws.forEach((w, i) => {
      const ts = predict(mlp, w.values);
      const p = probs[i]!;
      expect(Math.abs(p.absent - ts[0]!)).toBeLessThan(1e-5);
      expect(Math.abs(p.outsideNear - ts[1]!)).toBeLessThan(1e-5);
      expect(Math.abs(p.inside - ts[2]!)).toBeLessThan(1e-5);
      expect(p.absent + p.outsideNear + p.inside).toBeCloseTo(1, 5);
    });
    expect(c.name).toBe('onnx');
    expect(c.version).toMatch(new RegExp(`^f${FEATURES_VERSION}-[0-9a-f]{12}$`));
    c.close();
  });

  it('its synchronous native path gives what the public async InferenceSession.run gives', async () => {
    const bytes = mlpToOnnx(tinyMlp(), okOptions);
    const c = OnnxClassifier.load({ model: bytes, site: ctx });
    const ws = windows();
    const x = new Float32Array(ws.length * FEATURE_COUNT);
    ws.forEach((w, i) => x.set(w.values, i * FEATURE_COUNT));
    const sync = c.runRaw(x, ws.length);
    const pub = await runWithPublicApi(bytes, x, ws.length);
    expect(Array.from(sync)).toEqual(Array.from(pub));
    c.close();
  });

  it.each([
    [
      'a wrong input name',
      mlpToOnnx(tinyMlp(), { ...okOptions, inputName: 'features' }),
      new RegExp(`input .*name "features".*expected input features_v${FEATURES_VERSION}_`),
    ],
    [
      'a model for another feature list',
      mlpToOnnx(tinyMlp(), { ...okOptions, inputName: `features_v${FEATURES_VERSION}_00000000` }),
      new RegExp(`name "features_v${FEATURES_VERSION}_00000000"`),
    ],
    ['the wrong feature count', mlpToOnnx(tinyMlp(FEATURE_COUNT - 2), okOptions), new RegExp(`width ${FEATURE_COUNT - 2}`)],
    ['a fixed batch size', mlpToOnnx(tinyMlp(), { ...okOptions, inputDims: [1, FEATURE_COUNT] }), /fixed batch dimension 1/],
    ['float64 tensors', mlpToOnnx(tinyMlp(), { ...okOptions, elemType: 'double' }), /element type 11/],
    ['four output classes', mlpToOnnx(tinyMlp(FEATURE_COUNT, 4), okOptions), /output .*width 4/],
    ['a wrong output name', mlpToOnnx(tinyMlp(), { ...okOptions, outputName: 'probs' }), /output .*name "probs"/],
    ['bytes that are no model', new TextEncoder().encode('not an onnx model'), /onnxruntime cannot load the model/],
  ])('refuses %s at load with a clear message', (_what, bytes, message) => {
    expect(() => OnnxClassifier.load({ model: bytes, site: ctx })).toThrow(ModelRejectedError);
    expect(() => OnnxClassifier.load({ model: bytes, site: ctx })).toThrow(message);
  });

  it('createClassifier(onnx) loads modelPath, and names the path when it cannot', () => {
    const path = join(dir, 'ok.onnx');
    writeFileSync(path, mlpToOnnx(tinyMlp(), okOptions));
    const c = createClassifier({ ...config, classifier: { kind: 'onnx', modelPath: path } });
    expect(c.name).toBe('onnx');
    void c.close?.();
    const missing = join(dir, 'missing.onnx');
    expect(() => createClassifier({ ...config, classifier: { kind: 'onnx', modelPath: missing } })).toThrow(ClassifierUnavailableError);
    expect(() => createClassifier({ ...config, classifier: { kind: 'onnx', modelPath: missing } })).toThrow(/missing\.onnx.*cannot read model/);
  });

  it('when the model fails at run time, the pipeline runs that tick with the rules fallback', () => {
    const onnx = OnnxClassifier.load({ model: mlpToOnnx(tinyMlp(), okOptions), site: ctx });
    onnx.close(); // every run now throws
    const fallback = createClassifier(config, 'rules');
    const pipeline = new Pipeline({ config, classifier: onnx, fallback, logger: silentLogger() });
    const obs = adverts('walker', T0, T0 + 20_000, { 'rx-front': -66, 'rx-door': -84 });
    let i = 0;
    const drafts = [];
    for (let now = T0; now <= T0 + 20_000; now += config.tickMs) {
      while (i < obs.length && obs[i]!.at <= now) pipeline.ingest(obs[i++]!);
      drafts.push(...pipeline.tick(now));
    }
    expect(pipeline.stats().classifierErrors).toBeGreaterThan(0);
    expect(drafts.map((d) => d.type)).toContain('approach');
    expect(drafts.every((d) => d.model.name === 'rules')).toBe(true);
  });
});

describe('decision settings carried in the model metadata', () => {
  it('parses valid settings and refuses unknown keys, non-numbers and out-of-range values', () => {
    expect(parseDecision(undefined)).toBeUndefined();
    expect(parseDecision('{"minProb":0.6,"enterHoldMs":500}')).toEqual({ minProb: 0.6, enterHoldMs: 500 });
    expect(() => parseDecision('{"minProb":0.2}')).toThrow(ModelRejectedError);
    expect(() => parseDecision('{"floorHoldMs":100}')).toThrow(/unknown setting "floorHoldMs"/);
    expect(() => parseDecision('{"leaveHoldMs":"1s"}')).toThrow(ModelRejectedError);
    expect(() => parseDecision('not json')).toThrow(/not JSON/);
  });

  it('withOnnxMetadata adds an entry without touching the graph; the classifier exposes it and the pipeline applies it', () => {
    const plain = mlpToOnnx(tinyMlp(), { ...okOptions, metadata: { seed: '3' } });
    const tuned = withOnnxMetadata(plain, { [DECISION_METADATA_KEY]: JSON.stringify({ minProb: 0.55, enterHoldMs: 750 }) });
    expect(onnxMetadata(tuned)).toEqual({ seed: '3', decision: '{"minProb":0.55,"enterHoldMs":750}' });
    const a = OnnxClassifier.load({ model: plain, site: ctx });
    const b = OnnxClassifier.load({ model: tuned, site: ctx });
    try {
      expect(a.decision).toBeUndefined();
      expect(b.decision).toEqual({ minProb: 0.55, enterHoldMs: 750 });
      const x = Float32Array.from(windows().flatMap((w) => [...w.values]));
      expect(b.runRaw(x, 3)).toEqual(a.runRaw(x, 3));
      // The pipeline's machine settings: defaults, then the classifier's decision, then explicit overrides.
      const settingsOf = (p: Pipeline) => (p as unknown as { settings: { minProb: number; enterHoldMs: number; leaveHoldMs: number } }).settings;
      const s = settingsOf(new Pipeline({ config, classifier: b, logger: silentLogger(), hold: { leaveHoldMs: 1_000 } }));
      expect([s.minProb, s.enterHoldMs, s.leaveHoldMs]).toEqual([0.55, 750, 1_000]);
      expect(settingsOf(new Pipeline({ config, classifier: createClassifier(config, 'rules'), logger: silentLogger() })).minProb).toBe(0.7);
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses a model whose decision settings are invalid', () => {
    const bad = withOnnxMetadata(mlpToOnnx(tinyMlp(), okOptions), { [DECISION_METADATA_KEY]: '{"minProb":2}' });
    expect(() => OnnxClassifier.load({ model: bad, site: ctx })).toThrow(/minProb=2 is outside/);
  });
});

describe('OnnxClassifier with a zone head', () => {
  const zoneMlp = (inputs = ZONE_FEATURE_COUNT, seed = 5): Mlp => ({
    ...initMlp(inputs, [6], 2, seed),
    shift: new Float64Array(inputs),
    scale: new Float64Array(inputs).fill(0.2),
  });
  // A place head that always says "inside", so every subject gets a zone decision.
  const insideMlp = (): Mlp => {
    const m = tinyMlp();
    m.layers[m.layers.length - 1]!.b[2] = 50;
    return m;
  };
  const twoHeads = (zone: { inputName?: string; inputs?: number } = {}) =>
    mlpsToOnnx(
      [
        { mlp: insideMlp(), inputName: MODEL_INPUT_NAME, outputName: MODEL_OUTPUT_NAME },
        { mlp: zoneMlp(zone.inputs), inputName: zone.inputName ?? ZONE_INPUT_NAME, outputName: ZONE_OUTPUT_NAME, prefix: 'zone_' },
      ],
      {},
    );

  it('picks, for a subject inside, the candidate zone the zone head scores highest (one run for both heads)', () => {
    const c = OnnxClassifier.load({ model: twoHeads(), site: ctx });
    expect(c.hasZoneHead).toBe(true);
    const ws = windows();
    const probs = c.classify(ws);
    let checked = 0;
    ws.forEach((w, i) => {
      const p = probs[i]!;
      if (p.inside < 0.2) return expect(p.zoneId).toBeUndefined();
      const cand = zoneCandidates(w, estimateFloor(w, 3).floor, ctx);
      if (!cand) return;
      const scores = cand.zoneIds.map((_, k) => predict(zoneMlp(), cand.values.subarray(k * ZONE_FEATURE_COUNT, (k + 1) * ZONE_FEATURE_COUNT))[1]!);
      const best = scores.indexOf(Math.max(...scores));
      expect(p.zoneId).toBe(cand.zoneIds[best]);
      expect(p.zoneConfidence).toBeCloseTo(scores[best]! / scores.reduce((a, b) => a + b, 0), 4);
      checked += 1;
    });
    expect(checked).toBeGreaterThan(0);
    c.close();
  });

  it.each([
    ['a wrong zone input name', twoHeads({ inputName: 'zone_features' }), /no zone_features_v/],
    ['the wrong zone feature count', twoHeads({ inputs: ZONE_FEATURE_COUNT + 1 }), new RegExp(`width ${ZONE_FEATURE_COUNT + 1}`)],
  ])('refuses %s at load with a clear message', (_what, bytes, message) => {
    expect(() => OnnxClassifier.load({ model: bytes, site: ctx })).toThrow(ModelRejectedError);
    expect(() => OnnxClassifier.load({ model: bytes, site: ctx })).toThrow(message);
  });
});

describe('the packaged model (gateway/model/journey-mlp.onnx)', () => {
  it("matches this build's feature contract (retrain after changing FEATURE_NAMES: node gateway/dist/model/train.js)", () => {
    const c = createClassifier({ ...config, classifier: { kind: 'onnx' } });
    expect(c.name).toBe('onnx');
    void c.close?.();
  });

  it('gives identical runOffline output twice (deterministic offline evaluation)', () => {
    const obs = [
      ...adverts('shopper', T0, T0 + 5_000, { 'rx-front': -72, 'rx-door': -86 }),
      ...adverts('shopper', T0 + 5_000, T0 + 8_000, { 'rx-front': -78, 'rx-door': -60, 'rx-sales': -75 }),
      ...adverts('shopper', T0 + 8_000, T0 + 40_000, { 'rx-front': -90, 'rx-door': -76, 'rx-sales': -58, 'rx-till': -80 }),
      ...adverts('shopper', T0 + 40_000, T0 + 44_000, { 'rx-front': -75, 'rx-door': -62, 'rx-sales': -80 }),
      ...adverts('shopper', T0 + 44_000, T0 + 50_000, { 'rx-front': -66, 'rx-door': -84 }),
      ...adverts('passer', T0 + 2_000, T0 + 6_000, { 'rx-front': -78 }),
    ];
    const run = () => {
      const c = createClassifier({ ...config, classifier: { kind: 'onnx' } });
      try {
        return runOffline(config, obs, { classifier: c, seed: 3, drainMs: config.journey.exitAbsenceMs + 5_000 });
      } finally {
        void c.close?.();
      }
    };
    const a = run();
    expect(a.map((e) => e.type)).toContain('arrival');
    expect(a.every((e) => e.model.name === 'onnx')).toBe(true);
    expect(run()).toEqual(a);
  });
});
