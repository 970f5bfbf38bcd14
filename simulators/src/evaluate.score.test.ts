import type { PresenceEvent, TruthEvent } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { evaluateOffline } from './evaluate.run.js';
import { formatEvaluation } from './evaluate.format.js';
import { DEFAULT_TOLERANCE_MS, scoreJourney, spread } from './evaluate.score.js';
import { f1Of, inStoreHours, summarizeEvaluation } from './evaluate.summary.js';
import { memberJourney } from './scenario.js';
import { demoMembers, exampleSite } from './testing/fixtures.js';
import { createWorld } from './world.js';

const T = 1_767_607_200_000;
const truth = (type: TruthEvent['type'], at: number, extra: Partial<TruthEvent> = {}): TruthEvent => ({ type, at: T + at, subject: 's_1', ...extra });
const det = (type: PresenceEvent['type'], at: number, extra: Partial<PresenceEvent> = {}): PresenceEvent => ({
  v: 1,
  id: `01J${type}${at}`.padEnd(26, '0'),
  seq: 1,
  type,
  at: T + at,
  detectedAt: T + at + 1000,
  siteId: 'site',
  gatewayId: 'gw',
  subject: { id: 's_1', signals: ['ble'] },
  visitId: 'v1',
  confidence: 0.9,
  model: { name: 'rules', version: '1' },
  ...extra,
});

