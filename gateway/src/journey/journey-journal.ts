import { initialJourneyState, type JourneyState } from './journey.types.js';

/**
 * What survives a gateway restart of the journeys in flight (issue: a restart cut 20 visits and
 * gave 7 shoppers already inside a second arrival). Open journeys are written to the gateway's
 * SQLite file with the tick's events, in the same transaction (store/outbox.sqlite.ts), and read
 * back at start: a shopper inside stays inside (no second arrival), a visit goes on, and one who
 * left while the gateway was down gets an exit at the time they were last heard.
 *
 * This module is pure bookkeeping: which subjects changed since the last write, and the versioned
 * serialisation. It writes when it matters, not every tick: a subject whose tick produced events
 * or changed place is written with those events; every open journey is written on the periodic
 * flush (the pipeline's caller decides when, default every 5 s) and at a clean stop.
 */
export const JOURNEY_STATE_VERSION = 1;

/** One persisted journey: the machine's state and when the subject was last heard by radio. */
export interface SavedJourney {
  subject: string;
  state: JourneyState;
  lastSeenAt: number | undefined;
}

export interface JourneyChanges {
  upserts: SavedJourney[];
  /** Subjects whose journey ended or was dropped: their rows go. */
  deletes: string[];
}

export class JourneyJournal {
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly restoredLastSeen = new Map<string, number>();

  /** The subject's journey changed in a way a restart must not lose (events, a new place). */
  touch(subject: string): void {
    this.dirty.add(subject);
    this.removed.delete(subject);
  }

  remove(subject: string): void {
    this.dirty.delete(subject);
    this.removed.add(subject);
    this.restoredLastSeen.delete(subject);
  }

  /** Last radio sighting known from before a restart, for a subject not heard since. */
  lastSeen(subject: string): number | undefined {
    return this.restoredLastSeen.get(subject);
  }

  /** Marks subjects restored from disk (their last sighting stands in until they are heard again). */
  restored(saved: readonly SavedJourney[]): void {
    for (const s of saved) if (s.lastSeenAt !== undefined) this.restoredLastSeen.set(s.subject, s.lastSeenAt);
  }

  /**
   * The changes to write: dirty subjects (or, with `all`, every journey that is not absent), and
   * the removed ones. A journey back to `absent` is a delete: nothing of it needs to survive.
   */
  take(
    journeys: ReadonlyMap<string, JourneyState>,
    lastSeenOf: (subject: string) => number | undefined,
    all: boolean,
    skip: (subject: string) => boolean,
  ): JourneyChanges {
    const upserts: SavedJourney[] = [];
    const deletes = new Set(this.removed);
    const candidates = all ? new Set([...this.dirty, ...journeys.keys()]) : this.dirty;
    for (const subject of candidates) {
      const state = journeys.get(subject);
      if (state === undefined || state.place === 'absent') {
        deletes.add(subject);
        continue;
      }
      if (skip(subject)) continue;
      upserts.push({ subject, state, lastSeenAt: lastSeenOf(subject) });
    }
    if (all) for (const [subject, state] of journeys) if (state.place === 'absent') deletes.add(subject);
    this.dirty.clear();
    this.removed.clear();
    return { upserts, deletes: [...deletes] };
  }
}

/** The row's JSON: `{v, state}`; undefined fields are left out and come back as undefined. */
export function serializeJourney(state: JourneyState): string {
  return JSON.stringify({ v: JOURNEY_STATE_VERSION, state });
}

/**
 * Parses a stored row; undefined (and the reason) for a version this build does not know or a
 * shape it cannot read, so an upgrade that changed the state never crashes the start.
 */
export function parseJourney(json: string): { ok: true; state: JourneyState } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'not an object' };
  const { v, state } = parsed as { v?: unknown; state?: unknown };
  if (v !== JOURNEY_STATE_VERSION) return { ok: false, reason: `journey state version ${String(v)} is not ${JOURNEY_STATE_VERSION}` };
  if (typeof state !== 'object' || state === null) return { ok: false, reason: 'no state' };
  const s = { ...initialJourneyState(), ...(state as Partial<JourneyState>) };
  if (!['absent', 'near', 'inside'].includes(s.place) || (s.place === 'inside' && typeof s.visitId !== 'string'))
    return { ok: false, reason: 'not a journey state' };
  if (typeof s.dwellMsByZone !== 'object' || s.dwellMsByZone === null || !Array.isArray(s.floors)) return { ok: false, reason: 'not a journey state' };
  return { ok: true, state: s };
}
