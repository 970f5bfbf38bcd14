import { GAP_RING, isTimerScanner, pushGap } from './scan-timing.js';
import { occupancySettingsSchema, rssiGateDbm, type OccupancySettings, type OccupancySettingsInput } from './occupancy.settings.js';

/**
 * One probe as the estimator sees it: already pseudonymous (a WiFi Observation's subject, its
 * keyed IE-fingerprint hash and sequence number). Nothing here is an address.
 */
export interface ProbeSample {
  atMs: number;
  subject: string;
  randomized: boolean;
  rssiDbm?: number;
  seq?: number;
  ieFp?: string;
  /** The range gate of the receiver that heard it, when stores have several receivers (default: the settings' gate). */
  gateDbm?: number;
}

/** Counts of one closed minute; no identifiers. */
export interface OccupancyMinute {
  kind: 'minute';
  startMs: number;
  /** People estimated present at the minute's end: merged, in-range, non-fixed devices still within their presence window. */
  occupancy: number;
  /** Distinct addresses heard in range during the minute, before merging (what health `subjects` counts). */
  addressesInRange: number;
  /** Devices heard during the minute that are learned fixed (timer scanners, present for hours) and left out. */
  fixedExcluded: number;
  frames: number;
  framesOutOfRange: number;
}

/** Unique visitors of one closed hour: presence episodes of merged devices that overlapped it. */
export interface OccupancyHour {
  kind: 'hour';
  startMs: number;
  uniqueVisitors: number;
}

export type OccupancyPeriod = OccupancyMinute | OccupancyHour;

export type FixedReason = 'timer_scanner' | 'long_presence';

interface Device {
  randomized: boolean;
  ieFp: string | undefined;
  chain: number;
  lastMs: number;
  visitStartMs: number;
  burstStartMs: number;
  gaps: number[];
  bursts: number;
  lastSeq: number | undefined;
  fixed: FixedReason | undefined;
  heardInMinute: boolean;
}

/** Presence of one merged key (an address chain, or a fingerprint's short-lived addresses). */
interface Presence {
  lastInRangeMs: number;
  burstStartMs: number;
  gaps: number[];
  windowMs: number;
  episode: number;
  /** Fingerprint keys only: when each short-lived address was last heard (bounded). */
  recent?: Map<string, number>;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** A jump in time longer than a day is not filled minute by minute (a stopped capture). */
const MAX_FILL_MINUTES = 1_440;
/** Chain tails kept per fingerprint for sequence-number linking (newest first). */
const TAILS_PER_FINGERPRINT = 64;
const MAX_RECENT = 256;

/**
 * Probe-request occupancy for one store (one receiver's frames, or several receivers' merged).
 * Pure: time comes from the samples (`observe`) or the caller (`advanceTo`); memory is bounded by
 * `maxDevices`. Each closed minute yields occupancy, each closed hour unique visitors.
 *
 * Per frame: range gate (log-distance level at `radiusM` from the receiver's calibration); scan
 * timing and visit length for fixed-device learning (scan-timing.ts); randomised-address chaining
 * by sequence-number continuity. Merging: a randomised address heard in `persistentBursts` bursts
 * is a stable per-network address and counts as its chain; shorter-lived ones (rotated per scan)
 * merge by IE fingerprint, since one phone model and OS answer with one layout. A global address
 * counts by itself. Each merged key stays present for a multiple of its own scan gap.
 * @example
 * const est = new OccupancyEstimator({ radiusM: 8 });
 * for (const s of samples) for (const p of est.observe(s)) if (p.kind === 'minute') console.log(p.occupancy);
 */
export class OccupancyEstimator {
  readonly settings: OccupancySettings;
  readonly gateDbm: number;
  private readonly devices = new Map<string, Device>();
  private readonly tails = new Map<string, { chain: number; lastMs: number; lastSeq: number }[]>();
  private readonly presence = new Map<string, Presence>();
  private hourEpisodes = new Set<number>();
  private nextChain = 1;
  private nextEpisode = 1;
  private minuteStartMs: number | undefined;
  private hourStartMs = 0;
  private frames = 0;
  private framesOutOfRange = 0;
  private fixedTotal = 0;

  constructor(settings: OccupancySettingsInput = {}) {
    this.settings = occupancySettingsSchema.parse(settings);
    this.gateDbm = rssiGateDbm(this.settings.calibration, this.settings.radiusM);
  }

