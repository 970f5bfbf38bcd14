import type { VisitSummary } from '@storesense/protocol';
import type { ClassProbs } from '../classify/classifier.js';
import type { JourneyEventDraft, JourneyState, MachineSettings, Place, Run, TickInput } from './journey.types.js';

export * from './journey.types.js';

/** How long before a weak-signal streak the door evidence of a departure may come. */
const DOOR_BEFORE_WEAK_EXIT_MS = 15_000;

/**
 * One subject's journey, one tick at a time: class probabilities in, journey events out.
 * Pure: no clock, no I/O; ids come from `settings.newId(at)`. Hysteresis: a place, zone or floor
 * switch must hold for settings.*HoldMs of consecutive ticks with probability ≥ minProb, and the event's
 * `at` is the first tick of that run (the best estimate of the crossing); `detectedAt` is `now`.
 * Leaving: either a clear outside pattern for `leaveHoldMs` (exit at the run start) or no/weak
 * signal for `exitAbsenceMs` (exit at the last sighting); with door gating, weak signal while still
 * heard ends a visit only after door evidence (decision 80).
 * @example
 * let s = initialJourneyState();
 * ({ state: s, events } = nextJourneyState(s, { now, probs, lastSeenAt, purchases: [] }, settings));
 */
export function nextJourneyState(state: JourneyState, input: TickInput, settings: MachineSettings): { state: JourneyState; events: JourneyEventDraft[] } {
  const s: JourneyState = { ...state, dwellMsByZone: { ...state.dwellMsByZone }, floors: [...state.floors] };
  const events: JourneyEventDraft[] = [];
  const { now, probs, lastSeenAt } = input;
  // Dwell is reported in the store's own zones only: a zone outside them (a mall corridor) counts
  // as "no zone", whatever the classifier says.
  const zoned =
    probs && probs.zoneId !== undefined && settings.dwellZoneIds !== undefined && !settings.dwellZoneIds.has(probs.zoneId)
      ? { ...probs, zoneId: undefined }
      : probs;

  for (const p of input.purchases) {
    s.visitId ??= settings.newId(p.at);
    s.purchased = true;
    events.push(
      omitUndefined({
        type: 'purchase',
        at: p.at,
        detectedAt: now,
        visitId: s.visitId,
        confidence: p.confidence,
        terminalId: p.terminalId,
        amount: p.amount,
        currency: p.currency,
        zoneId: s.zone?.zoneId,
        floor: s.floor,
      }),
    );
  }

  if (input.atDoor) s.lastDoorAt = now;
  const observed = observePlace(probs, settings.minProb);
  s.absentSince = observed === 'absent' ? (s.absentSince ?? now) : observed === undefined ? s.absentSince : undefined;
  const silentForMs = lastSeenAt === undefined ? Number.POSITIVE_INFINITY : now - lastSeenAt;
  const absentForMs = s.absentSince === undefined ? 0 : now - s.absentSince;

  // A weak-signal streak ends a visit only if the subject went past a door around it (or fell
  // silent): deep in a store whose receivers sit by the door, a shopper reads weak everywhere too.
  const weakExitOk =
    s.place !== 'inside' ||
    !settings.doorGating ||
    (s.lastDoorAt !== undefined && s.absentSince !== undefined && s.lastDoorAt >= s.absentSince - DOOR_BEFORE_WEAK_EXIT_MS);
  if (s.place !== 'absent' && (silentForMs >= settings.exitAbsenceMs || (absentForMs >= settings.exitAbsenceMs && weakExitOk))) {
    // Best estimate of the moment they left: the last sighting, or the start of a weak-signal streak.
    const leftAt = Math.min(lastSeenAt ?? now, s.absentSince ?? now);
    if (s.place === 'inside') events.push(...exitVisit(s, leftAt, now, 0.9, settings));
    else resetVisit(s);
    s.place = 'absent';
    s.placeRun = undefined;
  } else if (observed !== undefined && observed !== 'absent' && observed !== s.place) {
    const run = extendRun(s.placeRun, observed, now, placeProb(probs, observed), s.lastTickAt);
    const holdMs = observed === 'inside' ? settings.enterHoldMs : s.place === 'inside' ? settings.leaveHoldMs : settings.approachHoldMs;
    s.placeRun = run;
    // A blocked run keeps counting: door evidence often shows a moment after the crossing (the
    // smoothed entrance RSSI rises late), and the event keeps the run's start as its time.
    const tooSoon = observed === 'inside' && s.lastExitAt !== undefined && run.since - s.lastExitAt < settings.reentryGapMs;
    if (held(run, holdMs) && !tooSoon && !doorBlocks(s, run, now, settings)) {
      events.push(...switchPlace(s, run, zoned, now, settings));
      s.placeRun = undefined;
    }
  } else if (observed !== undefined) {
    s.placeRun = undefined;
  }

  if (probs?.zoneId !== undefined && settings.floorLinkZones.has(probs.zoneId)) s.lastFloorLinkAt = now;
  if (s.place === 'inside' && zoned && observed !== 'absent' && observed !== undefined) {
    events.push(...trackFloor(s, zoned, now, settings));
    events.push(...trackZone(s, zoned, now, settings));
  }
  if (s.place === 'inside' && s.zone) events.push(...dwellTicks(s, settledUntil(s, Math.min(now, lastSeenAt ?? now), now, settings), now, settings));
  s.lastTickAt = now;
  return { state: s, events };
}

