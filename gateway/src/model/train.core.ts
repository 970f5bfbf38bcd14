import { LOCATION_CLASSES } from '../classify/classifier.js';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURES_VERSION } from '../classify/features.js';
import { OnnxClassifier } from '../classify/onnx.classifier.js';
import type { SiteContext } from '../classify/site-context.js';
import { MODEL_INPUT_NAME, MODEL_OUTPUT_NAME, ZONE_INPUT_NAME, ZONE_OUTPUT_NAME } from './contract.js';
import type { LabelledRows, ZoneRows } from './dataset.js';
import { ZONE_FEATURE_COUNT, ZONE_FEATURE_NAMES, ZONE_FEATURES_VERSION } from '../classify/zone-features.js';
import { fitStandardizer, predictBatch, seededRandom, standardize, toFloat32Params, trainMlp, withStandardizer, type Dataset, type Mlp } from './mlp.js';
import { mlpsToOnnx, type OnnxHead } from './onnx-export.js';

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
  /** Zone pair rows: when given, a zone head is trained and exported next to the place head. */
  zone?: readonly ZoneRows[];
  zoneHidden?: readonly number[];
  zoneEpochs?: number;
  /** Pair rows kept for the zone head (a seeded sample), so training time stays bounded. */
  zoneMaxRows?: number;
}

export interface FittedModel {
  /** Float32-rounded parameters on raw features (standardization as the input step). */
  mlp: Mlp;
  /** The zone head (same conventions), when trained. */
  zoneMlp: Mlp | undefined;
  zoneTrainRows: number;
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
    {
      hidden: o.hidden ?? [32, 32],
      classes: k,
      seed: o.seed,
      epochs: o.epochs,
      ...(o.learningRate !== undefined ? { learningRate: o.learningRate } : {}),
      ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
    },
  );
  const mlp = toFloat32Params(withStandardizer(trained, s));
  const heads: OnnxHead[] = [{ mlp, inputName: MODEL_INPUT_NAME, outputName: MODEL_OUTPUT_NAME }];
  let zoneMlp: Mlp | undefined;
  let zoneRows = 0;
  const zoneHidden = o.zoneHidden ?? [24, 24];
  if (o.zone && o.zone.length > 0) {
    const z = fitZoneHead(o.zone, {
      seed: o.seed,
      epochs: o.zoneEpochs ?? 6,
      hidden: zoneHidden,
      maxRows: o.zoneMaxRows ?? 160_000,
      power: o.balancePower ?? 0.5,
      ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
    });
    zoneMlp = z.mlp;
    zoneRows = z.rows;
    heads.push({ mlp: zoneMlp, inputName: ZONE_INPUT_NAME, outputName: ZONE_OUTPUT_NAME, prefix: 'zone_' });
  }
  const bytes = mlpsToOnnx(heads, {
    docString: zoneMlp
      ? 'storesense journey classifier: place (absent / outside_near / inside) per subject, zone score per (subject, candidate zone)'
      : 'storesense place classifier: absent / outside_near / inside per subject per tick',
    metadata: {
      features_version: FEATURES_VERSION,
      feature_names: FEATURE_NAMES.join(','),
      classes: LOCATION_CLASSES.join(','),
      hidden: (o.hidden ?? [32, 32]).join(','),
      seed: String(o.seed),
      epochs: String(o.epochs),
      train_rows: String(data.rows),
      ...(zoneMlp
        ? {
            zone_features_version: ZONE_FEATURES_VERSION,
            zone_feature_names: ZONE_FEATURE_NAMES.join(','),
            zone_hidden: zoneHidden.join(','),
            zone_train_rows: String(zoneRows),
          }
        : {}),
      ...metadata,
    },
  });
  return { mlp, zoneMlp, zoneTrainRows: zoneRows, bytes, trainRows: data.rows, classCounts: data.counts };
}

/**
 * The zone head: a binary MLP over (tick, candidate zone) pair rows, "is this the zone?". Whole
 * ticks (all their candidates) are sampled, seeded, up to `maxRows` pair rows; positives weighted
 * by (negatives / positives)^power.
 */
function fitZoneHead(
  sets: readonly ZoneRows[],
  o: { seed: number; epochs: number; hidden: readonly number[]; maxRows: number; power: number; onEpoch?: (epoch: number, loss: number) => void },
): { mlp: Mlp; rows: number } {
  const groups: [number, number][] = [];
  sets.forEach((z, si) => {
    for (let g = 0; g < z.ticks; g++) groups.push([si, g]);
  });
  const rand = seededRandom(o.seed ^ 0x5a5a5a5a);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [groups[i], groups[j]] = [groups[j]!, groups[i]!];
  }
  const keep: [number, number][] = [];
  let rows = 0;
  for (const gr of groups) {
    const n = sets[gr[0]]!.groups[gr[1] * 4 + 1]!;
    if (rows + n > o.maxRows) break;
    keep.push(gr);
    rows += n;
  }
  keep.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const x = new Float32Array(rows * ZONE_FEATURE_COUNT);
  const y = new Uint8Array(rows);
  let r = 0;
  for (const [si, g] of keep) {
    const z = sets[si]!;
    const first = z.groups[g * 4]!;
    const n = z.groups[g * 4 + 1]!;
    x.set(z.x.subarray(first * ZONE_FEATURE_COUNT, (first + n) * ZONE_FEATURE_COUNT), r * ZONE_FEATURE_COUNT);
    y.set(z.y.subarray(first, first + n), r);
    r += n;
  }
  const pos = y.reduce((a, b) => a + b, 0);
  const posWeight = pos === 0 ? 1 : ((rows - pos) / pos) ** o.power;
  const weight = new Float32Array(rows);
  for (let i = 0; i < rows; i++) weight[i] = y[i] ? posWeight : 1;
  const data: Dataset = { x, y, rows, features: ZONE_FEATURE_COUNT, weight };
  const s = fitStandardizer(data);
  const trained = trainMlp(
    { ...standardize(data, s), weight },
    { hidden: o.hidden, classes: 2, seed: o.seed, epochs: o.epochs, ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}) },
  );
  return { mlp: toFloat32Params(withStandardizer(trained, s)), rows };
}

/** Tick-level zone accuracy over pair rows: the zone head's argmax vs estimateZone's pick. */
export function zoneAccuracy(z: ZoneRows, zoneMlp: Mlp): { ticks: number; model: number; estimate: number } {
  const p = predictBatch(zoneMlp, z.x, z.rows);
  let okModel = 0;
  let okEstimate = 0;
  for (let g = 0; g < z.ticks; g++) {
    const first = z.groups[g * 4]!;
    const n = z.groups[g * 4 + 1]!;
    const truth = z.groups[g * 4 + 2]!;
    let best = 0;
    for (let c = 1; c < n; c++) if (p[(first + c) * 2 + 1]! > p[(first + best) * 2 + 1]!) best = c;
    if (best === truth) okModel += 1;
    if (z.groups[g * 4 + 3] === truth) okEstimate += 1;
  }
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return { ticks: z.ticks, model: r3(okModel / Math.max(1, z.ticks)), estimate: r3(okEstimate / Math.max(1, z.ticks)) };
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
