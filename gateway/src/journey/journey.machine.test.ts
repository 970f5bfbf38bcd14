import { describe, expect, it } from 'vitest';
import type { ClassProbs } from '../classify/classifier.js';
import { DEFAULT_HOLD, initialJourneyState, nextJourneyState, type JourneyEventDraft, type MachineSettings, type PurchaseInput } from './journey.machine.js';

const T0 = 1_700_000_000_000;
const TICK = 250;

/** A stretch of ticks with the same classifier output. `silent`: no radio sighting during it. */
interface Segment {
  ticks: number;
  place?: 'absent' | 'near' | 'inside';
  zoneId?: string;
  floor?: number;
  silent?: boolean;
  purchaseAtTick?: number;
  door?: boolean;
}

function probsFor(seg: Segment): ClassProbs {
  const p = seg.place ?? 'absent';
  return {
    subject: 's',
    absent: p === 'absent' ? 0.9 : 0.05,
    outsideNear: p === 'near' ? 0.9 : 0.05,
    inside: p === 'inside' ? 0.9 : 0.05,
    floor: seg.floor,
    floorConfidence: 0.8,
    zoneId: seg.zoneId,
    zoneConfidence: 0.7,
  };
}

function settings(over: Partial<MachineSettings> = {}): MachineSettings {
  let n = 0;
  return {
    dwellThresholdMs: 10_000,
    dwellUpdateMs: 10_000,
    exitAbsenceMs: 12_000,
    zoneDwellThresholdMs: new Map(),
    multiFloor: false,
    floorLinkZones: new Set(),
    floorLinkWindowMs: 60_000,
    crossingLagMs: 0,
    floorArrivalDelayMs: 0,
    zoneLagMs: 0,
    doorGating: false,
    doorWindowMs: 10_000,
    reentryGapMs: 0,
    ...DEFAULT_HOLD,
    // The table below was written for 250 ms ticks and these holds (2, 3, 6, 4, 6 ticks and a
    // 30-tick doorless entry); the defaults are tuned separately.
    approachHoldMs: 250,
    enterHoldMs: 500,
    leaveHoldMs: 1_250,
    zoneHoldMs: 750,
    floorHoldMs: 1_250,
    doorlessEntryHoldMs: 7_250,
    minProb: 0.55,
    newId: (at) => `visit-${at - T0}-${n++}`,
    ...over,
  };
}

/** Runs segments tick by tick; returns events with times relative to T0. */
function run(segments: Segment[], s: MachineSettings = settings(), tickMs = TICK) {
  let state = initialJourneyState();
  let lastSeenAt: number | undefined;
  const out: JourneyEventDraft[] = [];
  let i = 0;
  for (const seg of segments) {
    for (let k = 0; k < seg.ticks; k++, i++) {
      const now = T0 + i * tickMs;
      if (!seg.silent) lastSeenAt = now;
      const purchases: PurchaseInput[] = seg.purchaseAtTick === k ? [{ at: now, terminalId: 'pos-1', amount: 42, currency: 'EUR', confidence: 1 }] : [];
      const r = nextJourneyState(state, { now, probs: seg.silent ? undefined : probsFor(seg), lastSeenAt, purchases, atDoor: seg.door ?? false }, s);
      state = r.state;
      out.push(...r.events);
    }
  }
  return { events: out.map((e) => ({ ...e, at: e.at - T0, detectedAt: e.detectedAt - T0 })), state };
}

const brief = (events: { type: string; at: number; phase?: string }[]) => events.map((e) => `${e.type}${e.phase ? `:${e.phase}` : ''}@${e.at}`);

