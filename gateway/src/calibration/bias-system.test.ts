import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { BiasSystem } from './bias-system.js';

/** Readings that are exactly linear in the unknowns: bias per receiver, a wall-loss error, and per phone x, y, offset. */
function feed(sys: BiasSystem, truth: number[], wallErr: number, phones: number, seed: number): void {
  const rnd = mulberry32(seed);
  const R = truth.length;
  for (let p = 0; p < phones; p++) {
    const idx = [...Array(R).keys()].filter(() => rnd() < 0.8);
    if (idx.length < 4) continue;
    const gx = idx.map(() => rnd() * 4 - 2);
    const gy = idx.map(() => rnd() * 4 - 2);
    // Receivers 0-1 stand outside the store, the rest inside; a third of the phones are outside.
    const outside = rnd() < 0.3;
    const crosses = idx.map((j) => (j < 2 !== outside ? 1 : 0));
    const [dx, dy, off] = [rnd() - 0.5, rnd() - 0.5, rnd() * 4 - 2];
    // What the fit would leave: the phone's own unknowns are partly wrong (dx, dy, off), which M removes.
    const res = idx.map((j, k) => truth[j]! - (crosses[k] ? wallErr : 0) + gx[k]! * dx + gy[k]! * dy + off);
    expect(sys.add(idx, crosses, gx, gy, res)).toBe(true);
  }
}

describe('BiasSystem (profiled normal equations)', () => {
  it("solves receiver biases up to a common shift, the phones' positions and offsets profiled out", () => {
    const truth = [4, -3, 1, 0, -2, 6];
    const sys = new BiasSystem(truth.length);
    feed(sys, truth, 0, 400, 1);
    const u = sys.solve(1e-6, 1e12, new Float64Array(truth.length + 1));
    const shift = truth.reduce((a, t, j) => a + t - u[j]!, 0) / truth.length;
    truth.forEach((t, j) => expect(u[j]! + shift).toBeCloseTo(t, 3));
    // After moving by u, the remaining evidence asks for (almost) nothing more.
    sys.shift(u);
    const again = sys.solve(1e-6, 1e12, new Float64Array(truth.length + 1));
    for (let j = 0; j < truth.length; j++) expect(Math.abs(again[j]!)).toBeLessThan(1e-3);
  });

  it('finds the wall-loss error too when it is let free, and leaves it alone with a stiff prior', () => {
    const truth = [2, -2, 1, 0, -1, 3];
    const free = new BiasSystem(truth.length);
    feed(free, truth, 2.5, 600, 2);
    const u = free.solve(1e-6, 1e-6, new Float64Array(truth.length + 1));
    expect(u[truth.length]).toBeCloseTo(2.5, 2);
    const stiff = new BiasSystem(truth.length);
    feed(stiff, truth, 2.5, 600, 2);
    expect(Math.abs(stiff.solve(1e-6, 1e12, new Float64Array(truth.length + 1))[truth.length]!)).toBeLessThan(1e-6);
  });

  it('refuses a phone whose readings all come from one spot (its position is not determined)', () => {
    const sys = new BiasSystem(4);
    expect(sys.add([0, 1, 2, 3], [0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2], [0, 0, 0, 0])).toBe(false);
  });

  it('decays old evidence geometrically', () => {
    const a = new BiasSystem(5);
    feed(a, [1, -1, 0, 2, -2], 0, 100, 3);
    const before = a.solve(1, 1e12, new Float64Array(6));
    a.decay(0.5);
    const after = a.solve(1, 1e12, new Float64Array(6));
    // Half the evidence against the same prior is a doubled ridge: the step's norm shrinks.
    const norm = (u: Float64Array) => Math.hypot(...u);
    expect(norm(after)).toBeLessThan(norm(before));
  });
});
