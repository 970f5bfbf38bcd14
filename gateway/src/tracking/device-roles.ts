import type { SubjectTrack } from './tracker.js';
import { handoffDistanceDb, meanVector, signatureOf, vectorDistanceDb, type Signature } from './device-signature.js';
import {
  DEFAULT_DEVICE_ROLES,
  STAFF_SUBJECT_PREFIX,
  type DeviceRole,
  type DeviceRoleSettings,
  type DeviceRoleStats,
  type OpenCalendar,
  type RoleDecision,
  type RoleReason,
} from './device-roles.settings.js';

export * from './device-roles.settings.js';

/*
 * Staff and fixed devices: radios that are in the store for hours but are not shoppers (the
 * greeter's phone by the door, the assistant's on the counter, a beacon or PC advertising all day).
 * Their sightings must make no approach, arrival, dwell or purchase: they would be false footfall
 * and, for a phone by the door, dozens of false arrivals a day. A subject gets a role when
 * - registered: its subject is a `staff_` pseudonym (a badge from config `devices.staffBeacons`,
 *   mapped at ingest; see STAFF_SUBJECT_PREFIX);
 * - off_hours: first heard while the store is closed and still there offHoursMinMs later, or still
 *   there closingGraceMs after closing (staff arrive before opening and leave after closing;
 *   a shopper lingering a few minutes past closing is not flagged);
 * - still: steady at one spot for stillForMs. A parked phone's per-minute mean RSSI vector stays
 *   within a few dB (shadowing is static; per-advert fading averages out), while a shopper moves
 *   between displays: 3 m at 5 m already changes the nearest receiver by ~4.5 dB (log-distance,
 *   n = 2.2). The default 90 min is beyond a shopper's longest stay at one spot: typical visits
 *   last 20-40 min (Underhill, "Why We Buy", 2009), a fitting room or a food-court meal about an
 *   hour (issue 10); a shopper who really sits 90 min in one seat is the accepted cost;
 * - long_presence: heard without a break for presentForMs (4 h), moving or not: longer than any
 *   plausible store visit, shorter than a shift;
 * - handoff: a new address that continues one of the above. Phones rotate their BLE address
 *   (~15 min, Bluetooth Core v5.3 Vol 3 Part C App. A); the new address starts within an advert
 *   interval of the old one's last advert, at the same signal levels (address-carryover linking as
 *   in Becker et al., "Tracking Anonymized Bluetooth Devices", PETS 2019). Such a subject's
 *   events are held back for a few seconds until its levels match (it inherits the role, the
 *   events are dropped) or do not (released, the events go out late but with their true times).
 *   Still runs carry over the same way, so a rotating phone by the door still adds up to
 *   stillForMs.
 * - still at the door: the same stillness for doorStillForMs (10 min) where a door receiver
 *   (role `entrance`) is the strongest, unless the subject has a visit open upstream (it arrived
 *   and sat down near the door: a food-court table; decision 90). The first metres inside a door are a transit zone that
 *   shoppers cross in seconds (Underhill's "decompression zone", "Why We Buy"); standing still
 *   there for 10 minutes is what greeters, guards and parked phones do. This is where a staff
 *   phone makes its false arrivals (it flickers in and out at the door), so it is learned sooner.
 * - still at the counter: counterStillForMs (20 min) where a checkout receiver is the strongest:
 *   a queue and a payment take minutes; the phone or beacon on the counter stays all day;
 * - repeated stillness: a second still run of repeatStillForMs (25 min) in one presence (the
 *   assistant's counter, then the stockroom). One long stay is a shopper's (a fitting room, a meal
 *   in a food court: an hour and more), which is why plain stillness waits stillForMs (90 min);
 *   two long stays at two spots in one visit are a shift (decision 90).
 * Door hold (decision 90): a subject still at the door for doorHoldAfterMs (2 min), or one that
 * was already at the door when the gateway started (first heard within startupWindowMs of the
 * first tick: it never came through the door in our view) and has not moved since, is `holding`:
 * the pipeline holds the events of its new visits until it moves (they go out late, with their
 * true times) or is learned (they are dropped). This is what keeps a parked door phone from
 * arriving in the minutes before it is learned: its flicker arrivals come after minutes at the
 * door, and a shopper passing the door never stands still there for two.
 * A role is kept for as long as the subject is tracked. Pure and deterministic: time comes from
 * `now` and the tracks; memory is one small record per tracked subject (dropped with the track)
 * plus counters.
 */

