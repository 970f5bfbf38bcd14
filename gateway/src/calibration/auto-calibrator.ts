import type { GatewayConfig } from '@storesense/firmware-config';
import { buildFitGrids, fitPosition, type FitGrid } from './radio-fit.js';

/**
 * Auto-calibration from live traffic (docs/decisions.md 57). Every `sampleEveryMs` of observation
 * time, each phone heard by ≥ 3 receivers of one floor is fitted to a position with the radio model
 * (radio-fit.ts); each receiver's residual there is evidence of its remaining reporting bias. The
 * per-receiver estimate is a Robbins-Monro M-estimate: est += gain · huber(residual), gain
 * 1/(n + 4) at first (a running mean) and never below `minGain` (tracks slow drift, e.g. a node
 * moved or a battery sagging). The Huber clip makes one wild reading (a body in the way, a
 * reflection) move it by at most gain·k dB. A storefront-wall loss is learned alongside: phones
 * outside see inside receivers through it and phones inside see outside receivers through it, which
 * is what makes it separable from the two groups' offsets.
 *
 * Only a receiver with `minEvidence` residuals is corrected; the offsets of each floor's corrected
 * receivers are anchored to mean 0 (only differences between receivers are identifiable: a phone's
 * transmit power shifts every receiver alike), then clamped to ±`maxOffsetDb`. Memory: a few numbers
 * per receiver plus one grid per floor; time comes only from the `now` passed in.
 * @example
 * const cal = new AutoCalibrator({ config, corrections }); cal.sample(now, subjects); // corrections updated
 */
export interface AutoCalibratorOptions {
  config: Pick<GatewayConfig, 'receivers' | 'stores' | 'areas'>;
  /**
   * The tracker's correction map (receiver → dB added to every reading), shared, written here: it
   * starts as −declared offset and becomes −(declared + learned). The one place auto-calibration
   * reaches what the classifier sees.
   */
  corrections: Map<string, number>;
  sampleEveryMs?: number;
  publishEveryMs?: number;
  minEvidence?: number;
  maxOffsetDb?: number;
  minGain?: number;
  /** Huber threshold, dB. */
  huberDb?: number;
  /** Readings below this (corrected) level do not enter the fit. */
  inputMinDbm?: number;
  /**
   * Only readings whose fitted level is above this are judged: near sensitivity only the loud
   * adverts arrive, so a smoothed level there reads high (censoring).
   */
  minLevelDbm?: number;
  /** Readings this close to the fitted point are not used: there a metre of position error is several dB. */
  minDistanceM?: number;
  /** A fit leaving more than this RMS residual is discarded (wrong floor, a reflection, a phone in a bag). */
  maxRmsDb?: number;
  /** Readings older than this at sampling time are not used. */
  freshMs?: number;
  maxSubjectsPerSample?: number;
}

/** What the calibrator needs of one subject's track: per receiver, the smoothed level and when it was last heard. */
export interface CalibrationSubject {
  receivers: ReadonlyMap<string, { fastDbm: number; lastSeenAt: number; count: number }>;
}

export interface ReceiverCalibration {
  /** Declared site offset (calibration.rssiOffsetDb). */
  declaredDb: number;
  /** Learned correction on top of it (applied once evidence suffices). */
  learnedDb: number;
  /** declaredDb + learnedDb where applied, else declaredDb: the reporting bias the gateway now removes. */
  offsetDb: number;
  evidence: number;
  applied: boolean;
}

export interface CalibrationSnapshot {
  state: 'learning' | 'applied';
  samples: number;
  rejectedFits: number;
  wallDb: number;
  lastUpdateAt: number | undefined;
  receivers: Record<string, ReceiverCalibration>;
}

interface RxState {
  floor: number;
  declaredDb: number;
  est: number;
  evidence: number;
  applied: number | undefined;
}

export class AutoCalibrator {
  private readonly grids: Map<number, FitGrid>;
  private readonly rx = new Map<string, RxState>();
  private readonly corrections: Map<string, number>;
  private readonly o: Required<Omit<AutoCalibratorOptions, 'config' | 'corrections'>>;
  private wallDb = 0;
  private wallEvidence = 0;
  private lastSampleAt = Number.NEGATIVE_INFINITY;
  private lastPublishAt = Number.NEGATIVE_INFINITY;
  private lastUpdateAt: number | undefined;
  private samples = 0;
  private rejected = 0;

  constructor(opts: AutoCalibratorOptions) {
    this.o = {
      sampleEveryMs: opts.sampleEveryMs ?? 2_000,
      publishEveryMs: opts.publishEveryMs ?? 30_000,
      minEvidence: opts.minEvidence ?? 150,
      maxOffsetDb: opts.maxOffsetDb ?? 15,
      minGain: opts.minGain ?? 0.01,
      huberDb: opts.huberDb ?? 3,
      inputMinDbm: opts.inputMinDbm ?? -88,
      minLevelDbm: opts.minLevelDbm ?? -80,
      minDistanceM: opts.minDistanceM ?? 2,
      maxRmsDb: opts.maxRmsDb ?? 8,
      freshMs: opts.freshMs ?? 2_000,
      maxSubjectsPerSample: opts.maxSubjectsPerSample ?? 200,
    };
    this.corrections = opts.corrections;
    this.grids = buildFitGrids(opts.config);
    for (const r of opts.config.receivers) {
      if (r.kind === 'wifi') continue;
      this.rx.set(r.id, { floor: r.floor, declaredDb: r.calibration.rssiOffsetDb, est: 0, evidence: 0, applied: undefined });
    }
  }

