import { describe, expect, it } from 'vitest';
import { parseMembersCsv, parseMembersCsvReport } from './members.csv.js';

const HEADER = 'memberId,name,tier,tags,consent,tokenKey,legacyBeacon';
const KEY_A = '00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100';
const KEY_C = '0123456789abcdef0123456789abcdef';
const CARD = 'B9407F30-F5F8-466E-AFF9-25556B57FE6D:12345:54321';

describe('members CSV: optional legacyBeacon column', () => {
  it('reads uuid:major:minor (canonicalised), empty for members without a card', () => {
    const { members, errors } = parseMembersCsv([HEADER, `m1,Li Na,gold,,yes,${KEY_A},${CARD}`, `m2,Bo,basic,,yes,${KEY_B},`].join('\n'));
    expect(errors).toEqual([]);
    expect(members[0]!.legacyBeacon).toEqual({ uuid: 'b9407f30-f5f8-466e-aff9-25556b57fe6d', major: 12345, minor: 54321 });
    expect(members[1]).not.toHaveProperty('legacyBeacon');
  });

  it('rejects a malformed beacon and a card shared by two members, naming the column', () => {
    const { members, errors } = parseMembersCsvReport(
      [HEADER, `m1,Li Na,gold,,yes,${KEY_A},${CARD}`, `m2,Bo,basic,,yes,${KEY_B},b9407f30:1:70000`, `m3,Cy,basic,,yes,${KEY_C},${CARD.toLowerCase()}`].join(
        '\n',
      ),
    );
    expect(members.map((m) => m.memberId)).toEqual(['m1']);
    expect(errors.map((e) => [e.line, e.problems.map((p) => p.field)])).toEqual([
      [3, ['legacyBeacon']],
      [4, ['legacyBeacon']],
    ]);
    expect(errors[1]!.error).toBe('legacyBeacon already used on line 2');
  });

  it('a row must have the header width', () => {
    const { errors } = parseMembersCsv([HEADER, `m1,Li Na,gold,,yes,${KEY_A}`].join('\n'));
    expect(errors).toEqual([{ line: 2, error: 'expected 7 columns, got 6' }]);
  });
});
