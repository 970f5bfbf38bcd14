import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMembersCsv, parseMembersCsv } from './members.csv.js';
import { demoMembersPath } from './paths.js';

const HEADER = 'memberId,name,tier,tags,consent,tokenKey';
const KEY_A = '00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100';

describe('demo members', () => {
  it('loads all demo members without errors', () => {
    const { members, errors } = loadMembersCsv(demoMembersPath);
    expect(errors).toEqual([]);
    expect(members.length).toBeGreaterThanOrEqual(10);
    expect(new Set(members.map((m) => m.tokenKey)).size).toBe(members.length);
    expect(new Set(members.map((m) => m.tier))).toEqual(new Set(['basic', 'silver', 'gold', 'platinum']));
    expect(members.filter((m) => !m.consent).length).toBeGreaterThanOrEqual(2);
    expect(members.find((m) => m.name === 'Li Na')?.tags).toContain('silk-scarves');
  });
});

describe('parseMembersCsv', () => {
  it('parses good rows, quoted fields, CRLF, blank lines and empty tags', () => {
    const text = [
      HEADER,
      `m1,"Martin, Sophie",gold,silk-scarves;handbags,yes,${KEY_A.toUpperCase()}`,
      '',
      `m2,"Anna ""Nan"" Zhou",basic,,no,${KEY_B}`,
      '',
    ].join('\r\n');
    const { members, errors } = parseMembersCsv(text);
    expect(errors).toEqual([]);
    expect(members).toEqual([
      { memberId: 'm1', name: 'Martin, Sophie', tier: 'gold', tags: ['silk-scarves', 'handbags'], consent: true, tokenKey: KEY_A },
      { memberId: 'm2', name: 'Anna "Nan" Zhou', tier: 'basic', tags: [], consent: false, tokenKey: KEY_B },
    ]);
  });

  it('accepts tags in any script, lower-case; refuses upper-case and spaces', () => {
    const text = [
      HEADER,
      `m1,王芳,gold,丝巾;皮具-手袋;écharpes;handbags_2,yes,${KEY_A}`,
      `m2,李娜,gold,e\u0301charpes,yes,${KEY_B}`, // decomposed é: stored as the precomposed tag
      `m3,Bo,gold,Handbags,yes,${'1'.repeat(32)}`,
      `m4,Bo,gold,silk scarves,yes,${'2'.repeat(32)}`,
      `m5,Bo,gold,-dash,yes,${'3'.repeat(32)}`,
    ].join('\n');
    const { members, errors } = parseMembersCsv(text);
    expect(members.map((m) => [m.name, m.tags])).toEqual([
      ['王芳', ['丝巾', '皮具-手袋', 'écharpes', 'handbags_2']],
      ['李娜', ['écharpes']],
    ]);
    expect(errors.map((e) => [e.line, e.error.replace(/ \(a tag is .*/, '')])).toEqual([
      [4, 'tag "Handbags" is not a tag'],
      [5, 'tag "silk scarves" is not a tag'],
      [6, 'tag "-dash" is not a tag'],
    ]);
  });

  it('reports each bad row with its line and keeps the good ones', () => {
    const text = [
      HEADER,
      `m1,Li Na,gold,handbags,yes,${KEY_A}`, // 2 ok
      `m2,Wang Fang,diamond,handbags,yes,${KEY_B}`, // 3 bad tier
      `m3,,gold,handbags,yes,${KEY_B}`, // 4 empty name
      'm4,Zhang Wei,gold,handbags,yes,xyz', // 5 bad key
      `m5,Chen Jing,gold,yes,${KEY_B}`, // 6 wrong column count
      `m6,Liu Yang,silver,handbags,maybe,${KEY_B}`, // 7 bad consent
      `m1,Li Na again,gold,handbags,yes,${KEY_B}`, // 8 duplicate id
      `m7,Xu Ying,gold,handbags,yes,${KEY_A}`, // 9 duplicate key
      `m 8,Sun Hao,gold,Hand Bags,yes,${KEY_B}`, // 10 bad id and tag
      `m9,Zhou Min,platinum,,no,${KEY_B}`, // 11 ok
    ].join('\n');
    const { members, errors } = parseMembersCsv(text);
    expect(members.map((m) => m.memberId)).toEqual(['m1', 'm9']);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(errors[0]!.error).toBe('tier "diamond" is not one of basic|silver|gold|platinum');
    expect(errors[1]!.error).toBe('name is empty');
    expect(errors[2]!.error).toBe('tokenKey must be 32 hex characters (got 3 characters, not all hex)');
    expect(errors[3]!.error).toBe('expected 6 columns, got 5');
    expect(errors[4]!.error).toBe('consent "maybe" is not yes|no');
    expect(errors[5]!.error).toBe('duplicate memberId "m1" (first on line 2)');
    expect(errors[6]!.error).toBe('tokenKey already used on line 2');
    expect(errors[7]!.error).toMatch(/^memberId "m 8" is not a valid id.*; tag "Hand Bags" is not a tag \(a tag is 1-40 lower-case letters.*\)$/);
    // Keys are secrets: never echoed in an error.
    for (const e of errors) expect(e.error).not.toContain(KEY_A);
  });

  it('counts lines across quoted newlines', () => {
    const text = `${HEADER}\nm1,"Li\nNa",gold,,yes,${KEY_A}\nm2,Bad,gold,,yes,zz\n`;
    const { members, errors } = parseMembersCsv(text);
    expect(members[0]!.name).toBe('Li\nNa');
    expect(errors).toEqual([{ line: 4, error: 'tokenKey must be 32 hex characters (got 2 characters, not all hex)' }]);
  });

  it('rejects a wrong header and an unterminated quote', () => {
    expect(parseMembersCsv('id,name\nm1,x\n').errors).toEqual([{ line: 1, error: `expected header "${HEADER}"` }]);
    expect(parseMembersCsv('').errors[0]!.line).toBe(1);
    expect(parseMembersCsv(`${HEADER}\nm1,"Li Na,gold,,yes,${KEY_A}\n`).errors).toEqual([{ line: 2, error: 'unterminated quoted field' }]);
  });

  it('reports an unreadable file as line 0', () => {
    const { members, errors } = loadMembersCsv(join(mkdtempSync(join(tmpdir(), 'fc-members-')), 'missing.csv'));
    expect(members).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.line).toBe(0);
    expect(errors[0]!.error).toMatch(/ENOENT/);
  });
});
