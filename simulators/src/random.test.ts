import { describe, expect, it } from 'vitest';
import { Rng } from './random.js';

describe('Rng', () => {
  it('repeats the same stream for the same seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(xs);
  });

  it('draws uniform, normal and exponential values with the right moments', () => {
    const rng = new Rng(7);
    const n = 50_000;
    let sum = 0;
    let sum2 = 0;
    let expSum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = rng.normal(0, 4);
      sum += z;
      sum2 += z * z;
      expSum += rng.exponential(10);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n)).toBeLessThan(0.1);
    expect(Math.sqrt(sum2 / n)).toBeCloseTo(4, 1);
    expect(expSum / n).toBeGreaterThan(9.7);
    expect(expSum / n).toBeLessThan(10.3);
  });

  it('forks independent child streams deterministically', () => {
    const a = new Rng(1).fork();
    const b = new Rng(1).fork();
    expect(a.hex(16)).toBe(b.hex(16));
    expect(new Rng(1).hex(8)).toMatch(/^[0-9a-f]{8}$/);
  });

  it('picks by weight', () => {
    const rng = new Rng(3);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 10_000; i++) counts[rng.weighted({ a: 3, b: 1 })]++;
    expect(counts.a / 10_000).toBeGreaterThan(0.72);
    expect(counts.a / 10_000).toBeLessThan(0.78);
  });
});
