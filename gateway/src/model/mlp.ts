import { mulberry32 } from '../random.js';
/**
 * A small multilayer perceptron in plain TypeScript: dense layers with ReLU between them and a
 * softmax at the end, trained with Adam on a weighted cross-entropy. Deterministic: the only
 * randomness is a seeded PRNG (weights and minibatch order), and every sum runs in a fixed order,
 * so the same data and seed give the same weights bit for bit.
 */

export interface DenseLayer {
  /** Row-major [inputs, outputs] (ONNX MatMul layout: x[N, in] · W[in, out]). */
  w: Float64Array;
  b: Float64Array;
  inputs: number;
  outputs: number;
}

export interface Mlp {
  layers: DenseLayer[];
  /**
   * Optional input standardization, applied first: x' = (x + shift) * scale (exported as ONNX
   * Add + Mul). Kept as its own step rather than folded into the first layer: folding multiplies
   * raw dBm values by 1/std and cancels large terms, which float32 inference cannot reproduce to 1e-5.
   */
  shift?: Float64Array;
  scale?: Float64Array;
}

export interface TrainOptions {
  hidden: readonly number[];
  classes: number;
  seed: number;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  /** L2 weight decay (added to the gradient). */
  l2?: number;
  /** Called after each epoch with the mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface Dataset {
  /** Row-major [rows, features]. */
  x: Float32Array;
  /** Class index per row. */
  y: Uint8Array;
  /** Per-row weight (class balancing); default 1. */
  weight?: Float32Array;
  rows: number;
  features: number;
}

/** Small seeded PRNG (mulberry32), the same one offline runs use for ids. */
export const seededRandom = mulberry32;

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** He-initialised layers (ReLU), zero biases. */
export function initMlp(inputs: number, hidden: readonly number[], classes: number, seed: number): Mlp {
  const rand = seededRandom(seed);
  const sizes = [inputs, ...hidden, classes];
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nIn = sizes[l]!;
    const nOut = sizes[l + 1]!;
    const w = new Float64Array(nIn * nOut);
    const scale = Math.sqrt(2 / nIn);
    for (let i = 0; i < w.length; i++) w[i] = gaussian(rand) * scale;
    layers.push({ w, b: new Float64Array(nOut), inputs: nIn, outputs: nOut });
  }
  return { layers };
}

function dense(layer: DenseLayer, x: Float64Array, out: Float64Array): void {
  const { w, b, inputs, outputs } = layer;
  for (let o = 0; o < outputs; o++) out[o] = b[o]!;
  for (let i = 0; i < inputs; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * outputs;
    for (let o = 0; o < outputs; o++) out[o]! += xi * w[row + o]!;
  }
}

function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    z[i] = Math.exp(z[i]! - max);
    sum += z[i]!;
  }
  for (let i = 0; i < z.length; i++) z[i]! /= sum;
}

/** Forward pass of one row: class probabilities. */
export function predict(mlp: Mlp, row: ArrayLike<number>): Float64Array {
  let a = Float64Array.from(row as ArrayLike<number>);
  if (mlp.shift && mlp.scale) for (let i = 0; i < a.length; i++) a[i] = (a[i]! + mlp.shift[i]!) * mlp.scale[i]!;
  mlp.layers.forEach((layer, l) => {
    const z = new Float64Array(layer.outputs);
    dense(layer, a, z);
    if (l < mlp.layers.length - 1) for (let i = 0; i < z.length; i++) z[i] = Math.max(0, z[i]!);
    a = z;
  });
  softmaxInPlace(a);
  return a;
}

/** Forward pass of a row-major batch [rows, features] -> [rows, classes]. */
export function predictBatch(mlp: Mlp, x: Float32Array, rows: number): Float64Array {
  const inputs = mlp.layers[0]!.inputs;
  const classes = mlp.layers[mlp.layers.length - 1]!.outputs;
  const out = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) out.set(predict(mlp, x.subarray(r * inputs, (r + 1) * inputs)), r * classes);
  return out;
}

export interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
}

/** Per-feature mean and standard deviation (std floored at 1, the features' unit: a constant feature, e.g. a role the site lacks, stays near 0 instead of being blown up). */
export function fitStandardizer(d: Dataset): Standardizer {
  const mean = new Float64Array(d.features);
  const std = new Float64Array(d.features);
  for (let r = 0; r < d.rows; r++) for (let f = 0; f < d.features; f++) mean[f]! += d.x[r * d.features + f]!;
  for (let f = 0; f < d.features; f++) mean[f]! /= Math.max(1, d.rows);
  for (let r = 0; r < d.rows; r++) for (let f = 0; f < d.features; f++) std[f]! += (d.x[r * d.features + f]! - mean[f]!) ** 2;
  for (let f = 0; f < d.features; f++) std[f] = Math.max(1, Math.sqrt(std[f]! / Math.max(1, d.rows)));
  return { mean, std };
}

/** Attaches a standardizer as the model's input step: x' = (x − mean) / std. */
export function withStandardizer(mlp: Mlp, s: Standardizer): Mlp {
  return { ...mlp, shift: s.mean.map((m) => -m), scale: s.std.map((d) => 1 / d) };
}

/** Rounds every parameter to float32 (what the ONNX file stores), so TS and ONNX run the same numbers. */
export function toFloat32Params(mlp: Mlp): Mlp {
  const f32 = (v: Float64Array) => Float64Array.from(Float32Array.from(v));
  return {
    layers: mlp.layers.map((l) => ({ ...l, w: f32(l.w), b: f32(l.b) })),
    ...(mlp.shift && mlp.scale ? { shift: f32(mlp.shift), scale: f32(mlp.scale) } : {}),
  };
}

