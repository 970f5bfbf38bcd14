import { describe, expect, it } from 'vitest';
import { codecs } from './codec.js';
import { memberKeysSchema, memberToken, parseLegacyBeacon } from './member-keys.js';

const KEY = '00112233445566778899aabbccddeeff';
const P = 900_000;

describe('members/keys with legacy cards', () => {
  it('round-trips legacyCards and stays valid without them (additive field)', () => {
    const payload = {
      v: 1 as const,
      at: 5,
      periodMs: P,
      members: [{ memberId: 'M1', key: KEY }],
      legacyCards: [{ memberId: 'M1', uuid: 'b9407f30-f5f8-466e-aff9-25556b57fe6d', major: 12345, minor: 54321 }],
    };
    expect(codecs.memberKeys.decode(codecs.memberKeys.encode(payload))).toEqual({ ok: true, value: payload });
    expect(memberKeysSchema.safeParse({ v: 1, at: 5, members: [] }).success).toBe(true);
  });

  it('rejects malformed cards: upper-case or short uuid, major/minor outside 16 bits', () => {
    const base = { v: 1, at: 5, members: [] };
    for (const card of [
      { memberId: 'M1', uuid: 'B9407F30-F5F8-466E-AFF9-25556B57FE6D', major: 1, minor: 1 },
      { memberId: 'M1', uuid: 'b9407f30', major: 1, minor: 1 },
      { memberId: 'M1', uuid: 'b9407f30-f5f8-466e-aff9-25556b57fe6d', major: 65536, minor: 1 },
      { memberId: 'M1', uuid: 'b9407f30-f5f8-466e-aff9-25556b57fe6d', major: 1, minor: -1 },
    ]) {
      expect(memberKeysSchema.safeParse({ ...base, legacyCards: [card] }).success, JSON.stringify(card)).toBe(false);
    }
  });

  it('parseLegacyBeacon reads uuid:major:minor in any uuid spelling and refuses the rest', () => {
    const want = { uuid: 'b9407f30-f5f8-466e-aff9-25556b57fe6d', major: 12345, minor: 54321 };
    expect(parseLegacyBeacon('B9407F30-F5F8-466E-AFF9-25556B57FE6D:12345:54321')).toEqual(want);
    expect(parseLegacyBeacon('b9407f30f5f8466eaff925556b57fe6d:12345:54321')).toEqual(want);
    for (const bad of [
      '',
      'b9407f30:1:2',
      'b9407f30-f5f8-466e-aff9-25556b57fe6d:65536:1',
      'b9407f30-f5f8-466e-aff9-25556b57fe6d:1',
      'zz407f30-f5f8-466e-aff9-25556b57fe6d:1:2',
    ]) {
      expect(parseLegacyBeacon(bad), bad).toBeUndefined();
    }
  });
});

describe('memberToken unlinkability without the key', () => {
  // An observer records every token on air. Without the key, the tokens of one member in two
  // periods look like the tokens of two different members: no bit pattern, no shared prefix, and a
  // guess from one to the other does no better than chance.
  it('two periods of one member are no closer than tokens of different members', () => {
    const keys = Array.from({ length: 200 }, (_, i) => i.toString(16).padStart(32, '0').replace(/^0/, 'a'));
    const hamming = (a: string, b: string) => {
      let d = 0;
      for (let i = 0; i < a.length; i += 2) {
        let x = Number.parseInt(a.slice(i, i + 2), 16) ^ Number.parseInt(b.slice(i, i + 2), 16);
        while (x) {
          d += x & 1;
          x >>= 1;
        }
      }
      return d;
    };
    const t = 1_767_607_200_000;
    let same = 0;
    let other = 0;
    for (let i = 0; i < keys.length; i++) {
      const a = memberToken(keys[i]!, t, P);
      same += hamming(a, memberToken(keys[i]!, t + P, P));
      other += hamming(a, memberToken(keys[(i + 1) % keys.length]!, t + P, P));
    }
    // 64-bit tokens: both averages sit near 32 bits apart; "same member" is not measurably closer.
    expect(same / keys.length).toBeGreaterThan(29);
    expect(same / keys.length).toBeLessThan(35);
    expect(Math.abs(same - other) / keys.length).toBeLessThan(2);
  });
});