interface Still {
  since: number;
  /** Running mean of the run's bins. */
  sum: Map<string, { sum: number; n: number }>;
  bins: number;
  /** The run's strongest receiver is a door receiver (updated per bin). */
  atDoor: boolean;
  /** The run's strongest receiver is a checkout receiver (updated per bin). */
  atCounter: boolean;
}

interface RoleTrack {
  decision: RoleDecision | undefined;
  firstAt: number;
  /** Presence start of the chain (inherited through handoffs). */
  chainSince: number;
  /** The chain has moved since chainSince (a still device is 'fixed', a moved one 'staff'). */
  moved: boolean;
  still: Still | undefined;
  bin: { startAt: number; sum: Map<string, { sum: number; n: number }>; samples: number } | undefined;
  lastSampleAt: number;
  lastHeardAt: number;
  /** First sample of the current closed-hours presence; `closedStart` = the chain began while closed. */
  closedSince: number | undefined;
  closedStart: boolean;
  /** Handoff candidates: donors whose last sighting came just before this subject's first. */
  donors: string[] | undefined;
  /** Held out of journeys until a handoff from a role donor is decided. */
  pendingHandoff: boolean;
  /** This subject already passed its chain on. */
  handedOff: boolean;
  /** Still runs of this presence that lasted repeatStillForMs (inherited through handoffs). */
  longRuns: number;
  /** Was at a door when the gateway started and has not moved since (cleared once it moves). */
  startup: boolean;
  /** New visits are held: still at a door (see the class comment). */
  doorHold: boolean;
}

/**
 * Roles of tracked subjects. The pipeline calls `tick(now, tracks)` once per tick before the
 * journeys, skips `excluded(subject)` subjects, holds the events of `holding(subject)` ones,
 * closes the open visits of the returned newly decided subjects, and calls `forget(ids)` when the
 * tracker prunes.
 * @example const roles = new DeviceRoles({ calendar }); const newly = roles.tick(now, tracker.all());
 */
export class DeviceRoles {
  private readonly s: DeviceRoleSettings;
  private readonly calendar: OpenCalendar | undefined;
  private readonly doorReceivers: ReadonlySet<string>;
  private readonly counterReceivers: ReadonlySet<string>;
  private readonly visitOpen: (subject: string) => boolean;
  /** The first tick's time: subjects heard within startupWindowMs of it were there before. */
  private startedAt: number | undefined;
  private eventsDropped = 0;
  /** Handoffs decided since the last `takeHandoffs` (donor, newcomer): the pipeline moves held events along. */
  private handoffs: [string, string][] = [];
  private readonly tracks = new Map<string, RoleTrack>();
  private readonly decided: Record<RoleReason, number> = { registered: 0, off_hours: 0, still: 0, long_presence: 0, handoff: 0 };
  private visitsClosed = 0;

  /** `doorReceivers`: ids of the receivers at the doors (role `entrance`); `counterReceivers`: role `checkout`. */
  constructor(
    opts: {
      settings?: Partial<DeviceRoleSettings>;
      calendar?: OpenCalendar;
      doorReceivers?: ReadonlySet<string>;
      counterReceivers?: ReadonlySet<string>;
      /** The subject has a visit open upstream (its arrival went out); the door rule waits for stillForMs then. */
      visitOpen?: (subject: string) => boolean;
    } = {},
  ) {
    this.visitOpen = opts.visitOpen ?? (() => false);
    this.s = { ...DEFAULT_DEVICE_ROLES, ...dropUndefined(opts.settings ?? {}) };
    this.calendar = opts.calendar;
    this.doorReceivers = opts.doorReceivers ?? new Set();
    this.counterReceivers = opts.counterReceivers ?? new Set();
  }