/**
 * One row's forward pass and backpropagation: `acts[0]` holds the (standardized) input row; adds
 * `wt` × the gradient of its cross-entropy to `gw`/`gb` (per layer, same layout as the weights)
 * and returns `wt` × its loss. Exported for the gradient check in mlp.test.ts, which compares it
 * with finite differences of `predict` on a tiny net.
 */
export function backpropRow(mlp: Mlp, acts: Float64Array[], deltas: Float64Array[], gw: Float64Array[], gb: Float64Array[], y: number, wt: number): number {
  const L = mlp.layers.length;
  for (let l = 0; l < L; l++) {
    dense(mlp.layers[l]!, acts[l]!, acts[l + 1]!);
    if (l < L - 1) {
      const a = acts[l + 1]!;
      for (let i = 0; i < a.length; i++) a[i] = Math.max(0, a[i]!);
    }
  }
  const p = acts[L]!;
  softmaxInPlace(p);
  const loss = -wt * Math.log(Math.max(p[y]!, 1e-12));
  const dOut = deltas[L - 1]!;
  for (let c = 0; c < p.length; c++) dOut[c] = wt * (p[c]! - (c === y ? 1 : 0));
  for (let l = L - 1; l >= 0; l--) {
    const layer = mlp.layers[l]!;
    const delta = deltas[l]!;
    const aIn = acts[l]!;
    const gwl = gw[l]!;
    const gbl = gb[l]!;
    for (let oo = 0; oo < layer.outputs; oo++) gbl[oo]! += delta[oo]!;
    for (let i = 0; i < layer.inputs; i++) {
      const ai = aIn[i]!;
      if (ai === 0) continue;
      const row = i * layer.outputs;
      for (let oo = 0; oo < layer.outputs; oo++) gwl[row + oo]! += ai * delta[oo]!;
    }
    if (l > 0) {
      const prev = deltas[l - 1]!;
      for (let i = 0; i < layer.inputs; i++) {
        if (aIn[i]! <= 0) {
          prev[i] = 0;
          continue;
        }
        let s = 0;
        const row = i * layer.outputs;
        for (let oo = 0; oo < layer.outputs; oo++) s += layer.w[row + oo]! * delta[oo]!;
        prev[i] = s;
      }
    }
  }
  return loss;
}

/** Minibatch Adam on weighted cross-entropy. Input rows should already be standardized. */
export function trainMlp(d: Dataset, o: TrainOptions): Mlp {
  const mlp = initMlp(d.features, o.hidden, o.classes, o.seed);
  const rand = seededRandom(o.seed ^ 0x9e3779b9);
  const batch = o.batchSize ?? 64;
  const lr = o.learningRate ?? 1e-3;
  const l2 = o.l2 ?? 1e-5;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const L = mlp.layers.length;
  const gw = mlp.layers.map((l) => new Float64Array(l.w.length));
  const gb = mlp.layers.map((l) => new Float64Array(l.b.length));
  const mw = mlp.layers.map((l) => new Float64Array(l.w.length));
  const vw = mlp.layers.map((l) => new Float64Array(l.w.length));
  const mb = mlp.layers.map((l) => new Float64Array(l.b.length));
  const vb = mlp.layers.map((l) => new Float64Array(l.b.length));
  const acts = [d.features, ...mlp.layers.map((l) => l.outputs)].map((n) => new Float64Array(n));
  const deltas = mlp.layers.map((l) => new Float64Array(l.outputs));
  const order = new Uint32Array(d.rows);
  for (let i = 0; i < d.rows; i++) order[i] = i;
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = d.rows - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let lossSum = 0;
    let weightSum = 0;
    for (let start = 0; start < d.rows; start += batch) {
      const end = Math.min(d.rows, start + batch);
      for (let l = 0; l < L; l++) {
        gw[l]!.fill(0);
        gb[l]!.fill(0);
      }
      let bw = 0;
      for (let k = start; k < end; k++) {
        const r = order[k]!;
        const wt = d.weight ? d.weight[r]! : 1;
        bw += wt;
        const a0 = acts[0]!;
        for (let f = 0; f < d.features; f++) a0[f] = d.x[r * d.features + f]!;
        lossSum += backpropRow(mlp, acts, deltas, gw, gb, d.y[r]!, wt);
        weightSum += wt;
      }
      if (bw <= 0) continue;
      step += 1;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let l = 0; l < L; l++) {
        const layer = mlp.layers[l]!;
        adam(layer.w, gw[l]!, mw[l]!, vw[l]!, bw, l2);
        adam(layer.b, gb[l]!, mb[l]!, vb[l]!, bw, 0);
      }
      function adam(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, norm: number, decay: number): void {
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]! / norm + decay * p[i]!;
          m[i] = beta1 * m[i]! + (1 - beta1) * gi;
          v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
          p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
        }
      }
    }
    o.onEpoch?.(epoch, weightSum > 0 ? lossSum / weightSum : 0);
  }
  return mlp;
}

/** Applies a standardizer to a dataset's rows (a copy). */
export function standardize(d: Dataset, s: Standardizer): Dataset {
  const x = new Float32Array(d.x.length);
  for (let r = 0; r < d.rows; r++) for (let f = 0; f < d.features; f++) x[r * d.features + f] = (d.x[r * d.features + f]! - s.mean[f]!) / s.std[f]!;
  return { ...d, x };
}