/**
 * Ends the subject's journey at `at` because it is not a shopper (device-roles: staff or fixed).
 * An open visit ends as a departure would (dwell end, exit with its summary), so the cloud sees a
 * closed visit rather than one left open; a pass (approach only) simply ends, as it does when a
 * passer-by walks out of range. The state returned is absent, with no visit.
 */
export function endJourney(state: JourneyState, at: number, now: number, settings: MachineSettings): { state: JourneyState; events: JourneyEventDraft[] } {
  const s: JourneyState = { ...state, dwellMsByZone: { ...state.dwellMsByZone }, floors: [...state.floors] };
  const events = s.place === 'inside' ? exitVisit(s, at, now, 1, settings) : [];
  resetVisit(s);
  s.place = 'absent';
  s.placeRun = undefined;
  s.absentSince = undefined;
  return { state: s, events };
}

/**
 * Crossing between outside and inside must go through a door (when the store has door
 * receivers): door evidence no earlier than `doorWindowMs` before the run started. A subject first
 * heard already inside (absent -> inside: a phone switched on in the store) may skip the door
 * after a long, steady run (doorlessEntryHoldMs).
 */
function doorBlocks(s: JourneyState, run: Run<Place>, now: number, settings: MachineSettings): boolean {
  if (!settings.doorGating) return false;
  const entering = run.value === 'inside' && s.place !== 'inside';
  const leaving = run.value === 'near' && s.place === 'inside';
  if (!entering && !leaving) return false;
  const doorSeen = s.lastDoorAt !== undefined && s.lastDoorAt >= run.since - settings.doorWindowMs;
  if (doorSeen) return false;
  // A long, steady inside run also enters from near: a weak phone (low transmit power, body
  // shadowing) can cross the door without ever reaching the door level, and would otherwise stay
  // "outside" for its whole visit (simulated dept-store: a 10-minute visit lost).
  return !(entering && held(run, settings.doorlessEntryHoldMs));
}

/** The run has been supported for `holdMs` (a zero hold fires on its first tick). */
function held(run: Run<unknown>, holdMs: number): boolean {
  return run.heldMs >= holdMs;
}

function observePlace(p: ClassProbs | undefined, minProb: number): Place | undefined {
  if (!p) return 'absent';
  if (p.inside >= minProb && p.inside >= p.outsideNear) return 'inside';
  if (p.outsideNear >= minProb) return 'near';
  if (p.absent >= minProb) return 'absent';
  return undefined;
}

function placeProb(p: ClassProbs | undefined, place: Place): number {
  if (!p) return place === 'absent' ? 1 : 0;
  return place === 'inside' ? p.inside : place === 'near' ? p.outsideNear : p.absent;
}

/**
 * Extends a run with this tick, or starts a new one. Time counts only between consecutive
 * supporting ticks: an ambiguous tick (or one that skipped this run) in between adds nothing, so a
 * hold means that long of actual support, at any tick rate.
 */
function extendRun<T>(run: Run<T> | undefined, value: T, now: number, prob: number, prevTickAt: number | undefined): Run<T> {
  if (run && run.value === value) {
    const gainMs = run.lastAt === prevTickAt ? now - run.lastAt : 0;
    return { value, since: run.since, lastAt: now, heldMs: run.heldMs + gainMs, ticks: run.ticks + 1, probSum: run.probSum + prob };
  }
  return { value, since: now, lastAt: now, heldMs: 0, ticks: 1, probSum: prob };
}

const mean = (run: Run<unknown>) => round3(run.probSum / Math.max(1, run.ticks));
const round3 = (x: number) => Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;

