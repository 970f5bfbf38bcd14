import { describe, expect, it } from 'vitest';
import { encodeLine, parseTrace, parseTruth, TRACE_FORMAT, TRUTH_FORMAT } from './trace.js';

const header = { format: TRACE_FORMAT, v: 1, siteId: 'boutique', startedAt: 1000, seed: 42 };

describe('trace format', () => {
  it('round-trips header and observations', () => {
    const obs = [
      { v: 1, at: 1000, source: 'ble', receiverId: 'rx-1', subject: 's_1', rssiDbm: -60 },
      { v: 1, at: 1250, source: 'terminal', receiverId: 'pos-1', subject: 's_1', terminal: { kind: 'pos', action: 'purchase', amount: 99.5, memberId: 'M1' } },
    ];
    const text = encodeLine(header) + obs.map(encodeLine).join('');
    const parsed = parseTrace(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.header).toEqual(header);
      expect(parsed.value.records).toEqual(obs);
      expect(parsed.value.rejected).toEqual([]);
    }
  });

  it('keeps good lines and reports bad ones with their line number', () => {
    const text = [
      JSON.stringify(header),
      '{"v":1,"at":1,"source":"ble","receiverId":"r","subject":"s"}',
      '{oops',
      '{"v":1,"at":-5,"source":"ble","receiverId":"r","subject":"s"}',
      '',
    ].join('\n');
    const parsed = parseTrace(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.records).toHaveLength(1);
      expect(parsed.value.rejected.map((r) => r.line)).toEqual([3, 4]);
      expect(parsed.value.rejected[1]!.error).toMatch(/^at:/);
    }
  });

  it('refuses a file whose header is not a trace header', () => {
    const parsed = parseTrace(JSON.stringify({ ...header, format: TRUTH_FORMAT }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/line 1 \(header\)/);
    const truth = parseTruth(JSON.stringify({ ...header, format: TRUTH_FORMAT }) + '\n' + JSON.stringify({ type: 'exit', at: 5, subject: 's_1' }));
    expect(truth.ok && truth.value.records.length).toBe(1);
  });
});
