import type { DwellPhase, EventType, VisitSummary } from '@storesense/protocol';
import type { ClassProbs } from '../classify/classifier.js';

export type Place = 'absent' | 'near' | 'inside';

/** A purchase already attributed to this subject by the pipeline. */
export interface PurchaseInput {
  at: number;
  terminalId: string;
  amount?: number;
  currency?: string;
  confidence: number;
}

/** What the machine sees of one subject at one tick. */
export interface TickInput {
  /** Tick time (becomes `detectedAt`). */
  now: number;
  /** This tick's class probabilities; undefined when the subject was not classified (terminal-only). */
  probs: ClassProbs | undefined;
  /** Last radio sighting of the subject. */
  lastSeenAt: number | undefined;
  purchases: readonly PurchaseInput[];
  /** The subject is at a door this tick (close to an entrance receiver). */
  atDoor?: boolean;
}

export interface MachineSettings {
  dwellThresholdMs: number;
  dwellUpdateMs: number;
  exitAbsenceMs: number;
  zoneDwellThresholdMs: ReadonlyMap<string, number>;
  multiFloor: boolean;
  /**
   * How long a candidate place, zone or floor must hold, from its first tick to the current one,
   * before the switch is made. Durations, not tick counts: the same settings hold at any tick
   * rate (N ticks of 250 ms span (N − 1) × 250 ms). absent -> near (approach):
   */
  approachHoldMs: number;
  /** near/absent -> inside (arrival). */
  enterHoldMs: number;
  /** inside -> near on a clear outside pattern (exit while still heard). */
  leaveHoldMs: number;
  zoneHoldMs: number;
  floorHoldMs: number;
  /** A subject first heard already inside may arrive without door evidence after this long. */
  doorlessEntryHoldMs: number;
  /**
   * Zones where floors connect (escalators). When non-empty, a floor change is accepted only if
   * the subject was placed in one of them within `floorLinkWindowMs`: a strong receiver on the
   * floor above is otherwise easily mistaken for a change of floor.
   */
  floorLinkZones: ReadonlySet<string>;
  floorLinkWindowMs: number;
  /**
   * When true (the store has entrance receivers), switching between outside-near and inside needs
   * door evidence within `doorWindowMs`: without it, a window shopper whose signals happen to
   * favour the inside receivers for a few seconds would "arrive".
   */
  doorGating: boolean;
  doorWindowMs: number;
  /** After an exit, a new arrival needs at least this much time (people rarely turn back at once). */
  reentryGapMs: number;
  /**
   * Smoothing makes every switch visible a little late; event times are moved back by this much
   * (about the fast EWMA's time constant × ln 2).
   */
  crossingLagMs: number;
  /**
   * Floor evidence flips about halfway up an escalator, while a floor change happens on arrival at
   * the top: floor_change `at` is moved this much later (capped at the tick time). Half of a
   * typical 18 s ride (4.5 m rise at 0.5 m/s).
   */
  floorArrivalDelayMs: number;
  /** Like crossingLagMs, for zone changes (zones are estimated from the slow EWMA, τ 6 s). */
  zoneLagMs: number;
  /**
   * The zones where dwell is reported (the served stores' zones). A classifier zone outside this set
   * (a mall area such as a corridor) is treated as no zone. Undefined: every zone counts.
   */
  dwellZoneIds?: ReadonlySet<string>;
  /** A tick counts for a place only when its probability is at least this. */
  minProb: number;
  /** Visit id generator (ULID from the event time). */
  newId: (at: number) => string;
}

/**
 * Hysteresis defaults, tuned against the simulator's traces (see README "Measured"). At 250 ms
 * ticks: approach 2 ticks, arrival 6, exit by pattern 10, zone 12, floor 40.
 */
export const DEFAULT_HOLD = {
  approachHoldMs: 250,
  enterHoldMs: 1_250,
  leaveHoldMs: 2_250,
  zoneHoldMs: 3_750,
  floorHoldMs: 9_750,
  doorlessEntryHoldMs: 10_000,
  minProb: 0.7,
} as const;
export type HoldSettings = { -readonly [K in keyof typeof DEFAULT_HOLD]: number };

/** A candidate switch under hysteresis: the value seen since `since`, supported for `heldMs`. */
export interface Run<T> {
  value: T;
  since: number;
  /** The last tick that supported it. */
  lastAt: number;
  /** Time between consecutive supporting ticks (gaps and ambiguous ticks do not count). */
  heldMs: number;
  ticks: number;
  probSum: number;
}

export interface ZoneStay {
  zoneId: string;
  enteredAt: number;
  /** Set once `dwell start` went out. */
  dwellStartedAt: number | undefined;
  nextUpdateAt: number | undefined;
}

export interface JourneyState {
  place: Place;
  visitId: string | undefined;
  approachedAt: number | undefined;
  arrivedAt: number | undefined;
  placeRun: Run<Place> | undefined;
  /** First tick of the current streak of "absent" ticks. */
  absentSince: number | undefined;
  zone: ZoneStay | undefined;
  zoneRun: Run<string | undefined> | undefined;
  floor: number | undefined;
  floorRun: Run<number> | undefined;
  /** Last tick the subject was placed in a floor-link zone (escalator). */
  lastFloorLinkAt: number | undefined;
  /** Last tick the subject was at a door. */
  lastDoorAt: number | undefined;
  /** The previous tick this subject was processed at. */
  lastTickAt: number | undefined;
  /** When the last visit ended (exit `at`). */
  lastExitAt: number | undefined;
  dwellMsByZone: Record<string, number>;
  floors: number[];
  purchased: boolean;
}

/** An event as the machine decides it; the pipeline adds ids, subject, site and model. */
export interface JourneyEventDraft {
  type: EventType;
  at: number;
  detectedAt: number;
  visitId: string;
  confidence: number;
  zoneId?: string;
  floor?: number;
  fromFloor?: number;
  toFloor?: number;
  phase?: DwellPhase;
  dwellMs?: number;
  amount?: number;
  currency?: string;
  terminalId?: string;
  summary?: VisitSummary;
}

export function initialJourneyState(): JourneyState {
  return {
    place: 'absent',
    visitId: undefined,
    approachedAt: undefined,
    arrivedAt: undefined,
    placeRun: undefined,
    absentSince: undefined,
    zone: undefined,
    zoneRun: undefined,
    floor: undefined,
    floorRun: undefined,
    lastFloorLinkAt: undefined,
    lastDoorAt: undefined,
    lastTickAt: undefined,
    lastExitAt: undefined,
    dwellMsByZone: {},
    floors: [],
    purchased: false,
  };
}
