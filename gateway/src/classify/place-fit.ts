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

/**
 * Fits `n` observations (receiver index into grid.receiverIds, level in dBm, corrected) into `out`.
 * No allocation: the hot path runs per subject per tick (two fits: fast and slow EWMA).
 */
export function fitPlace(grid: PlaceGrid, idx: Int32Array, obs: Float64Array, n: number, out: PlaceFit): PlaceFit {
  if (n === 0) return Object.assign(out, NO_FIT);
  const R = grid.receiverIds.length;
  const E = grid.expected;
  const points = grid.points;
  const sse = scratch(points);
  let best = 0;
  let bestSse = Number.POSITIVE_INFINITY;
  let bestIn = Number.POSITIVE_INFINITY;
  let bestOut = Number.POSITIVE_INFINITY;
  for (let p = 0, base = 0; p < points; p++, base += R) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += obs[k]! - E[base + idx[k]!]!;
    const offset = sum / (n + OFFSET_SHRINK);
    let err = offset * offset * OFFSET_SHRINK;
    for (let k = 0; k < n; k++) {
      const r = obs[k]! - E[base + idx[k]!]! - offset;
      err += r * r;
    }
    sse[p] = err;
    if (grid.inside[p]) {
      if (err < bestIn) bestIn = err;
    } else if (err < bestOut) bestOut = err;
    if (err < bestSse) {
      bestSse = err;
      best = p;
    }
  }
  const twoSigma2 = 2 * SIGMA_DB * SIGMA_DB;
  let total = 0;
  let inside = 0;
  let outside = 0;
  let depth = 0;
  let door = 0;
  for (let p = 0; p < points; p++) {
    const w = Math.exp(-(sse[p]! - bestSse) / twoSigma2);
    total += w;
    if (grid.inside[p]) inside += w;
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

let sseScratch = new Float64Array(512);
function scratch(n: number): Float64Array {
  if (sseScratch.length < n) sseScratch = new Float64Array(n);
  return sseScratch;
}
