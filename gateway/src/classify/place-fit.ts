import type { PlaceGrid } from './place-geometry.js';

/**
 * Where the subject is relative to the store, from a position fit over every receiver of one floor
 * (any role, each with its own calibration): the log-distance model predicts each receiver's level
 * at each grid point (place-geometry.ts); a point's weight is exp(−SSE / 2σ²) of the observed
 * levels less a shrunk common offset. The offset is the phone's unknown transmit power and body
 * loss, shared by all receivers; shrinking it towards 0 (a prior as wide as the shadowing, so
 * σ²/σ₀² = 1) keeps the fit meaningful with one or two receivers, where a free offset would leave
 * only their difference. Outputs are geometric (mass inside the footprint, depth, door distance),
 * so they mean the same on every site.
 */
export interface PlaceFit {
  /**
   * P(inside) with an even prior between inside and outside points: the mean weight of the inside
   * points against that of the outside ones. A plain posterior share would be dominated by the
   * grid's area split (a 20 m² kiosk is 5 % of its fit area, so its share stays small even for a
   * phone standing in it); this one means the same on a kiosk and a department store.
   */
  insideMass: number;
  /** Best outside point's residual minus best inside point's, signed √(|ΔSSE| / n), dB: > 0 fits inside better. */
  inOutMarginDb: number;
  /** Posterior mean of the signed depth, metres (positive inside). */
  depthM: number;
  /** The best point's depth and distance to the nearest door, metres. */
  bestDepthM: number;
  bestDoorM: number;
  /** Posterior mean distance to the nearest door, metres. */
  doorM: number;
  /** RMS residual of the best point, dB. */
  rmsDb: number;
  /** Receivers used. */
  used: number;
}

/** Residual spread of a point's vote, dB (the simulator's and typical indoor shadowing, 4-6 dB). */
const SIGMA_DB = 4;
/** σ² / σ₀²: the offset prior as wide as the shadowing. */
const OFFSET_SHRINK = 1;

export const NO_FIT: Readonly<PlaceFit> = { insideMass: 0, inOutMarginDb: -10, depthM: -8, bestDepthM: -8, bestDoorM: 30, doorM: 30, rmsDb: 0, used: 0 };

/** Per grid: the expected levels receiver-major, expectedByReceiver[receiver * points + point] (the residual loops run along it). */
const byReceiver = new WeakMap<PlaceGrid, Float64Array>();
function expectedByReceiver(grid: PlaceGrid): Float64Array {
  let t = byReceiver.get(grid);
  if (!t) {
    const R = grid.receiverIds.length;
    const P = grid.points;
    t = new Float64Array(P * R);
    for (let p = 0; p < P; p++) for (let r = 0; r < R; r++) t[r * P + p] = grid.expected[p * R + r]!;
    byReceiver.set(grid, t);
  }
  return t;
}

let sseScratch = new Float64Array(512);
let offsetScratch = new Float64Array(512);

/**
 * Fits `n` observations (receiver index into grid.receiverIds, level in dBm, corrected) into `out`.
 * No allocation: the hot path runs per subject per tick (two fits: fast and slow EWMA). The
 * residual loops run receiver-major over a transposed expectation table, with the same operations
 * in the same order per point as the point-major loop (decision 52), so the fit is bit-identical.
 */
