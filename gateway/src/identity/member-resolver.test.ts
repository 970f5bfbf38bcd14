import { memberToken } from '@storesense/protocol';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { MemberResolver } from './member-resolver.js';

const KEY_A = '00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100';
const PERIOD = 900_000;

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug' }, stream) };
}

describe('MemberResolver', () => {
  const keys = {
    v: 1,
    at: 0,
    periodMs: PERIOD,
    members: [
      { memberId: 'm-a', key: KEY_A },
      { memberId: 'm-b', key: KEY_B },
    ],
  };

  it('resolves tokens of the current period and of the neighbouring periods (clock skew)', () => {
    const r = new MemberResolver({ periodMs: PERIOD, logger: capture().logger });
    expect(r.setKeys(keys)).toBe(true);
    const at = 10 * PERIOD + 1234;
    expect(r.resolve(memberToken(KEY_A, at, PERIOD), at)).toBe('m-a');
    expect(r.resolve(memberToken(KEY_B, at - PERIOD, PERIOD), at)).toBe('m-b');
    expect(r.resolve(memberToken(KEY_A, at + PERIOD, PERIOD), at)).toBe('m-a');
    expect(r.resolve(memberToken(KEY_A, at - 2 * PERIOD, PERIOD), at)).toBeUndefined();
    // the window moves with time
    const later = at + 5 * PERIOD;
    expect(r.resolve(memberToken(KEY_A, later, PERIOD), later)).toBe('m-a');
    expect(r.resolve(memberToken(KEY_A, at, PERIOD), later)).toBeUndefined();
  });

  it('rejects invalid payloads, keeps the previous keys and never logs keys', () => {
    const { lines, logger } = capture();
    const r = new MemberResolver({ periodMs: PERIOD, logger });
    r.setKeys(keys);
    expect(r.setKeys({ v: 1, at: 0, members: [{ memberId: 'x', key: 'not-hex' }] })).toBe(false);
    expect(r.setKeys('garbage')).toBe(false);
    expect(r.memberCount).toBe(2);
    const text = lines.join('');
    expect(text).not.toContain(KEY_A);
    expect(text).not.toContain(KEY_B);
    expect(text).toContain('member keys updated');
  });

  it('resolves nothing without keys', () => {
    const r = new MemberResolver({ periodMs: PERIOD, logger: capture().logger });
    expect(r.resolve('0011223344556677', 0)).toBeUndefined();
  });
});
