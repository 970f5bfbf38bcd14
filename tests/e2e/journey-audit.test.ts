/**
 * The fault-injection audit finds what it is there to find: a lost seq, a stored duplicate, a
 * re-emitted event, a visit without its exit and a second arrival for a shopper already inside.
 */
import { describe, expect, it } from 'vitest';
import { auditJourneys, type StoredEvent } from './journey-audit.js';

let n = 0;
const ev = (type: string, at: number, visitId: string, subject = 's_aaaa0001', extra: Partial<StoredEvent> = {}): StoredEvent => {
  n += 1;
  return { id: `id-${n}`, seq: n, type, at, visitId, subject, ...extra };
};
const visit = (visitId: string, subject: string, from: number, to: number) => [
  ev('approach', from - 2_000, visitId, subject),
  ev('arrival', from, visitId, subject),
  ev('dwell', from + 30_000, visitId, subject, { phase: 'start', zoneId: 'z1' }),
  ev('exit', to, visitId, subject),
];

describe('auditJourneys', () => {
  it('passes complete, distinct visits', () => {
    n = 0;
    const events = [...visit('v1', 's_aaaa0001', 10_000, 90_000), ...visit('v2', 's_aaaa0002', 20_000, 80_000), ...visit('v3', 's_aaaa0001', 100_000, 150_000)];
    const a = auditJourneys(n, events);
    expect(a).toMatchObject({
      produced: 12,
      stored: 12,
      lost: [],
      duplicateSeqs: [],
      unknownSeqs: [],
      duplicateEvents: [],
      visits: 3,
      visitsWithArrival: 3,
      cut: [],
    });
  });

  it('counts a lost seq, a seq stored twice and one it never produced', () => {
    n = 0;
    const events = visit('v1', 's_aaaa0001', 10_000, 90_000);
    const kept = events.filter((e) => e.seq !== 3);
    const a = auditJourneys(n + 1, [...kept, { ...events[0]!, id: 'other' }, { ...events[1]!, seq: 99, id: 'x' }]);
    expect(a.lost).toEqual([3, 5]);
    expect(a.duplicateSeqs).toEqual([1]);
    expect(a.unknownSeqs).toEqual([99]);
    expect(a.duplicateEvents.length).toBe(2);
  });

  it('finds a visit without its exit and a second arrival for a shopper inside (a restart that forgot)', () => {
    n = 0;
    // Before the restart: arrived, no exit. After: the same shopper "arrives" again, then leaves.
    const events = [
      ev('arrival', 10_000, 'v1'),
      ev('dwell', 40_000, 'v1', undefined, { phase: 'start', zoneId: 'z1' }),
      ev('arrival', 60_000, 'v2'),
      ev('exit', 120_000, 'v2'),
    ];
    const a = auditJourneys(n, events);
    expect(a.lost).toEqual([]);
    expect(a.cut.map((c) => `${c.visitId}: ${c.reason}`).sort()).toEqual(['v1: arrival without exit', 'v2: second arrival while already inside']);
  });

  it('accepts a visit that only approached and never exited', () => {
    n = 0;
    expect(auditJourneys(n, [ev('approach', 10_000, 'v1'), ...visit('v2', 's_aaaa0002', 20_000, 80_000)]).cut).toEqual([]);
  });

  it('finds two arrivals or two exits in one visit and events after the exit', () => {
    n = 0;
    const events = [
      ev('arrival', 10_000, 'v1'),
      ev('arrival', 20_000, 'v1'),
      ev('exit', 50_000, 'v1'),
      ev('exit', 50_000, 'v1'),
      ev('dwell', 60_000, 'v1', undefined, { phase: 'end' }),
    ];
    const reasons = auditJourneys(n, events)
      .cut.map((c) => c.reason)
      .sort();
    expect(reasons).toEqual(['2 arrivals in one visit', '2 exits', 'event after its exit']);
  });
});