export function fitPlace(grid: PlaceGrid, idx: Int32Array, obs: Float64Array, n: number, out: PlaceFit): PlaceFit {
  if (n === 0) return Object.assign(out, NO_FIT);
  const points = grid.points;
  if (sseScratch.length < points) {
    sseScratch = new Float64Array(points);
    offsetScratch = new Float64Array(points);
  }
  const sse = sseScratch;
  const offset = offsetScratch;
  const E = expectedByReceiver(grid);
  // Σ (obs − expected) per point in observation order; the first receiver stores instead of adding
  // to 0 (0 + x = x but for x = -0, and a signed zero there changes no residual square).
  let o = obs[0]!;
  let col = idx[0]! * points;
  for (let p = 0; p < points; p++) offset[p] = o - E[col + p]!;
  for (let k = 1; k < n; k++) {
    o = obs[k]!;
    col = idx[k]! * points;
    for (let p = 0; p < points; p++) offset[p] = offset[p]! + (o - E[col + p]!);
  }
  const shrunk = n + OFFSET_SHRINK;
  for (let p = 0; p < points; p++) {
    const off = offset[p]! / shrunk;
    offset[p] = off;
    sse[p] = off * off * OFFSET_SHRINK;
  }
  for (let k = 0; k < n; k++) {
    o = obs[k]!;
    col = idx[k]! * points;
    for (let p = 0; p < points; p++) {
      const r = o - E[col + p]! - offset[p]!;
      sse[p] = sse[p]! + r * r;
    }
  }
  let best = 0;
  let bestSse = Number.POSITIVE_INFINITY;
  let bestIn = Number.POSITIVE_INFINITY;
  let bestOut = Number.POSITIVE_INFINITY;
  const ins = grid.inside;
  for (let p = 0; p < points; p++) {
    const err = sse[p]!;
    if (ins[p]) {
      if (err < bestIn) bestIn = err;
    } else if (err < bestOut) bestOut = err;
    if (err < bestSse) {
      bestSse = err;
      best = p;
    }
  }
  // x / 32 and x * (1 / 32) are the same double (a power of two), and -(e - best) is best - e.
  const invTwoSigma2 = 1 / (2 * SIGMA_DB * SIGMA_DB);
  let total = 0;
  let inside = 0;
  let outside = 0;
  let depth = 0;
  let door = 0;
  for (let p = 0; p < points; p++) {
    const w = Math.exp((bestSse - sse[p]!) * invTwoSigma2);
    total += w;
    if (ins[p]) inside += w;
    else outside += w;
    depth += w * grid.depth[p]!;
    door += w * grid.door[p]!;
  }
  const meanIn = grid.insidePoints === 0 ? 0 : inside / grid.insidePoints;
  const meanOut = grid.points === grid.insidePoints ? 0 : outside / (grid.points - grid.insidePoints);
  out.insideMass = meanIn + meanOut === 0 ? 0 : meanIn / (meanIn + meanOut);
  const margin = Number.isFinite(bestIn) && Number.isFinite(bestOut) ? (bestOut - bestIn) / n : Number.isFinite(bestIn) ? 100 : -100;
  out.inOutMarginDb = Math.max(-10, Math.min(10, Math.sign(margin) * Math.sqrt(Math.abs(margin))));
  out.depthM = depth / total;
  out.doorM = door / total;
  out.bestDepthM = grid.depth[best]!;
  out.bestDoorM = grid.door[best]!;
  out.rmsDb = Math.sqrt(bestSse / n);
  out.used = n;
  return out;
}

/** A subject's last fit inputs and both results (fitPlacePair). */
interface FitPairCache {
  grid: PlaceGrid;
  n: number;
  idx: Int32Array;
  fast: Float64Array;
  slow: Float64Array;
  fastFit: PlaceFit;
  slowFit: PlaceFit;
}
const pairs = new WeakMap<object, FitPairCache>();

/**
 * Both fits of one subject (fast and slow EWMA levels of the same receivers), reused from its
 * previous call while the inputs are the same, index for index and bit for bit: a subject heard by
 * no receiver since the last tick (about half of them at 250 ms ticks) has the same levels, so the
 * same fits. `key` is the subject's track (the cache goes with it).
 */
export function fitPlacePair(
  key: object,
  grid: PlaceGrid,
  idx: Int32Array,
  fast: Float64Array,
  slow: Float64Array,
  n: number,
  fastOut: PlaceFit,
  slowOut: PlaceFit,
): void {
  const c = pairs.get(key);
  if (c && c.grid === grid && c.n === n && sameInputs(c, idx, fast, slow, n)) {
    Object.assign(fastOut, c.fastFit);
    Object.assign(slowOut, c.slowFit);
    return;
  }
  fitPlace(grid, idx, fast, n, fastOut);
  fitPlace(grid, idx, slow, n, slowOut);
  if (n === 0) return;
  let e = c;
  if (!e || e.idx.length < n) {
    const cap = Math.max(n, 4);
    e = { grid, n, idx: new Int32Array(cap), fast: new Float64Array(cap), slow: new Float64Array(cap), fastFit: { ...NO_FIT }, slowFit: { ...NO_FIT } };
    pairs.set(key, e);
  }
  e.grid = grid;
  e.n = n;
  for (let k = 0; k < n; k++) {
    e.idx[k] = idx[k]!;
    e.fast[k] = fast[k]!;
    e.slow[k] = slow[k]!;
  }
  Object.assign(e.fastFit, fastOut);
  Object.assign(e.slowFit, slowOut);
}

function sameInputs(c: FitPairCache, idx: Int32Array, fast: Float64Array, slow: Float64Array, n: number): boolean {
  for (let k = 0; k < n; k++) if (c.idx[k] !== idx[k] || !Object.is(c.fast[k], fast[k]) || !Object.is(c.slow[k], slow[k])) return false;
  return true;
}
