/**
 * A small seeded PRNG so the world is reproducible byte for byte: xoshiro128** (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", 2021), seeded through splitmix32 so that
 * nearby seeds (1, 2, 3...) give unrelated streams. Math.random is never used by the world.
 * @example
 * const rng = new Rng(42);
 * rng.next();            // uniform [0, 1)
 * rng.normal(0, 4);      // Gaussian, e.g. shadowing in dB
 * const child = rng.fork(); // an independent stream (one per shopper)
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box-Muller yields two normals; the second is kept for the next call. */
  private spare: number | undefined;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Next 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max] inclusive. */
  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Gaussian via Box-Muller (the polar form would branch on rejection; this one is branch-free). */
  normal(mean = 0, sd = 1): number {
    let z = this.spare;
    if (z !== undefined) {
      this.spare = undefined;
    } else {
      const u1 = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      z = r * Math.cos(2 * Math.PI * u2);
      this.spare = r * Math.sin(2 * Math.PI * u2);
    }
    return mean + sd * z;
  }

  /** Exponential with the given mean (inter-arrival times of a Poisson process). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Log-normal given its median and the sigma of the underlying normal (dwell and spend times). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Picks a key by weight; weights need not sum to 1. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + Math.max(0, w), 0);
    if (total <= 0) throw new RangeError('weighted pick needs a positive total weight');
    let x = this.next() * total;
    for (const [k, w] of entries) {
      x -= Math.max(0, w);
      if (x < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }

  /** `n` lower-case hex characters (pseudonymous ids). */
  hex(n: number): string {
    let out = '';
    while (out.length < n) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, n);
  }

  /** An independent child stream, so one shopper's draws never shift another's. */
  fork(): Rng {
    return new Rng(this.uint32() ^ Math.imul(this.uint32(), 0x27d4eb2d));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
