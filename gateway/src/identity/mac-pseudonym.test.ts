import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLocallyAdministered, normalizeMac, pseudonymizeMac } from './mac-pseudonym.js';

const DAY_MS = 86_400_000;
const t0 = Date.UTC(2026, 0, 5, 12);

describe('mac pseudonym', () => {
  it('normalizes every common format to the same 12 hex', () => {
    for (const f of ['AA:BB:CC:DD:EE:0F', 'aa-bb-cc-dd-ee-0f', 'AABBCCDDEE0F', 'aabb.ccdd.ee0f']) expect(normalizeMac(f)).toBe('aabbccddee0f');
    for (const bad of ['', 'aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'zz:bb:cc:dd:ee:ff']) expect(normalizeMac(bad)).toBeUndefined();
  });
  it('flags locally administered addresses (IEEE 802 U/L bit)', () => {
    expect(isLocallyAdministered('da a1 19 e7 55 dc'.replace(/ /g, ''))).toBe(true);
    expect(isLocallyAdministered('a89ced189b45')).toBe(false);
  });
  it('same device, same UTC day -> same subject; next day -> a different one; formats agree', () => {
    const a = pseudonymizeMac('A8:9C:ED:18:9B:45', t0, 'p')!;
    expect(a.subject).toMatch(/^s_[0-9a-f]{16}$/);
    expect(pseudonymizeMac('a89ced189b45', t0 + 3_600_000, 'p')).toEqual(a);
    expect(pseudonymizeMac('a89ced189b45', t0 + DAY_MS, 'p')!.subject).not.toBe(a.subject);
    expect(pseudonymizeMac('a89ced189b45', t0, 'other-site')!.subject).not.toBe(a.subject);
  });
  it('property: randomised MACs never link across days and never leak', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.integer({ min: 0, max: 3_000 }), (b, day) => {
        const mac = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
        const p1 = pseudonymizeMac(mac, t0 + day * DAY_MS, 'pep')!;
        const p2 = pseudonymizeMac(mac, t0 + (day + 1) * DAY_MS, 'pep')!;
        expect(p1.subject).not.toBe(p2.subject);
        expect(p1.randomized).toBe((b[0]! & 2) !== 0);
        expect(p1.subject).not.toContain(mac.replace(/:/g, '').slice(0, 6));
      }),
    );
  });
});