  /** Decides roles for this tick; returns the subjects that got one now (their open visits must close). */
  tick(now: number, tracks: Iterable<SubjectTrack>): string[] {
    const newly: string[] = [];
    this.startedAt ??= now;
    const open = this.calendar?.isOpen(now) ?? true;
    const fresh: [SubjectTrack, RoleTrack][] = [];
    const byId = new Map<string, SubjectTrack>();
    for (const t of tracks) {
      if (t.lastRadioAt === undefined || !t.signals.has('ble')) continue;
      byId.set(t.id, t);
      let r = this.tracks.get(t.id);
      if (r === undefined) {
        r = this.create(t, now, open);
        if (r.decision) newly.push(t.id);
        fresh.push([t, r]);
      }
    }
    // Handoff candidates are looked for after every track of this tick exists.
    if (this.s.learn) for (const [t, r] of fresh) this.findDonors(t, r, byId);
    for (const [id, r] of this.tracks) {
      const t = byId.get(id);
      if (t === undefined || r.decision?.reason === 'registered') continue;
      if (r.donors !== undefined) this.resolveHandoff(t, r, now, byId, newly);
      if (!this.s.learn || r.decision) continue;
      if (now - r.lastSampleAt >= this.s.sampleMs) this.sample(t, r, now, open);
      const reason = this.learned(r, now, open, id);
      if (reason !== undefined) this.decide(id, r, reason, now, newly);
      else this.updateDoorHold(t, r, now);
    }
    return newly;
  }

  /** Door hold (class comment): still at a door for doorHoldAfterMs, or there since start and unmoved. */
  private updateDoorHold(t: SubjectTrack, r: RoleTrack, now: number): void {
    if (this.doorReceivers.size === 0 || r.handedOff) return;
    // Gone quiet (and not continued by a new address): it left, so it was no parked device.
    if (now - (t.lastRadioAt ?? now) > this.s.doorReleaseSilentMs) {
      r.doorHold = false;
      r.startup = false;
      return;
    }
    if (r.moved) r.startup = false;
    const still = r.still;
    const atDoor = still ? still.atDoor : strongestIn(signatureOf(t), this.doorReceivers);
    if (!atDoor) r.startup = false;
    r.doorHold = r.startup || (still !== undefined && still.atDoor && r.lastHeardAt - still.since >= this.s.doorHoldAfterMs);
  }

  /** The subject's journey must not run: it has a role, or it was first heard while closed and still is. */
  excluded(subject: string): boolean {
    const r = this.tracks.get(subject);
    return r !== undefined && (r.decision !== undefined || (r.closedStart && r.closedSince !== undefined));
  }

  /**
   * A handoff from a staff or fixed device is being decided (a few seconds): the journey runs, but
   * its events wait; they go out if the subject is released and are dropped if it inherits a role.
   */
  holding(subject: string): boolean {
    const r = this.tracks.get(subject);
    return r !== undefined && r.decision === undefined && (r.pendingHandoff || r.doorHold);
  }

  /** Chains passed on since the last call: [old address, new address]. */
  takeHandoffs(): [string, string][] {
    const out = this.handoffs;
    this.handoffs = [];
    return out;
  }

  role(subject: string): RoleDecision | undefined {
    return this.tracks.get(subject)?.decision;
  }

  /** The pipeline closed an open visit of a subject that got a role. */
  countVisitClosed(): void {
    this.visitsClosed += 1;
  }

  /** The pipeline dropped held events of a subject that got a role. */
  countDropped(n: number): void {
    this.eventsDropped += n;
  }

  forget(ids: Iterable<string>): void {
    for (const id of ids) this.tracks.delete(id);
  }

  get size(): number {
    return this.tracks.size;
  }

  stats(): DeviceRoleStats {
    const out: DeviceRoleStats = {
      staff: 0,
      fixed: 0,
      registered: 0,
      learned: 0,
      pending: 0,
      doorHeld: 0,
      decided: { ...this.decided },
      visitsClosed: this.visitsClosed,
      eventsDropped: this.eventsDropped,
    };
    for (const r of this.tracks.values()) {
      if (r.decision) {
        out[r.decision.role] += 1;
        if (r.decision.reason === 'registered') out.registered += 1;
        else out.learned += 1;
      } else if (r.pendingHandoff || (r.closedStart && r.closedSince !== undefined)) out.pending += 1;
      else if (r.doorHold) out.doorHeld += 1;
    }
    return out;
  }