describe('nextJourneyState', () => {
  const cases: { name: string; segments: Segment[]; expected: string[]; settings?: Partial<MachineSettings> }[] = [
    {
      name: 'a passer-by gets one approach and no exit',
      segments: [
        { ticks: 4, place: 'absent' },
        { ticks: 20, place: 'near' },
        { ticks: 80, silent: true },
      ],
      expected: ['approach@1000'],
    },
    {
      name: 'one near tick is noise (approach needs 2 ticks)',
      segments: [
        { ticks: 1, place: 'near' },
        { ticks: 4, place: 'absent' },
        { ticks: 60, silent: true },
      ],
      expected: [],
    },
    {
      name: 'approach, arrival at the first inside tick, exit at the last sighting after exitAbsenceMs',
      segments: [
        { ticks: 8, place: 'near' },
        { ticks: 20, place: 'inside' },
        { ticks: 60, silent: true },
      ],
      // last sighting at tick 27 = 6750 ms; exit decided 12 s later
      expected: ['approach@0', 'arrival@2000', 'exit@6750'],
    },
    {
      name: 'two inside ticks at the door do not make an arrival (hysteresis)',
      segments: [
        { ticks: 8, place: 'near' },
        { ticks: 2, place: 'inside' },
        { ticks: 8, place: 'near' },
        { ticks: 60, silent: true },
      ],
      expected: ['approach@0'],
    },
    {
      name: 'straight in without a near phase still reports approach then arrival',
      segments: [
        { ticks: 10, place: 'inside' },
        { ticks: 60, silent: true },
      ],
      expected: ['approach@0', 'arrival@0', 'exit@2250'],
    },
    {
      name: 'a clear outside pattern after inside is an exit at the run start; coming back is a new visit without approach',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 10, place: 'inside' },
        { ticks: 10, place: 'near' },
        { ticks: 10, place: 'inside' },
        { ticks: 8, place: 'near' },
      ],
      expected: ['approach@0', 'arrival@1000', 'exit@3500', 'arrival@6000', 'exit@8500'],
    },
    {
      name: 'dwell start at entry + threshold, update every dwellUpdateMs, end on zone change with total dwell',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 100, place: 'inside', zoneId: 'sales' },
        { ticks: 20, place: 'inside', zoneId: 'till' },
        { ticks: 60, silent: true },
      ],
      // arrival at 1000 in sales; start 11000, update 21000; till run starts at tick 104 = 26000
      expected: ['approach@0', 'arrival@1000', 'dwell:start@11000', 'dwell:update@21000', 'dwell:end@26000', 'exit@30750'],
    },
    {
      name: 'a zone override threshold applies',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 30, place: 'inside', zoneId: 'till' },
        { ticks: 60, silent: true },
      ],
      settings: { zoneDwellThresholdMs: new Map([['till', 5_000]]) },
      expected: ['approach@0', 'arrival@1000', 'dwell:start@6000', 'dwell:end@8250', 'exit@8250'],
    },
    {
      name: 'dwell is not reported for time after the last sighting',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside', zoneId: 'sales' },
        { ticks: 80, silent: true },
      ],
      expected: ['approach@0', 'arrival@1000', 'exit@5750'],
    },
    {
      name: 'floor change in a multi-floor store at the first tick on the new floor',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside', floor: 0 },
        { ticks: 20, place: 'inside', floor: 1 },
        { ticks: 60, silent: true },
      ],
      settings: { multiFloor: true },
      expected: ['approach@0', 'arrival@1000', 'floor_change@6000', 'exit@10750'],
    },
    {
      name: 'with escalator zones, a floor change without passing an escalator is not believed',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside', floor: 0, zoneId: 'sales' },
        { ticks: 20, place: 'inside', floor: 1, zoneId: 'upper' },
        { ticks: 60, silent: true },
      ],
      settings: { multiFloor: true, floorLinkZones: new Set(['esc']) },
      expected: ['approach@0', 'arrival@1000', 'exit@10750'],
    },
    {
      name: 'with escalator zones, a floor change right after the escalator is reported',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside', floor: 0, zoneId: 'esc' },
        { ticks: 20, place: 'inside', floor: 1, zoneId: 'upper' },
        { ticks: 60, silent: true },
      ],
      settings: { multiFloor: true, floorLinkZones: new Set(['esc']) },
      expected: ['approach@0', 'arrival@1000', 'floor_change@6000', 'exit@10750'],
    },
    {
      name: 'with door receivers, near -> inside without passing the door is not an arrival',
      segments: [
        { ticks: 8, place: 'near' },
        { ticks: 20, place: 'inside' },
        { ticks: 60, silent: true },
      ],
      settings: { doorGating: true },
      expected: ['approach@0'],
    },
    {
      name: 'with door receivers, passing the door makes the arrival; leaving through it the exit',
      segments: [
        { ticks: 6, place: 'near' },
        { ticks: 2, place: 'near', door: true },
        { ticks: 20, place: 'inside' },
        { ticks: 2, place: 'inside', door: true },
        { ticks: 10, place: 'near' },
      ],
      settings: { doorGating: true },
      expected: ['approach@0', 'arrival@2000', 'exit@7500'],
    },
    {
      name: 'with door receivers, a phone first heard inside arrives after a long steady run without a door',
      segments: [
        { ticks: 40, place: 'inside' },
        { ticks: 60, silent: true },
      ],
      settings: { doorGating: true },
      expected: ['approach@0', 'arrival@0', 'exit@9750'],
    },
    {
      name: 'with door receivers, a short inside blip of a far subject is not an arrival',
      segments: [
        { ticks: 10, place: 'inside' },
        { ticks: 60, silent: true },
      ],
      settings: { doorGating: true },
      expected: [],
    },
    {
      name: 'with door receivers, a weak stretch deep inside (still heard, no door passed) is no exit',
      segments: [
        { ticks: 4, place: 'near', door: true },
        { ticks: 80, place: 'inside' },
        { ticks: 60, place: 'absent' },
        { ticks: 40, place: 'inside' },
        { ticks: 60, silent: true },
      ],
      settings: { doorGating: true },
      // Before: exit@21000 after 12 s of weak readings, then a doorless re-arrival. Now one visit,
      // ending at its last sighting once the phone falls silent.
      expected: ['approach@0', 'arrival@1000', 'exit@45750'],
    },
    {
      name: 'with door receivers, a weak stretch right after passing the door is an exit',
      segments: [
        { ticks: 4, place: 'near', door: true },
        { ticks: 80, place: 'inside' },
        { ticks: 2, place: 'inside', door: true },
        { ticks: 60, place: 'absent' },
        { ticks: 40, place: 'inside' },
      ],
      settings: { doorGating: true },
      // The exit is dated to the start of the weak streak; the later inside run has no door, and
      // 10 s of it is past the doorless-entry hold, so it is a new visit.
      expected: ['approach@0', 'arrival@1000', 'exit@21500', 'approach@36500', 'arrival@36500'],
    },
    {
      name: 'a re-entry right after an exit needs reentryGapMs',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 10, place: 'inside' },
        { ticks: 10, place: 'near' },
        { ticks: 10, place: 'inside' },
        { ticks: 20, place: 'near' },
        { ticks: 10, place: 'inside' },
        { ticks: 8, place: 'near' },
      ],
      settings: { reentryGapMs: 5_000 },
      // exit at 3500; the inside run at 6000 is too soon; the one at 13500 is fine
      expected: ['approach@0', 'arrival@1000', 'exit@3500', 'arrival@13500', 'exit@16000'],
    },
    {
      name: 'crossing lag moves switch times back',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside' },
        { ticks: 8, place: 'near' },
      ],
      settings: { crossingLagMs: 500 },
      expected: ['approach@-500', 'arrival@500', 'exit@5500'],
    },
    {
      name: 'no floor_change in a single-floor store',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside', floor: 0 },
        { ticks: 20, place: 'inside', floor: 1 },
        { ticks: 60, silent: true },
      ],
      expected: ['approach@0', 'arrival@1000', 'exit@10750'],
    },
    {
      name: 'a floor flicker shorter than floorTicks is ignored',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside', floor: 0 },
        { ticks: 3, place: 'inside', floor: 1 },
        { ticks: 20, place: 'inside', floor: 0 },
        { ticks: 60, silent: true },
      ],
      settings: { multiFloor: true },
      expected: ['approach@0', 'arrival@1000', 'exit@11500'],
    },
    {
      name: 'purchase inside a visit',
      segments: [
        { ticks: 4, place: 'near' },
        { ticks: 20, place: 'inside', purchaseAtTick: 10 },
        { ticks: 60, silent: true },
      ],
      expected: ['approach@0', 'arrival@1000', 'purchase@3500', 'exit@5750'],
    },
  ];

  it.each(cases)('$name', ({ segments, expected, settings: over }) => {
    expect(brief(run(segments, settings(over)).events)).toEqual(expected);
  });

  it('carries visit ids, the visit summary and detectedAt', () => {
    const { events, state } = run([
      { ticks: 4, place: 'near' },
      { ticks: 60, place: 'inside', zoneId: 'sales', floor: 0, purchaseAtTick: 30 },
      { ticks: 60, silent: true },
    ]);
    const visitIds = new Set(events.map((e) => e.visitId));
    expect(visitIds.size).toBe(1);
    const exit = events.find((e) => e.type === 'exit')!;
    expect(exit.summary).toEqual({
      arrivedAt: T0 + 1000,
      leftAt: T0 + 15_750,
      durationMs: 14_750,
      zones: [{ zoneId: 'sales', dwellMs: 14_750 }],
      floors: [0],
      purchased: true,
    });
    expect(exit.detectedAt - exit.at).toBeGreaterThanOrEqual(12_000);
    const arrival = events.find((e) => e.type === 'arrival')!;
    expect(arrival.detectedAt - arrival.at).toBe(2 * TICK);
    expect(arrival.confidence).toBeCloseTo(0.9);
    const purchase = events.find((e) => e.type === 'purchase')!;
    expect(purchase).toMatchObject({ amount: 42, currency: 'EUR', terminalId: 'pos-1', zoneId: 'sales' });
    expect(state.place).toBe('absent');
    expect(state.visitId).toBeUndefined();
  });

  it('a second visit gets a new visit id', () => {
    const { events } = run([
      { ticks: 4, place: 'near' },
      { ticks: 10, place: 'inside' },
      { ticks: 60, silent: true },
      { ticks: 4, place: 'near' },
      { ticks: 10, place: 'inside' },
      { ticks: 60, silent: true },
    ]);
    expect(brief(events)).toEqual(['approach@0', 'arrival@1000', 'exit@3250', 'approach@18500', 'arrival@19500', 'exit@21750']);
    expect(new Set(events.map((e) => e.visitId)).size).toBe(2);
  });

  it('holds are durations: the same walk at 4x the tick rate gives the same events', () => {
    const walk = (k: number): Segment[] => [
      { ticks: 4 * k, place: 'near' },
      { ticks: 100 * k, place: 'inside', zoneId: 'sales' },
      { ticks: 20 * k, place: 'inside', zoneId: 'till' },
      { ticks: 8 * k, place: 'near' },
    ];
    expect(brief(run(walk(4), settings(), TICK / 4).events)).toEqual(brief(run(walk(1)).events));
  });

  it('does not mutate the input state', () => {
    const s0 = initialJourneyState();
    const frozen = JSON.stringify(s0);
    nextJourneyState(s0, { now: T0, probs: probsFor({ ticks: 1, place: 'inside' }), lastSeenAt: T0, purchases: [] }, settings({ enterHoldMs: 0 }));
    expect(JSON.stringify(s0)).toBe(frozen);
  });
});