  /**
   * Takes evidence from `subjects` if `sampleEveryMs` passed since the last sample, and publishes
   * the corrections every `publishEveryMs`. Call once per tick with the tracked BLE subjects.
   */
  sample(now: number, subjects: Iterable<CalibrationSubject>): void {
    if (now - this.lastSampleAt < this.o.sampleEveryMs) return;
    this.lastSampleAt = now;
    let taken = 0;
    for (const s of subjects) {
      if (taken >= this.o.maxSubjectsPerSample) break;
      if (this.observe(now, s)) taken += 1;
    }
    if (now - this.lastPublishAt >= this.o.publishEveryMs) this.publish(now);
  }

  /** One subject's readings at `now`; true if they were used as evidence. */
  observe(now: number, s: CalibrationSubject): boolean {
    // The floor of the strongest fresh reading; other floors are 15-20 dB down behind a slab.
    const fresh: { id: string; dbm: number; st: RxState }[] = [];
    let floor: number | undefined;
    let top = Number.NEGATIVE_INFINITY;
    for (const [id, r] of s.receivers) {
      const st = this.rx.get(id);
      if (!st || now - r.lastSeenAt > this.o.freshMs || r.count < 2) continue;
      // Tracker levels carry the applied correction; re-express them with the current estimate.
      const dbm = r.fastDbm + (st.applied ?? 0) - st.est;
      fresh.push({ id, dbm, st });
      if (dbm > top) {
        top = dbm;
        floor = st.floor;
      }
    }
    if (floor === undefined) return false;
    const grid = this.grids.get(floor);
    if (!grid) return false;
    const idx: number[] = [];
    const levels: number[] = [];
    const used: RxState[] = [];
    for (const f of fresh) {
      if (f.st.floor !== floor || f.dbm < this.o.inputMinDbm) continue;
      idx.push(grid.receiverIndex.get(f.id)!);
      levels.push(f.dbm);
      used.push(f.st);
    }
    // Position and phone offset take three readings; a fourth is what leaves a residual to learn from.
    if (idx.length < 4) return false;
    const fit = fitPosition(grid, idx, levels, this.wallDb);
    if (fit.rmsDb > this.o.maxRmsDb) {
      this.rejected += 1;
      return false;
    }
    this.samples += 1;
    let wallSum = 0;
    let wallN = 0;
    for (let k = 0; k < used.length; k++) {
      // Judge only readings the model puts well above the input floor (else censoring near it
      // biases them up) and not right under the phone (a metre of position error is several dB there).
      if (fit.distanceM[k]! < this.o.minDistanceM || levels[k]! - fit.residualDb[k]! < this.o.minLevelDbm) continue;
      const st = used[k]!;
      const psi = huber(fit.residualDb[k]!, this.o.huberDb);
      st.evidence += 1;
      st.est += Math.max(1 / (st.evidence + 4), this.o.minGain) * psi;
      if (fit.crossesWall[k]) {
        wallSum += psi;
        wallN += 1;
      }
    }
    if (wallN > 0) {
      // A reading through the wall that comes out low says the wall loses more than assumed.
      this.wallEvidence += 1;
      this.wallDb = clamp(this.wallDb - Math.max(1 / (this.wallEvidence + 4), this.o.minGain) * (wallSum / wallN), 0, 20);
    }
    return true;
  }

  /** Anchors each floor's estimates to mean 0 and writes the applied ones into the correction map. */
  publish(now: number): void {
    this.lastPublishAt = now;
    const floors = new Set([...this.rx.values()].map((r) => r.floor));
    for (const floor of floors) {
      const ready = [...this.rx.values()].filter((r) => r.floor === floor && r.evidence >= this.o.minEvidence);
      if (ready.length < 2) continue;
      const mean = ready.reduce((a, r) => a + r.est, 0) / ready.length;
      for (const r of this.rx.values()) if (r.floor === floor) r.est -= mean;
      for (const r of ready) r.applied = clamp(r.est, -this.o.maxOffsetDb, this.o.maxOffsetDb);
      this.lastUpdateAt = now;
    }
    for (const [id, r] of this.rx) this.corrections.set(id, -(r.declaredDb + (r.applied ?? 0)));
  }

  /** Entries of learned state (one per receiver: nothing per subject, so memory is bounded). */
  get stateEntries(): number {
    return this.rx.size;
  }

  snapshot(): CalibrationSnapshot {
    const receivers: Record<string, ReceiverCalibration> = {};
    for (const [id, r] of this.rx) {
      const learnedDb = round1(r.applied ?? r.est);
      receivers[id] = { declaredDb: r.declaredDb, learnedDb, offsetDb: round1(r.declaredDb + (r.applied ?? 0)), evidence: r.evidence, applied: r.applied !== undefined };
    }
    return {
      state: [...this.rx.values()].some((r) => r.applied !== undefined) ? 'applied' : 'learning',
      samples: this.samples,
      rejectedFits: this.rejected,
      wallDb: round1(this.wallDb),
      lastUpdateAt: this.lastUpdateAt,
      receivers,
    };
  }
}

function huber(x: number, k: number): number {
  return x > k ? k : x < -k ? -k : x;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