  private create(t: SubjectTrack, now: number, open: boolean): RoleTrack {
    const firstAt = t.firstSeenAt;
    const r: RoleTrack = {
      decision: undefined,
      firstAt,
      chainSince: firstAt,
      moved: false,
      still: undefined,
      bin: undefined,
      lastSampleAt: Number.NEGATIVE_INFINITY,
      lastHeardAt: t.lastRadioAt ?? now,
      closedSince: open ? undefined : now,
      closedStart: !open && this.s.learn,
      donors: undefined,
      pendingHandoff: false,
      handedOff: false,
      longRuns: 0,
      startup: firstAt - (this.startedAt ?? now) <= this.s.startupWindowMs,
      doorHold: false,
    };
    this.tracks.set(t.id, r);
    if (t.id.startsWith(STAFF_SUBJECT_PREFIX)) {
      r.decision = { role: 'staff', reason: 'registered', at: now };
      this.decided.registered += 1;
    }
    return r;
  }

  private findDonors(t: SubjectTrack, r: RoleTrack, byId: Map<string, SubjectTrack>): void {
    if (r.decision) return;
    const donors: string[] = [];
    let roleDonor = false;
    for (const [id, d] of this.tracks) {
      if (id === t.id || d.handedOff || d.firstAt >= r.firstAt) continue;
      const dt = byId.get(id);
      if (dt?.lastRadioAt === undefined) continue;
      const gap = r.firstAt - dt.lastRadioAt;
      if (gap < -this.s.handoffDecideMs || gap > this.s.handoffWindowMs) continue;
      const stillMs = d.still ? dt.lastRadioAt - d.still.since : 0;
      const hasRole = d.decision !== undefined && d.decision.reason !== 'registered';
      if (!hasRole && stillMs < this.s.handoffMinStillMs) continue;
      donors.push(id);
      // A donor being held at a door holds its successor too, or a rotation would let its visit out.
      if (hasRole || d.doorHold) roleDonor = true;
    }
    if (donors.length === 0) return;
    r.donors = donors;
    r.pendingHandoff = roleDonor;
  }

  /**
   * A donor that kept advertising after the newcomer appeared did not rotate; one whose last
   * levels match the newcomer's passes its chain on. Decided handoffDecideMs after the newcomer's
   * first sighting; a newcomer far from every role donor is released at once.
   */
  private resolveHandoff(t: SubjectTrack, r: RoleTrack, now: number, byId: Map<string, SubjectTrack>, newly: string[]): void {
    const mine = signatureOf(t);
    const overlapMs = 1_500;
    const alive = (id: string) => (byId.get(id)?.lastRadioAt ?? Number.NEGATIVE_INFINITY) > r.firstAt + overlapMs;
    r.donors = r.donors!.filter((id) => this.tracks.has(id) && !this.tracks.get(id)!.handedOff && !alive(id));
    const roleDonors = r.donors.filter((id) => this.tracks.get(id)!.decision !== undefined || this.tracks.get(id)!.doorHold);
    if (r.pendingHandoff && roleDonors.every((id) => handoffDistanceDb(mine, signatureOf(byId.get(id)!)) > this.s.handoffReleaseDb)) r.pendingHandoff = false;
    if (r.donors.length === 0) {
      r.donors = undefined;
      r.pendingHandoff = false;
      return;
    }
    if (now - r.firstAt < this.s.handoffDecideMs) return;
    let best: { id: string; d: number } | undefined;
    for (const id of r.donors) {
      const d = handoffDistanceDb(mine, signatureOf(byId.get(id)!));
      if (d <= this.s.handoffMatchDb && (best === undefined || d < best.d)) best = { id, d };
    }
    r.donors = undefined;
    r.pendingHandoff = false;
    if (best === undefined) return;
    const donor = this.tracks.get(best.id)!;
    donor.handedOff = true;
    this.handoffs.push([best.id, t.id]);
    r.chainSince = donor.chainSince;
    r.moved = donor.moved;
    r.still = donor.still ? { ...donor.still, sum: new Map(donor.still.sum) } : undefined;
    r.longRuns = donor.longRuns;
    r.startup = donor.startup;
    r.closedSince = donor.closedSince;
    r.closedStart = donor.closedStart;
    if (donor.decision) this.decide(t.id, r, 'handoff', now, newly, donor.decision.role);
  }

