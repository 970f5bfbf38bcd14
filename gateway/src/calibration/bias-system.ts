/**
 * The normal equations of one floor's receiver biases (and its wall loss) with every phone's
 * position and transmit offset profiled out (decision 57). For one fitted phone, linearise the
 * model at its fitted point: readings = E(p) + offset + D·u, where u holds each receiver's remaining
 * bias and the wall-loss error, D picks the reading's receiver (and −1 where the path crosses the
 * wall). The phone's own unknowns (x, y, offset) have Jacobian J; what the readings can say about u
 * is the part orthogonal to J: M = I − J(JᵀJ)⁻¹Jᵀ. Summed over phones, A = Σ DᵀMD and b = Σ DᵀMr
 * (r: the residuals at the fitted grid point). Solving A·u = b is one Gauss-Newton step
 * for all biases at once: a receiver whose bias a single fit mostly absorbs into the position still
 * gets it back from many fits, which a per-reading running mean (tried first) did only after
 * thousands of sightings. Memory: (R+1)² numbers per floor.
 */
export class BiasSystem {
  readonly size: number;
  private readonly a: Float64Array;
  private readonly b: Float64Array;

  /** `receivers` unknowns plus one for the wall loss (index `receivers`). */
  constructor(readonly receivers: number) {
    this.size = receivers + 1;
    this.a = new Float64Array(this.size * this.size);
    this.b = new Float64Array(this.size);
  }

  /**
   * Adds one fitted phone: per reading k its receiver `idx[k]`, whether it crosses the wall, the
   * model's gradient with respect to the phone's x and y (`gx`, `gy`), and its residual `res`.
   * Returns false when the phone's own unknowns are not determined (all readings from one spot).
   */
  add(idx: readonly number[], crosses: ArrayLike<number>, gx: ArrayLike<number>, gy: ArrayLike<number>, res: ArrayLike<number>, weight = 1): boolean {
    const n = idx.length;
    // JᵀJ for columns (gx, gy, 1), inverted in closed form.
    let sxx = 0,
      sxy = 0,
      sx1 = 0,
      syy = 0,
      sy1 = 0;
    for (let k = 0; k < n; k++) {
      sxx += gx[k]! * gx[k]!;
      sxy += gx[k]! * gy[k]!;
      sx1 += gx[k]!;
      syy += gy[k]! * gy[k]!;
      sy1 += gy[k]!;
    }
    const inv = invert3(sxx, sxy, sx1, syy, sy1, n);
    if (!inv) return false;
    // M = I − J inv Jᵀ (n × n), then A += Dᵀ M D, b += Dᵀ M res. (inv·J_jᵀ once per reading.)
    const t = new Float64Array(3 * n);
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < 3; p++) t[3 * j + p] = inv[p * 3]! * gx[j]! + inv[p * 3 + 1]! * gy[j]! + inv[p * 3 + 2]!;
    }
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const h = gx[i]! * t[3 * j]! + gy[i]! * t[3 * j + 1]! + t[3 * j + 2]!;
        m[i * n + j] = (i === j ? 1 : 0) - h;
      }
    }
    const S = this.size;
    const w = this.receivers;
    // The residuals projected by M too: a grid fit is not at the continuous optimum, and what a small
    // move of the phone would explain is not a receiver's bias.
    const mr = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mr[i] = mr[i]! + m[i * n + j]! * res[j]!;
    for (let i = 0; i < n; i++) {
      const ri = idx[i]!;
      const ci = crosses[i] ? -1 : 0;
      this.b[ri] = this.b[ri]! + weight * mr[i]!;
      if (ci !== 0) this.b[w] = this.b[w]! + weight * ci * mr[i]!;
      for (let j = 0; j < n; j++) {
        const rj = idx[j]!;
        const cj = crosses[j] ? -1 : 0;
        const v = weight * m[i * n + j]!;
        this.a[ri * S + rj] = this.a[ri * S + rj]! + v;
        if (cj !== 0) this.a[ri * S + w] = this.a[ri * S + w]! + v * cj;
        if (ci !== 0) this.a[w * S + rj] = this.a[w * S + rj]! + v * ci;
        if (ci !== 0 && cj !== 0) this.a[w * S + w] = this.a[w * S + w]! + v * ci * cj;
      }
    }
    return true;
  }

  /**
   * The step u solving (A + ρ)·u = b − ρ·prior: a Gauss-Newton step with a Gaussian prior of weight
   * ρ (`ridge` per receiver, `wallRidge` for the wall, in phone-fits) pulling each estimate to its
   * prior value; `prior` holds each estimate's distance from it. It settles what the data cannot (a
   * receiver or wall with little evidence) without holding back well-observed ones.
   */
  solve(ridge: number, wallRidge: number, prior: ArrayLike<number>): Float64Array {
    const S = this.size;
    const m = new Float64Array(S * (S + 1));
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < S; j++) m[i * (S + 1) + j] = this.a[i * S + j]! + (i === j ? (i === this.receivers ? wallRidge : ridge) : 0);
      m[i * (S + 1) + S] = this.b[i]! - (i === this.receivers ? wallRidge : ridge) * prior[i]!;
    }
    return gaussSolve(m, S);
  }

  /** After the estimates moved by `u`, the residuals summed in b move by −A·u (to first order). */
  shift(u: ArrayLike<number>): void {
    const S = this.size;
    for (let i = 0; i < S; i++) {
      let s = 0;
      for (let j = 0; j < S; j++) s += this.a[i * S + j]! * u[j]!;
      this.b[i] = this.b[i]! - s;
    }
  }

  /** Forgets old evidence geometrically, so the estimate can follow drift. */
  decay(factor: number): void {
    for (let i = 0; i < this.a.length; i++) this.a[i] = this.a[i]! * factor;
    for (let i = 0; i < this.b.length; i++) this.b[i] = this.b[i]! * factor;
  }
}