  /** Feeds one probe; returns the minutes (and hours) that closed before it. */
  observe(s: ProbeSample): OccupancyPeriod[] {
    const closed = this.advanceTo(s.atMs);
    this.frames += 1;
    const inRange = s.rssiDbm === undefined || s.rssiDbm >= (s.gateDbm ?? this.gateDbm);
    if (!inRange) this.framesOutOfRange += 1;
    const d = this.device(s);
    this.learn(d, s.atMs);
    d.lastMs = s.atMs;
    if (s.seq !== undefined) d.lastSeq = s.seq;
    if (d.randomized && d.lastSeq !== undefined) this.noteTail(d, s.atMs);
    if (inRange) {
      d.heardInMinute = true;
      if (!d.fixed && !this.pending(d)) {
        const key = this.keyOf(d);
        // An address that proved stable leaves its fingerprint's short-lived group.
        if (key.startsWith('c') && d.randomized && d.ieFp !== undefined) this.presence.get(`f${d.ieFp}`)?.recent?.delete(s.subject);
        this.notePresence(key, s.atMs, s.subject);
      }
    }
    return closed;
  }

  /** Closes every minute (and hour) that ended at or before `atMs`. Call it from a timer when frames stop. */
  advanceTo(atMs: number): OccupancyPeriod[] {
    const out: OccupancyPeriod[] = [];
    if (this.minuteStartMs === undefined) {
      this.minuteStartMs = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
      this.hourStartMs = Math.floor(atMs / HOUR_MS) * HOUR_MS;
      return out;
    }
    let startMs: number = Math.max(this.minuteStartMs, Math.floor(atMs / MINUTE_MS - MAX_FILL_MINUTES) * MINUTE_MS);
    while (atMs >= startMs + MINUTE_MS) {
      const endMs = startMs + MINUTE_MS;
      out.push(this.closeMinute(startMs, endMs));
      startMs = endMs;
      if (endMs >= this.hourStartMs + HOUR_MS) {
        out.push({ kind: 'hour', startMs: this.hourStartMs, uniqueVisitors: this.hourEpisodes.size });
        this.hourEpisodes = new Set();
        this.hourStartMs = Math.floor(endMs / HOUR_MS) * HOUR_MS;
        for (const p of this.presence.values()) if (endMs - p.lastInRangeMs <= p.windowMs) this.hourEpisodes.add(p.episode);
      }
    }
    this.minuteStartMs = startMs;
    return out;
  }

  /** For health: devices tracked now, devices learned fixed since start, the range gate in use. */
  stats(): { trackedDevices: number; fixedLearned: number; gateDbm: number } {
    return { trackedDevices: this.devices.size, fixedLearned: this.fixedTotal, gateDbm: this.gateDbm };
  }

  private device(s: ProbeSample): Device {
    let d = this.devices.get(s.subject);
    if (d) {
      // Map order = recency order, so eviction drops the least recently heard.
      this.devices.delete(s.subject);
      this.devices.set(s.subject, d);
      return d;
    }
    d = {
      randomized: s.randomized,
      ieFp: s.ieFp,
      chain: 0,
      lastMs: s.atMs,
      visitStartMs: s.atMs,
      burstStartMs: s.atMs,
      gaps: [],
      bursts: 1,
      lastSeq: undefined,
      fixed: undefined,
      heardInMinute: false,
    };
    d.chain = s.randomized ? this.linkChain(s) : this.nextChain++;
    this.devices.set(s.subject, d);
    if (this.devices.size > this.settings.maxDevices) {
      const oldest = this.devices.keys().next();
      if (!oldest.done) this.devices.delete(oldest.value);
    }
    return d;
  }

  /**
   * A new randomised address continues the chain whose newest address fell silent just before, with
   * the same fingerprint and a sequence number just ahead (the counter survived the rotation).
   */
  private linkChain(s: ProbeSample): number {
    const { maxGapMs, maxSeqAdvance } = this.settings.link;
    if (s.seq === undefined) return this.nextChain++;
    let best: { chain: number; advance: number } | undefined;
    for (const t of this.tails.get(s.ieFp ?? '') ?? []) {
      if (s.atMs - t.lastMs > maxGapMs || s.atMs < t.lastMs) continue;
      const advance = (s.seq - t.lastSeq + 4096) % 4096;
      if (advance >= 1 && advance <= maxSeqAdvance && (!best || advance < best.advance)) best = { chain: t.chain, advance };
    }
    return best ? best.chain : this.nextChain++;
  }

  private noteTail(d: Device, atMs: number): void {
    const fp = d.ieFp ?? '';
    let list = this.tails.get(fp);
    if (!list) this.tails.set(fp, (list = []));
    const i = list.findIndex((t) => t.chain === d.chain);
    if (i >= 0) list.splice(i, 1);
    list.unshift({ chain: d.chain, lastMs: atMs, lastSeq: d.lastSeq! });
    if (list.length > TAILS_PER_FINGERPRINT) list.pop();
  }

