import { describe, expect, it } from 'vitest';
import { vectorDistanceDb, type Signature } from './device-signature.js';

const sig = (o: Record<string, number>): Signature => new Map(Object.entries(o));

describe('vectorDistanceDb: how far apart two minutes of levels are', () => {
  // A phone parked by the dept-store door, minute by minute (measured bins of seed 101): the strong
  // receivers hold within a dB, the ones near sensitivity come and go.
  const minuteA = sig({ entrance: -66.0, storefront: -77.3, cosmetics: -88.2, scarves: -88.9 });
  const minuteB = sig({ entrance: -66.2, storefront: -76.5, fragrance: -87.6, cosmetics: -88.7 });
  it.each([
    { name: 'receivers near sensitivity coming and going: still the same spot', a: minuteA, b: minuteB, max: 1.5 },
    { name: 'identical levels', a: minuteA, b: minuteA, max: 0 },
  ])('$name', ({ a, b, max }) => {
    expect(vectorDistanceDb(a, b)).toBeLessThanOrEqual(max);
  });

  it.each([
    {
      name: 'a strong receiver gone quiet is movement',
      a: sig({ entrance: -66, storefront: -77, inside: -72 }),
      b: sig({ entrance: -66, storefront: -77 }),
      min: 4,
    },
    {
      name: 'a 6 dB step at the nearest receiver is movement',
      a: sig({ entrance: -66, storefront: -77 }),
      b: sig({ entrance: -60, storefront: -80 }),
      min: 3.5,
    },
  ])('$name', ({ a, b, min }) => {
    expect(vectorDistanceDb(a, b)).toBeGreaterThanOrEqual(min);
  });

  it('nothing heard on either side is infinitely far', () => {
    expect(vectorDistanceDb(new Map(), new Map())).toBe(Number.POSITIVE_INFINITY);
  });
});