function switchPlace(s: JourneyState, run: Run<Place>, probs: ClassProbs | undefined, now: number, settings: MachineSettings): JourneyEventDraft[] {
  const events: JourneyEventDraft[] = [];
  const at = run.since - settings.crossingLagMs;
  const confidence = mean(run);
  const from = s.place;
  if (run.value === 'inside') {
    if (from === 'absent' || s.visitId === undefined) {
      s.visitId ??= settings.newId(at);
      if (from === 'absent') {
        s.approachedAt = at;
        events.push({ type: 'approach', at, detectedAt: now, visitId: s.visitId, confidence });
      }
    }
    s.arrivedAt = at;
    s.place = 'inside';
    s.floor = probs?.floor;
    if (s.floor !== undefined && !s.floors.includes(s.floor)) s.floors.push(s.floor);
    events.push(omitUndefined({ type: 'arrival', at, detectedAt: now, visitId: s.visitId, confidence, floor: s.floor }));
    if (probs?.zoneId !== undefined) s.zone = { zoneId: probs.zoneId, enteredAt: at, dwellStartedAt: undefined, nextUpdateAt: undefined };
    return events;
  }
  if (run.value === 'near' && from === 'inside') {
    events.push(...exitVisit(s, at, now, confidence, settings));
    s.place = 'near';
    return events;
  }
  // absent -> near: the approach that opens a visit-or-pass.
  s.visitId = settings.newId(at);
  s.approachedAt = at;
  s.place = 'near';
  events.push({ type: 'approach', at, detectedAt: now, visitId: s.visitId, confidence });
  return events;
}

function trackFloor(s: JourneyState, p: ClassProbs, now: number, settings: MachineSettings): JourneyEventDraft[] {
  if (p.floor === undefined || p.floor === s.floor) {
    s.floorRun = undefined;
    return [];
  }
  if (s.floor === undefined) {
    s.floor = p.floor;
    if (!s.floors.includes(p.floor)) s.floors.push(p.floor);
    return [];
  }
  const linked = settings.floorLinkZones.size === 0 || (s.lastFloorLinkAt !== undefined && now - s.lastFloorLinkAt <= settings.floorLinkWindowMs);
  if (!linked) {
    s.floorRun = undefined;
    return [];
  }
  const run = extendRun(s.floorRun, p.floor, now, p.floorConfidence, s.lastTickAt);
  s.floorRun = run;
  if (!held(run, settings.floorHoldMs)) return [];
  const fromFloor = s.floor;
  s.floor = run.value;
  s.floorRun = undefined;
  if (!s.floors.includes(run.value)) s.floors.push(run.value);
  if (!settings.multiFloor || s.visitId === undefined) return [];
  const at = Math.min(now, Math.max(run.since - settings.crossingLagMs + settings.floorArrivalDelayMs, s.arrivedAt ?? 0));
  return [{ type: 'floor_change', at, detectedAt: now, visitId: s.visitId, confidence: mean(run), fromFloor, toFloor: run.value, floor: run.value }];
}

function trackZone(s: JourneyState, p: ClassProbs, now: number, settings: MachineSettings): JourneyEventDraft[] {
  if (p.zoneId === s.zone?.zoneId) {
    s.zoneRun = undefined;
    return [];
  }
  const run = extendRun(s.zoneRun, p.zoneId, now, p.zoneConfidence, s.lastTickAt);
  s.zoneRun = run;
  if (!held(run, settings.zoneHoldMs)) return [];
  s.zoneRun = undefined;
  const at = Math.max(run.since - settings.zoneLagMs, s.zone?.enteredAt ?? s.arrivedAt ?? 0);
  const events = closeZone(s, at, now, settings);
  if (run.value !== undefined) s.zone = { zoneId: run.value, enteredAt: at, dwellStartedAt: undefined, nextUpdateAt: undefined };
  return events;
}

/**
 * The latest time up to which the stay in the current zone is settled: no later decision can date
 * the zone's (lag-corrected) leave before it. Zone switches and exits are dated back to the start of
 * their run minus the smoothing lag, so a dwell decided on raw time alone could start after the
 * leave that is found a few seconds later (a zero-length or too-short dwell: start and end at the
 * same `at`). Deciding dwell start/update only up to here keeps start.at = entry + threshold ≤
 * every later corrected leave, so every dwell end has dwellMs ≥ its threshold. Bounds:
 * - the last sighting (dwell counts only while backed by sightings, `evidenceAt`);
 * - a run not yet begun starts after `now`, dated back by at most max(zoneLagMs, crossingLagMs);
 * - a pending zone run (its start − zoneLagMs) or exit run (its start − crossingLagMs);
 * - a streak of absent ticks (an absence exit is dated to its start at the latest).
 * The cost is detection latency: dwell start goes out about zoneLagMs later than the raw stay says.
 */
