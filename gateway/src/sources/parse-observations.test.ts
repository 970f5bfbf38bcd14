import { describe, expect, it } from 'vitest';
import { parseObservationPayload, reasonForLog, shouldLogRejection } from './parse-observations.js';

describe('parseObservationPayload', () => {
  const good = { v: 1, at: 1, source: 'ble', receiverId: 'rx', subject: 's', rssiDbm: -60 };

  it('accepts a single object, an array and NDJSON', () => {
    expect(parseObservationPayload(JSON.stringify(good)).observations).toHaveLength(1);
    expect(parseObservationPayload(JSON.stringify([good, good])).observations).toHaveLength(2);
    expect(parseObservationPayload(`${JSON.stringify(good)}\n\n${JSON.stringify(good)}\n`).observations).toHaveLength(2);
    expect(parseObservationPayload('   ')).toEqual({ observations: [], rejected: [] });
  });

  it('reports bad entries with where and why, keeping good ones', () => {
    const r = parseObservationPayload(JSON.stringify([good, { ...good, at: -1 }, 'x']));
    expect(r.observations).toHaveLength(1);
    expect(r.rejected.map((x) => x.at)).toEqual(['[1]', '[2]']);
    expect(parseObservationPayload('{"v":1').rejected[0]!.at).toBe('body');
  });

  it('never echoes input snippets into logs, and rate-limits rejection logs', () => {
    const r = parseObservationPayload('garbage abcdef0123456789');
    expect(r.rejected[0]!.error).toContain('garbage');
    expect(reasonForLog(r.rejected[0]!.error)).not.toContain('garbage');
    expect([1, 10, 11, 999, 1000, 1001].map(shouldLogRejection)).toEqual([true, true, false, false, true, false]);
  });
});
