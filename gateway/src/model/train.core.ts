import { LOCATION_CLASSES } from '../classify/classifier.js';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURES_VERSION } from '../classify/features.js';
import { OnnxClassifier } from '../classify/onnx.classifier.js';
import type { SiteContext } from '../classify/site-context.js';
import { MODEL_INPUT_NAME, MODEL_OUTPUT_NAME } from './contract.js';
import type { LabelledRows } from './dataset.js';
import { fitStandardizer, predictBatch, seededRandom, standardize, toFloat32Params, trainMlp, withStandardizer, type Dataset, type Mlp } from './mlp.js';
import { mlpToOnnx } from './onnx-export.js';

export interface FitOptions {
  seed: number;
  epochs: number;
  hidden?: readonly number[];
  /** Rows kept per class (a seeded sample), so training time stays bounded. */
  maxRowsPerClass?: number;
  learningRate?: number;
  /** Class weight = (share of an even split / class share) ^ balancePower: 0 = none, 1 = fully balanced. */
  balancePower?: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface FittedModel {
  /** Float32-rounded parameters on raw features (standardization as the input step). */
  mlp: Mlp;
  bytes: Uint8Array;
  trainRows: number;
  classCounts: number[];
}

/** Concatenates labelled sets and keeps a seeded sample of at most `max` rows per class. */
export function sampleRows(sets: readonly LabelledRows[], max: number, seed: number): Dataset & { counts: number[] } {
  const byClass: number[][][] = LOCATION_CLASSES.map(() => []);
  sets.forEach((s, si) => {
    for (let r = 0; r < s.rows; r++) byClass[s.y[r]!]!.push([si, r]);
  });
  const rand = seededRandom(seed);
  const picked: number[][] = [];
  for (const list of byClass) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    picked.push(...list.slice(0, max));
  }
  picked.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  const x = new Float32Array(picked.length * FEATURE_COUNT);
  const y = new Uint8Array(picked.length);
  picked.forEach(([si, r], i) => {
    const s = sets[si!]!;
    x.set(s.x.subarray(r! * FEATURE_COUNT, (r! + 1) * FEATURE_COUNT), i * FEATURE_COUNT);
    y[i] = s.y[r!]!;
  });
  return { x, y, rows: picked.length, features: FEATURE_COUNT, counts: byClass.map((l) => Math.min(l.length, max)) };
}

/** Trains the place MLP and serialises it to ONNX (deterministic: same rows + options = same bytes). */
export function fitPlaceModel(sets: readonly LabelledRows[], o: FitOptions, metadata: Record<string, string> = {}): FittedModel {
  const data = sampleRows(sets, o.maxRowsPerClass ?? 40_000, o.seed);
  const k = LOCATION_CLASSES.length;
  const power = o.balancePower ?? 0.5;
  const classWeight = data.counts.map((n) => (n === 0 ? 0 : (data.rows / (k * n)) ** power));
  const weight = new Float32Array(data.rows);
  for (let r = 0; r < data.rows; r++) weight[r] = classWeight[data.y[r]!]!;
  const s = fitStandardizer(data);
  const trained = trainMlp(
    { ...standardize(data, s), weight },
    { hidden: o.hidden ?? [32, 32], classes: k, seed: o.seed, epochs: o.epochs, ...(o.learningRate !== undefined ? { learningRate: o.learningRate } : {}), ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}) },
  );
  const mlp = toFloat32Params(withStandardizer(trained, s));
  const bytes = mlpToOnnx(mlp, {
    inputName: MODEL_INPUT_NAME,
    outputName: MODEL_OUTPUT_NAME,
    docString: 'storesense place classifier: absent / outside_near / inside per subject per tick',
    metadata: {
      features_version: FEATURES_VERSION,
      feature_names: FEATURE_NAMES.join(','),
      classes: LOCATION_CLASSES.join(','),
      hidden: (o.hidden ?? [32, 32]).join(','),
      seed: String(o.seed),
      epochs: String(o.epochs),
      train_rows: String(data.rows),
      ...metadata,
    },
  });
  return { mlp, bytes, trainRows: data.rows, classCounts: data.counts };
}

/**
 * Runs the exported bytes in onnxruntime and the TypeScript forward pass on the same rows;
 * returns the largest absolute difference of any probability.
 */
export function onnxVersusTs(bytes: Uint8Array, mlp: Mlp, site: SiteContext, x: Float32Array, rows: number): number {
  const c = OnnxClassifier.load({ model: bytes, site });
  try {
    let maxDiff = 0;
    const chunk = 4096;
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      const xs = x.subarray(start * FEATURE_COUNT, (start + n) * FEATURE_COUNT);
      const ort = c.runRaw(Float32Array.from(xs), n);
      const ts = predictBatch(mlp, xs, n);
      for (let i = 0; i < ts.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ort[i]! - ts[i]!));
    }
    return maxDiff;
  } finally {
    c.close();
  }
}

export interface TickMetrics {
  rows: number;
  accuracy: number;
  /** Per class (LOCATION_CLASSES order) F1. */
  f1: number[];
  macroF1: number;
  /** confusion[true][predicted] */
  confusion: number[][];
}

export function tickMetrics(y: Uint8Array, predicted: ArrayLike<number>): TickMetrics {
  const k = LOCATION_CLASSES.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < y.length; i++) confusion[y[i]!]![predicted[i]!]! += 1;
  let right = 0;
  const f1 = confusion.map((row, c) => {
    right += row[c]!;
    const tp = row[c]!;
    const fp = confusion.reduce((s, r, t) => s + (t === c ? 0 : r[c]!), 0);
    const fn = row.reduce((s, v, p) => s + (p === c ? 0 : v), 0);
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return { rows: y.length, accuracy: r3(right / Math.max(1, y.length)), f1: f1.map(r3), macroF1: r3(f1.reduce((a, b) => a + b, 0) / k), confusion };
}

/** argmax per row of an [rows, k] probability matrix. */
export function argmaxRows(p: ArrayLike<number>, rows: number, k = LOCATION_CLASSES.length): Uint8Array {
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[r * k + c]! > p[r * k + best]!) best = c;
    out[r] = best;
  }
  return out;
}