function settledUntil(s: JourneyState, evidenceAt: number, now: number, settings: MachineSettings): number {
  let t = Math.min(evidenceAt, now - Math.max(settings.zoneLagMs, settings.crossingLagMs));
  if (s.zoneRun) t = Math.min(t, s.zoneRun.since - settings.zoneLagMs);
  if (s.placeRun && s.placeRun.value !== 'inside') t = Math.min(t, s.placeRun.since - settings.crossingLagMs);
  if (s.absentSince !== undefined) t = Math.min(t, s.absentSince);
  return t;
}

/** Dwell start/update for the current zone, decided only for time settled up to `evidenceAt` (see settledUntil). */
function dwellTicks(s: JourneyState, evidenceAt: number, now: number, settings: MachineSettings): JourneyEventDraft[] {
  const z = s.zone;
  if (!z || s.visitId === undefined) return [];
  const events: JourneyEventDraft[] = [];
  const threshold = settings.zoneDwellThresholdMs.get(z.zoneId) ?? settings.dwellThresholdMs;
  let zone = z;
  if (zone.dwellStartedAt === undefined && evidenceAt >= zone.enteredAt + threshold) {
    const at = zone.enteredAt + threshold;
    zone = { ...zone, dwellStartedAt: at, nextUpdateAt: at + settings.dwellUpdateMs };
    events.push({
      type: 'dwell',
      phase: 'start',
      at,
      detectedAt: now,
      visitId: s.visitId,
      zoneId: zone.zoneId,
      floor: s.floor,
      dwellMs: threshold,
      confidence: 0.8,
    });
  }
  while (zone.nextUpdateAt !== undefined && evidenceAt >= zone.nextUpdateAt) {
    const at = zone.nextUpdateAt;
    events.push({
      type: 'dwell',
      phase: 'update',
      at,
      detectedAt: now,
      visitId: s.visitId,
      zoneId: zone.zoneId,
      floor: s.floor,
      dwellMs: at - zone.enteredAt,
      confidence: 0.8,
    });
    zone = { ...zone, nextUpdateAt: at + settings.dwellUpdateMs };
  }
  s.zone = zone;
  return events.map(omitUndefined);
}

/**
 * Leaves the current zone at `at` (lag-corrected). Now that the stay's end is known, a dwell start
 * (and updates) that settledUntil held back goes out first if the stay reached its threshold: a
 * stay that crosses the threshold within the last smoothing lag before leaving is still a dwell.
 */
function closeZone(s: JourneyState, at: number, now: number, settings: MachineSettings): JourneyEventDraft[] {
  const caughtUp = s.place === 'inside' && s.zone ? dwellTicks(s, at, now, settings) : [];
  const z = s.zone;
  s.zone = undefined;
  if (!z || z.dwellStartedAt === undefined || s.visitId === undefined) return caughtUp;
  // settledUntil keeps `at` ≥ dwellStartedAt; the max is only a last guard against an end before its start.
  const endAt = Math.max(at, z.dwellStartedAt);
  const dwellMs = endAt - z.enteredAt;
  s.dwellMsByZone[z.zoneId] = (s.dwellMsByZone[z.zoneId] ?? 0) + dwellMs;
  return [
    ...caughtUp,
    omitUndefined({ type: 'dwell', phase: 'end', at: endAt, detectedAt: now, visitId: s.visitId, zoneId: z.zoneId, floor: s.floor, dwellMs, confidence: 0.8 }),
  ];
}

function exitVisit(s: JourneyState, leftAt: number, now: number, confidence: number, settings: MachineSettings): JourneyEventDraft[] {
  const visitId = s.visitId;
  const at = Math.max(leftAt, s.arrivedAt ?? leftAt);
  const events = closeZone(s, at, now, settings);
  if (visitId !== undefined) {
    const summary: VisitSummary = {
      leftAt: at,
      durationMs: Math.max(0, at - (s.arrivedAt ?? at)),
      zones: Object.entries(s.dwellMsByZone).map(([zoneId, dwellMs]) => ({ zoneId, dwellMs })),
      floors: [...s.floors],
      purchased: s.purchased,
      ...(s.arrivedAt !== undefined ? { arrivedAt: s.arrivedAt } : {}),
    };
    events.push(omitUndefined({ type: 'exit', at, detectedAt: now, visitId, confidence: round3(confidence), floor: s.floor, summary }));
    s.lastExitAt = at;
  }
  resetVisit(s);
  return events;
}

function resetVisit(s: JourneyState): void {
  s.lastFloorLinkAt = undefined;
  s.visitId = undefined;
  s.approachedAt = undefined;
  s.arrivedAt = undefined;
  s.zone = undefined;
  s.zoneRun = undefined;
  s.floor = undefined;
  s.floorRun = undefined;
  s.dwellMsByZone = {};
  s.floors = [];
  s.purchased = false;
}

/** Drops keys whose value is undefined so events stay minimal and compare cleanly in tests. */
function omitUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