  private learn(d: Device, atMs: number): void {
    if (atMs - d.lastMs > this.settings.continuityGapMs) {
      d.visitStartMs = atMs;
      d.gaps.length = 0;
      d.burstStartMs = atMs;
      d.bursts += 1;
    } else if (atMs - d.lastMs > this.settings.burstGapMs) {
      pushGap(d.gaps, atMs - d.burstStartMs);
      d.burstStartMs = atMs;
      d.bursts += 1;
    }
    if (d.fixed) return;
    if (isTimerScanner(d.gaps, this.settings.periodic)) d.fixed = 'timer_scanner';
    else if (atMs - d.visitStartMs > this.settings.maxVisitMs) d.fixed = 'long_presence';
    if (d.fixed) {
      this.fixedTotal += 1;
      // Its own presence ends now; a fingerprint group it shared stays (other phones of the model).
      if (!this.keyOf(d).startsWith('f')) this.presence.delete(this.keyOf(d));
    }
  }

  /**
   * A global address is held back while its timing is still that of a scan timer (too few gaps to
   * decide): most globally addressed probers today are computers (phones randomise since iOS 14 and
   * Android 10), so a machine switched on with the shop's lights is not counted for the minutes its
   * timer needs to show. The first gap off the grid releases a phone.
   */
  private pending(d: Device): boolean {
    if (d.randomized || d.gaps.length >= this.settings.periodic.minGaps) return false;
    if (d.gaps.length === 0) return true;
    return isTimerScanner(d.gaps, { ...this.settings.periodic, minGaps: 1, minShare: 1 });
  }

  private keyOf(d: Device): string {
    if (d.randomized && this.settings.fingerprintMerge && d.ieFp !== undefined && d.bursts < this.settings.persistentBursts) return `f${d.ieFp}`;
    return `c${d.chain}`;
  }

  private notePresence(key: string, atMs: number, subject: string): void {
    const cfg = this.settings.presence;
    let p = this.presence.get(key);
    if (!p || atMs - p.lastInRangeMs > p.windowMs) {
      p = { lastInRangeMs: atMs, burstStartMs: atMs, gaps: p?.gaps ?? [], windowMs: p?.windowMs ?? cfg.defaultWindowMs, episode: this.nextEpisode++ };
      this.presence.set(key, p);
    } else if (atMs - p.lastInRangeMs > this.settings.burstGapMs) {
      pushGap(p.gaps, atMs - p.burstStartMs);
      p.burstStartMs = atMs;
      const sorted = [...p.gaps].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      p.windowMs = p.gaps.length < 2 ? cfg.defaultWindowMs : Math.min(cfg.maxWindowMs, Math.max(cfg.minWindowMs, cfg.gapMultiple * median));
    }
    p.lastInRangeMs = atMs;
    if (key.startsWith('f')) {
      p.recent ??= new Map();
      p.recent.delete(subject);
      p.recent.set(subject, atMs);
      if (p.recent.size > MAX_RECENT) p.recent.delete(p.recent.keys().next().value!);
    }
    this.hourEpisodes.add(p.episode);
  }

  /**
   * Phones that rotate their address every scan (and restart the sequence counter: unlinkable) are
   * counted by concurrency: distinct addresses of the fingerprint within one scan slot, over the
   * scans one phone makes in it; at least one while the group is present.
   */
  private concurrent(recent: Map<string, number>, endMs: number, windowMs: number): number {
    const { slotMs, scansPerSlot } = this.settings.rotating;
    let inSlot = 0;
    let inWindow = 0;
    for (const [subject, atMs] of recent) {
      if (endMs - atMs <= slotMs) inSlot += 1;
      if (endMs - atMs <= windowMs) inWindow += 1;
      else if (endMs - atMs > this.settings.presence.maxWindowMs) recent.delete(subject);
    }
    return inWindow === 0 ? 0 : Math.max(1, inSlot / scansPerSlot);
  }

  private closeMinute(startMs: number, endMs: number): OccupancyMinute {
    let occupancy = 0;
    for (const [key, p] of this.presence) {
      if (endMs - p.lastInRangeMs <= p.windowMs) occupancy += p.recent ? this.concurrent(p.recent, endMs, p.windowMs) : 1;
      else if (endMs - p.lastInRangeMs > this.settings.presence.maxWindowMs * 2) this.presence.delete(key);
    }
    let addresses = 0;
    let fixed = 0;
    const staleBeforeMs = endMs - this.settings.continuityGapMs * 2;
    for (const [subject, d] of this.devices) {
      if (d.lastMs < staleBeforeMs) this.devices.delete(subject);
      if (!d.heardInMinute) continue;
      d.heardInMinute = false;
      addresses += 1;
      if (d.fixed) fixed += 1;
    }
    for (const [fp, list] of this.tails) {
      while (list.length > 0 && endMs - list.at(-1)!.lastMs > this.settings.link.maxGapMs) list.pop();
      if (list.length === 0) this.tails.delete(fp);
    }
    const m: OccupancyMinute = {
      kind: 'minute',
      startMs,
      occupancy,
      addressesInRange: addresses,
      fixedExcluded: fixed,
      frames: this.frames,
      framesOutOfRange: this.framesOutOfRange,
    };
    this.frames = 0;
    this.framesOutOfRange = 0;
    return m;
  }
}

export { GAP_RING };