describe('scoreJourney', () => {
  it('matches per subject and kind within tolerance and reports precision, recall and timing', () => {
    const t = [
      truth('approach', 0),
      truth('arrival', 8_000),
      truth('dwell', 40_000, { phase: 'start', zoneId: 'z1' }),
      truth('dwell', 40_000 + 60_000, { phase: 'update', zoneId: 'z1' }),
      truth('dwell', 130_000, { phase: 'end', zoneId: 'z1', dwellMs: 120_000 }),
      truth('floor_change', 150_000, { fromFloor: 0, toFloor: 1 }),
      truth('exit', 200_000),
    ];
    const d = [
      det('approach', 2_000),
      det('arrival', 9_000),
      det('arrival', 60_000), // spurious
      det('dwell', 45_000, { phase: 'start', zoneId: 'z1' }),
      det('dwell', 131_000, { phase: 'end', zoneId: 'z1', dwellMs: 110_000 }),
      det('floor_change', 155_000, { fromFloor: 0, toFloor: 2 }),
      det('exit', 290_000), // too late: beyond 30 s
      det('approach', 0, { subject: { id: 's_2', signals: [] } }), // someone else
    ];
    const s = scoreJourney(t, d);
    expect(s.kinds.approach).toMatchObject({ truth: 1, detected: 2, matched: 1, precision: 0.5, recall: 1 });
    expect(s.kinds.approach.timingErrorMs).toMatchObject({ n: 1, median: 2000 });
    expect(s.kinds.approach.latencyMs).toMatchObject({ median: 3000 });
    expect(s.kinds.arrival).toMatchObject({ truth: 1, detected: 2, matched: 1, precision: 0.5 });
    expect(s.kinds.dwell_start).toMatchObject({ matched: 1, recall: 1 });
    expect(s.kinds.dwell_end).toMatchObject({ matched: 1 });
    expect(s.dwellErrorMs).toMatchObject({ median: 10_000 });
    expect(s.floorAccuracy).toBe(0);
    expect(s.kinds.exit).toMatchObject({ truth: 1, detected: 1, matched: 0, recall: 0, precision: 0 });
    expect(s.kinds.purchase).toMatchObject({ truth: 0, detected: 0, precision: null, recall: null });
  });

  it('requires the same zone for dwell and checks member ids', () => {
    const s = scoreJourney(
      [truth('dwell', 0, { phase: 'start', zoneId: 'a', memberId: 'M1' }), truth('arrival', 0, { memberId: 'M1' })],
      [det('dwell', 0, { phase: 'start', zoneId: 'b' }), det('arrival', 0, { subject: { id: 's_1', memberId: 'M1', signals: ['ble'] } })],
    );
    expect(s.kinds.dwell_start.matched).toBe(0);
    expect(s.memberAccuracy).toBe(1);
  });

  it('computes spreads', () => {
    expect(spread([])).toBeNull();
    expect(spread([5, 1, 3, 2, 4])).toEqual({ n: 5, mean: 3, median: 3, p90: 5, p95: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(spread(hundred)).toMatchObject({ median: 51, p90: 91, p95: 96 });
  });
});

describe('scoreJourney near misses (hand-made)', () => {
  const tol = DEFAULT_TOLERANCE_MS;

  it('matches at exactly the tolerance and not one millisecond beyond, on either side', () => {
    for (const kind of ['arrival', 'exit', 'floor_change'] as const) {
      const extra = kind === 'floor_change' ? { fromFloor: 0, toFloor: 1 } : {};
      const t = [truth(kind, 100_000, extra)];
      expect(scoreJourney(t, [det(kind, 100_000 + tol[kind], extra)]).kinds[kind].matched, `${kind} late, inside`).toBe(1);
      expect(scoreJourney(t, [det(kind, 100_000 - tol[kind], extra)]).kinds[kind].matched, `${kind} early, inside`).toBe(1);
      expect(scoreJourney(t, [det(kind, 100_000 + tol[kind] + 1, extra)]).kinds[kind].matched, `${kind} late, outside`).toBe(0);
      expect(scoreJourney(t, [det(kind, 100_000 - tol[kind] - 1, extra)]).kinds[kind].matched, `${kind} early, outside`).toBe(0);
    }
  });

  it('a custom tolerance replaces the default for its kind only', () => {
    const t = [truth('arrival', 0), truth('exit', 60_000)];
    const d = [det('arrival', 4_000), det('exit', 84_000)];
    const s = scoreJourney(t, d, { arrival: 3_000 });
    expect(s.kinds.arrival.matched).toBe(0);
    expect(s.kinds.exit.matched).toBe(1);
  });

  it('two detections for one truth: the closer one matches, the other is a false positive', () => {
    const s = scoreJourney([truth('arrival', 10_000)], [det('arrival', 17_000), det('arrival', 11_000)]);
    expect(s.kinds.arrival).toMatchObject({ truth: 1, detected: 2, matched: 1, precision: 0.5, recall: 1 });
    expect(s.kinds.arrival.timingErrorMs).toMatchObject({ n: 1, median: 1_000 });
  });

  it('two truths, one detection between them: one match, one miss (no double counting)', () => {
    const s = scoreJourney([truth('arrival', 0), truth('arrival', 8_000)], [det('arrival', 5_000)]);
    expect(s.kinds.arrival).toMatchObject({ truth: 2, detected: 1, matched: 1, precision: 1, recall: 0.5 });
  });

  it('a detection in the wrong zone or the wrong store does not match', () => {
    const zone = scoreJourney([truth('dwell', 0, { phase: 'start', zoneId: 'shoes' })], [det('dwell', 0, { phase: 'start', zoneId: 'bags' })]);
    expect(zone.kinds.dwell_start).toMatchObject({ matched: 0, precision: 0, recall: 0 });
    const store = scoreJourney([truth('arrival', 0, { storeId: 'st-a' })], [det('arrival', 500, { storeId: 'st-b' })]);
    expect(store.kinds.arrival.matched).toBe(0);
    // A side that names no store (older traces) is not held against the other.
    expect(scoreJourney([truth('arrival', 0)], [det('arrival', 500, { storeId: 'st-b' })]).kinds.arrival.matched).toBe(1);
    expect(scoreJourney([truth('arrival', 0, { storeId: 'st-a' })], [det('arrival', 500, { storeId: 'st-a' })]).kinds.arrival.matched).toBe(1);
  });

  it('the wrong subject never matches; the wrong member matches the journey but lowers member accuracy', () => {
    const other = scoreJourney([truth('exit', 0)], [det('exit', 0, { subject: { id: 's_2', signals: ['ble'] } })]);
    expect(other.kinds.exit.matched).toBe(0);
    const s = scoreJourney(
      [truth('arrival', 0, { memberId: 'M1' }), truth('exit', 90_000, { memberId: 'M1' })],
      [
        det('arrival', 0, { subject: { id: 's_1', memberId: 'M2', signals: ['ble'] } }),
        det('exit', 90_000, { subject: { id: 's_1', memberId: 'M1', signals: ['ble'] } }),
      ],
    );
    expect(s.kinds.arrival.matched).toBe(1);
    expect(s.memberAccuracy).toBe(0.5);
  });

  it('a floor change in time but between the wrong floors matches yet is not counted correct', () => {
    const s = scoreJourney(
      [truth('floor_change', 0, { fromFloor: 0, toFloor: 1 }), truth('floor_change', 100_000, { fromFloor: 1, toFloor: 0 })],
      [det('floor_change', 1_000, { fromFloor: 0, toFloor: 1 }), det('floor_change', 101_000, { fromFloor: 1, toFloor: 2 })],
    );
    expect(s.kinds.floor_change.matched).toBe(2);
    expect(s.floorChangesCorrect).toBe(1);
    expect(s.floorAccuracy).toBe(0.5);
  });
});

describe('summarizeEvaluation', () => {
  const t = [
    truth('approach', 0),
    truth('arrival', 5_000),
    truth('dwell', 30_000, { phase: 'start', zoneId: 'z1' }),
    truth('dwell', 90_000, { phase: 'end', zoneId: 'z1', dwellMs: 60_000 }),
    truth('floor_change', 100_000, { fromFloor: 0, toFloor: 1 }),
    truth('floor_change', 200_000, { fromFloor: 1, toFloor: 0 }),
    truth('exit', 365_000), // 360 s inside
    truth('arrival', 0, { subject: 's_2' }), // never exits: inside until the end
  ];
  const d = [
    det('arrival', 6_000),
    det('arrival', 1_000, { subject: { id: 's_2', signals: ['ble'] } }),
    det('dwell', 32_000, { phase: 'start', zoneId: 'z1' }),
    det('dwell', 95_000, { phase: 'end', zoneId: 'z1', dwellMs: 63_000 }),
    det('floor_change', 101_000, { fromFloor: 0, toFloor: 1 }),
    det('exit', 150_000), // false exit while inside
    det('exit', 366_000),
  ];

  it('reports byType P/R/F1/latency/support, macro F1 over present journey kinds, dwell error, floor accuracy and false exits per in-store hour', () => {
    const s = summarizeEvaluation(scoreJourney(t, d), t, { endAt: T + 720_000 });
    expect(s.byType.arrival).toEqual({ precision: 1, recall: 1, f1: 1, latencyP50Ms: 2_000, latencyP95Ms: 2_000, support: 2, detected: 2, matched: 2 });
    expect(s.byType.dwell).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(s.byType.floor_change).toMatchObject({ precision: 1, recall: 0.5, f1: 0.667, support: 2 });
    expect(s.byType.exit).toMatchObject({ precision: 0.5, recall: 1, f1: 0.667, support: 1 });
    expect(s.byType.approach).toMatchObject({ support: 1, detected: 0, f1: 0, precision: null, recall: 0 });
    expect(s.byType.purchase).toMatchObject({ support: 0, f1: null });
    expect(s.macroTypes).toEqual(['arrival', 'dwell', 'floor_change', 'exit']);
    expect(s.macroF1).toBe(Math.round(((1 + 1 + 0.667 + 0.667) / 4) * 1000) / 1000);
    expect(s.dwellErrorMedianMs).toBe(3_000);
    expect(s.floorChangeAccuracy).toBe(0.5);
    expect(s.floorAccuracy).toBe(1);
    expect(s.falseExits).toBe(1);
    // s_1: 5 s -> 365 s (0.1 h); s_2: 0 -> 720 s end (0.2 h).
    expect(s.inStoreSubjectHours).toBe(0.3);
    expect(s.falseExitsPerSubjectHour).toBe(3.333);
    expect(s.toleranceMs.arrival).toBe(DEFAULT_TOLERANCE_MS.arrival);
  });

  it('leaves absent kinds out of the macro and gives null where nothing can be said', () => {
    const s = summarizeEvaluation(scoreJourney([], []), []);
    expect(s.macroF1).toBeNull();
    expect(s.floorChangeAccuracy).toBeNull();
    expect(s.falseExitsPerSubjectHour).toBeNull();
    expect(f1Of({ truth: 0, detected: 3, matched: 0 })).toBe(0);
    expect(f1Of({ truth: 0, detected: 0, matched: 0 })).toBeNull();
    expect(inStoreHours([truth('exit', 10), truth('arrival', 20)], T + 3_600_020)).toBe(1);
  });

  it('the human report carries the same figures', () => {
    const s = summarizeEvaluation(scoreJourney(t, d), t, { endAt: T + 720_000 });
    const text = formatEvaluation({ classifier: 'rules', observations: 10, truthEvents: t.length, detectedEvents: d.length }, s);
    expect(text).toMatch(/^floor_change\s+2\s+1\s+1\s+1\.000\s+0\.500\s+0\.667\s+2000 ms\s+2000 ms\s+±20 s$/m);
    expect(text).toMatch(/macro F1 \(arrival, dwell, floor_change, exit\)\s+0\.833/);
    expect(text).toMatch(/false exits per subject-hour\s+3\.333/);
    expect(text).toMatch(/dwell-time error, median \| p90\s+3000 ms/);
  });
});

describe('evaluateOffline (gateway pipeline on a simulated trace)', () => {
  it('scores the member-visit scenario end to end', () => {
    const site = exampleSite('dept-store');
    const members = demoMembers();
    const m = members.find((x) => x.consent)!;
    const world = createWorld({ site, durationMs: 4 * 60_000, shoppersPerHour: 0, scenarios: [memberJourney({ memberId: m.memberId, key: m.tokenKey })] });
    const r = evaluateOffline({ site, observations: [...world.observations()], truth: world.truth(), members });
    expect(r.events.length).toBeGreaterThan(0);
    // The detector is the gateway's business; here we check the plumbing: scored, member resolved.
    expect(r.score.kinds.arrival.truth).toBe(1);
    expect(r.score.kinds.purchase.truth).toBe(1);
    expect(r.events.some((e) => e.subject.memberId === m.memberId)).toBe(true);
  });
});