  private sample(t: SubjectTrack, r: RoleTrack, now: number, open: boolean): void {
    const heardAt = t.lastRadioAt ?? r.lastHeardAt;
    if (heardAt - r.lastHeardAt > this.s.absenceResetMs || now - heardAt > this.s.absenceResetMs) {
      // Back after a break (or gone): a new presence, a new still run.
      r.chainSince = heardAt;
      r.still = undefined;
      r.bin = undefined;
      r.moved = false;
      r.longRuns = 0;
      r.closedStart = !open;
      r.closedSince = open ? undefined : now;
    }
    r.lastHeardAt = heardAt;
    r.lastSampleAt = now;
    if (open) {
      r.closedSince = undefined;
      r.closedStart = false;
    } else r.closedSince ??= now;
    if (now - heardAt > this.s.sampleMs) return;
    const bin = (r.bin ??= { startAt: now, sum: new Map(), samples: 0 });
    for (const [rx, level] of signatureOf(t, now - this.s.sampleMs)) {
      const cell = bin.sum.get(rx);
      if (cell) {
        cell.sum += level;
        cell.n += 1;
      } else bin.sum.set(rx, { sum: level, n: 1 });
    }
    bin.samples += 1;
    if (now - bin.startAt < this.s.binMs) return;
    r.bin = undefined;
    const v = meanVector(bin.sum, Math.max(1, Math.floor(bin.samples / 2)));
    if (v.size === 0) return;
    const still = r.still;
    if (still && vectorDistanceDb(v, meanVector(still.sum, 1)) <= this.s.stillToleranceDb) {
      for (const [rx, level] of v) {
        const cell = still.sum.get(rx);
        if (cell) {
          cell.sum += level;
          cell.n += 1;
        } else still.sum.set(rx, { sum: level, n: 1 });
      }
      still.bins += 1;
      const mean = meanVector(still.sum, 1);
      still.atDoor = strongestIn(mean, this.doorReceivers);
      still.atCounter = strongestIn(mean, this.counterReceivers);
      return;
    }
    if (still) {
      r.moved = true;
      if (r.lastHeardAt - still.since >= this.s.repeatStillForMs) r.longRuns += 1;
    }
    r.still = {
      since: bin.startAt,
      sum: new Map([...v].map(([rx, level]) => [rx, { sum: level, n: 1 }])),
      bins: 1,
      atDoor: strongestIn(v, this.doorReceivers),
      atCounter: strongestIn(v, this.counterReceivers),
    };
  }

  private learned(r: RoleTrack, now: number, open: boolean, id: string): RoleReason | undefined {
    if (!open && r.closedSince !== undefined && r.lastHeardAt - r.closedSince >= (r.closedStart ? this.s.offHoursMinMs : this.s.closingGraceMs))
      return 'off_hours';
    if (r.still) {
      const stillMs = r.lastHeardAt - r.still.since;
      // At the door only a device whose visit is not open upstream (held, or never arrived): a
      // shopper who arrived and sat down by the door (a food-court table) keeps the general rule.
      const doorRule = r.still.atDoor && !this.visitOpen(id);
      const needMs = doorRule ? this.s.doorStillForMs : r.still.atCounter ? this.s.counterStillForMs : this.s.stillForMs;
      if (stillMs >= needMs || (r.longRuns > 0 && stillMs >= this.s.repeatStillForMs)) return 'still';
    }
    if (r.lastHeardAt - r.chainSince >= this.s.presentForMs) return 'long_presence';
    return undefined;
  }

  private decide(id: string, r: RoleTrack, reason: RoleReason, now: number, newly: string[], role?: DeviceRole): void {
    r.decision = { role: role ?? (r.moved || reason === 'off_hours' || reason === 'long_presence' ? 'staff' : 'fixed'), reason, at: now };
    r.pendingHandoff = false;
    this.decided[reason] += 1;
    newly.push(id);
  }
}

/** The strongest receiver of `v` is one of `set`. */
function strongestIn(v: ReadonlyMap<string, number>, set: ReadonlySet<string>): boolean {
  if (set.size === 0) return false;
  let best: string | undefined;
  let top = Number.NEGATIVE_INFINITY;
  for (const [rx, level] of v) if (level > top) [best, top] = [rx, level];
  return best !== undefined && set.has(best);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { Signature };
