import type { GatewayConfig } from '@storesense/firmware-config';
import { BiasSystem } from './bias-system.js';
import { buildFitGrids, fitPosition, PHONE_HEIGHT_M, RECEIVER_HEIGHT_M, type FitGrid } from './radio-fit.js';

/**
 * Auto-calibration from live traffic (docs/decisions.md 57). Every `sampleEveryMs` of observation
 * time, each BLE phone heard by ≥ 4 receivers of one floor is fitted to a point of the floor grid
 * with the radio model (radio-fit.ts: position and a free phone offset; the storefront wall at its
 * declared loss). Its Huber-clipped residuals, linearised around the fit, go into the floor's
 * normal equations (bias-system.ts), which profile each phone's position and offset out; every
 * `publishEveryMs` one Gauss-Newton step with a weak prior towards "no change" moves all the
 * floor's estimates at once (at most `maxStepDb` each), and old evidence fades by `decay` per step
 * so a drifting node is followed.
 *
 * Only a receiver with `minEvidence` fits is corrected; the offsets of each floor's corrected
 * receivers are anchored to mean 0 (only differences between receivers are identifiable: a phone's
 * transmit power shifts every receiver alike), then clamped to ±`maxOffsetDb`. Memory: (R+1)²
 * numbers per floor of R receivers plus one grid per floor, nothing per subject; time comes only
 * from the `now` passed in.
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
  /** Huber threshold, dB: residuals beyond it count as this much (a body in the way, a reflection). */
  huberDb?: number;
  /** Readings below this (corrected) level do not enter the fit. */
  inputMinDbm?: number;
  /** A fit leaving more than this RMS residual is discarded (wrong floor, a reflection, a phone in a bag). */
  maxRmsDb?: number;
  /** Readings older than this at sampling time are not used. */
  freshMs?: number;
  maxSubjectsPerSample?: number;
  /** Evidence kept per publish (geometric forgetting: 0.99 every 30 s ≈ 50 min memory). */
  decay?: number;
  /** Ridge of the bias system: prior evidence for "no change", in phone-fits. */
  ridge?: number;
  /**
   * Prior weight of the declared wall loss, in phone-fits. Default 1e12: held at the declared value;
   * learning it (finite weights) traded storefront accuracy for wall accuracy in the tests.
   */
  wallRidge?: number;
  /** Largest change of one estimate per publish, dB. */
  maxStepDb?: number;
  /** Wall loss assumed before any evidence (default: the stores' declared wallAttenuationDb, else 3). */
  initialWallDb?: number;
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
  private readonly systems = new Map<number, BiasSystem>();
  private readonly rx = new Map<string, RxState>();
  private readonly corrections: Map<string, number>;
  private readonly o: Required<Omit<AutoCalibratorOptions, 'config' | 'corrections'>>;
  private wallDb = 0;
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
      huberDb: opts.huberDb ?? 6,
      inputMinDbm: opts.inputMinDbm ?? -88,
      maxRmsDb: opts.maxRmsDb ?? 8,
      freshMs: opts.freshMs ?? 2_000,
      maxSubjectsPerSample: opts.maxSubjectsPerSample ?? 200,
      decay: opts.decay ?? 0.99,
      ridge: opts.ridge ?? 1,
      wallRidge: opts.wallRidge ?? 1e12,
      maxStepDb: opts.maxStepDb ?? 3,
      initialWallDb: opts.initialWallDb ?? declaredWallDb(opts.config),
    };
    this.wallDb = this.o.initialWallDb;
    this.corrections = opts.corrections;
    this.grids = buildFitGrids(opts.config);
    for (const [floor, g] of this.grids) this.systems.set(floor, new BiasSystem(g.receivers.length));
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
    const sys = this.systems.get(floor)!;
    const p = grid.points[fit.point]!;
    const n = idx.length;
    const gx = new Float64Array(n);
    const gy = new Float64Array(n);
    const psi = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const rx = grid.receivers[idx[k]!]!;
      const dx = p.x - rx.position.x;
      const dy = p.y - rx.position.y;
      const d2 = dx * dx + dy * dy + HEIGHT2;
      // ∂/∂x of −10·n·log10(d): −10 n / ln 10 · dx / d².
      const g = (-10 * rx.pathLossExponent) / Math.LN10 / d2;
      gx[k] = g * dx;
      gy[k] = g * dy;
      psi[k] = huber(fit.residualDb[k]!, this.o.huberDb);
    }
    if (!sys.add(idx, fit.crossesWall, gx, gy, psi)) return false;
    this.samples += 1;
    for (const st of used) st.evidence += 1;
    return true;
  }

  /** Anchors each floor's estimates to mean 0 and writes the applied ones into the correction map. */
  publish(now: number): void {
    this.lastPublishAt = now;
    for (const [floor, sys] of this.systems) {
      const grid = this.grids.get(floor)!;
      const prior = new Float64Array(grid.receivers.length + 1);
      grid.receivers.forEach((r, j) => (prior[j] = this.rx.get(r.id)!.est));
      prior[grid.receivers.length] = this.wallDb - this.o.initialWallDb;
      const u = sys.solve(this.o.ridge, this.o.wallRidge, prior);
      for (let i = 0; i < u.length; i++) u[i] = clamp(u[i]!, -this.o.maxStepDb, this.o.maxStepDb);
      const wall = clamp(this.wallDb + u[grid.receivers.length]!, 0, 20);
      u[grid.receivers.length] = wall - this.wallDb;
      this.wallDb = wall;
      grid.receivers.forEach((r, j) => {
        const st = this.rx.get(r.id)!;
        const next = clamp(st.est + u[j]!, -this.o.maxOffsetDb, this.o.maxOffsetDb);
        u[j] = next - st.est;
        st.est = next;
      });
      sys.shift(u);
      sys.decay(this.o.decay);
      const states = grid.receivers.map((r) => this.rx.get(r.id)!);
      const ready = states.filter((r) => r.evidence >= this.o.minEvidence);
      if (ready.length < 2) continue;
      // A shift common to the floor's receivers changes no residual (the phone offset takes it): anchor it.
      const mean = ready.reduce((acc, r) => acc + r.est, 0) / ready.length;
      for (const r of states) r.est -= mean;
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
      receivers[id] = {
        declaredDb: r.declaredDb,
        learnedDb,
        offsetDb: round1(r.declaredDb + (r.applied ?? 0)),
        evidence: r.evidence,
        applied: r.applied !== undefined,
      };
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

const HEIGHT2 = (RECEIVER_HEIGHT_M - PHONE_HEIGHT_M) ** 2;

/** The stores' declared storefront wall loss (mean over edges), else the 3 dB of glass or plasterboard. */
function declaredWallDb(config: Pick<GatewayConfig, 'stores'>): number {
  const walls = config.stores.flatMap((s) =>
    s.wallAttenuationDb === undefined ? [] : Array.isArray(s.wallAttenuationDb) ? s.wallAttenuationDb : [s.wallAttenuationDb],
  );
  return walls.length === 0 ? 3 : walls.reduce((a, w) => a + w, 0) / walls.length;
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