/** Inverse of the symmetric 3×3 [[sxx, sxy, sx1], [sxy, syy, sy1], [sx1, sy1, n]], or undefined if near singular. */
function invert3(sxx: number, sxy: number, sx1: number, syy: number, sy1: number, n: number): Float64Array | undefined {
  const c00 = syy * n - sy1 * sy1;
  const c01 = -(sxy * n - sy1 * sx1);
  const c02 = sxy * sy1 - syy * sx1;
  const det = sxx * c00 + sxy * c01 + sx1 * c02;
  const scale = Math.max(1e-12, Math.abs(sxx * syy * n));
  if (!(Math.abs(det) > 1e-9 * scale)) return undefined;
  const c11 = sxx * n - sx1 * sx1;
  const c12 = -(sxx * sy1 - sxy * sx1);
  const c22 = sxx * syy - sxy * sxy;
  return new Float64Array([c00, c01, c02, c01, c11, c12, c02, c12, c22].map((v) => v / det));
}

/** Gaussian elimination with partial pivoting on an S × (S+1) augmented matrix. */
function gaussSolve(m: Float64Array, S: number): Float64Array {
  const W = S + 1;
  for (let c = 0; c < S; c++) {
    let p = c;
    for (let r = c + 1; r < S; r++) if (Math.abs(m[r * W + c]!) > Math.abs(m[p * W + c]!)) p = r;
    if (p !== c) for (let k = 0; k < W; k++) [m[c * W + k], m[p * W + k]] = [m[p * W + k]!, m[c * W + k]!];
    const piv = m[c * W + c]!;
    if (Math.abs(piv) < 1e-12) continue;
    for (let r = 0; r < S; r++) {
      if (r === c) continue;
      const f = m[r * W + c]! / piv;
      if (f === 0) continue;
      for (let k = c; k < W; k++) m[r * W + k] = m[r * W + k]! - f * m[c * W + k]!;
    }
  }
  const u = new Float64Array(S);
  for (let i = 0; i < S; i++) {
    const piv = m[i * W + i]!;
    u[i] = Math.abs(piv) < 1e-12 ? 0 : m[i * W + S]! / piv;
  }
  return u;
}
