import type { Classifier, ClassProbs } from './classifier.js';
import { FRESH_MS, MISSING_DBM, type FeatureWindow } from './features.js';
import type { SiteContext } from './site-context.js';
import { estimateZone, type ZoneEstimate } from './zone-estimate.js';

const toZone = (z: ZoneEstimate) => ({ zoneId: z.zoneId, zoneConfidence: z.confidence });

export interface RulesClassifierOptions {
  /** journey.approachRssiDbm: store-side receivers hear an inside phone down to this minus INSIDE_HEARD_MARGIN_DB. */
  approachRssiDbm: number;
  /** Softness of the presence sigmoid, dB. */
  presenceScaleDb?: number;
  /** Softness of the inside-vs-outside sigmoid, dB. */
  sideScaleDb?: number;
  /** Added to the store-side level before comparing (positive favours inside). */
  insideBiasDb?: number;
  /** With the site, zones come from a position estimate (zone-estimate.ts); without, from the strongest zone receiver. */
  site?: SiteContext;
  /** Softness of zone and floor confidences, dB. */
  zoneScaleDb?: number;
}

export const RULES_CLASSIFIER_VERSION = '2';

/** Store-side receivers count a phone as inside down to approachRssiDbm minus this. */
export const INSIDE_HEARD_MARGIN_DB = 7;
/** Below this P(inside) no zone is estimated (the journey machine uses zones only inside). */
const MIN_INSIDE_FOR_ZONE = 0.2;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The honest baseline (and the fallback when a model fails to load). Three pieces of evidence:
 * - side: P(store side) = σ((storeSide + bias − outsideSide) / sideScale), the strongest
 *   entrance/inside/checkout receiver against the strongest storefront/corridor one;
 * - near: σ(approachMarginDb / presenceScale), storefront/entrance receivers against the level
 *   their calibration predicts ~8 m from the entrance (a strong corridor receiver far from the
 *   door is not "near the store");
 * - heard inside: σ((storeSide − (approachRssiDbm − INSIDE_HEARD_MARGIN_DB)) / presenceScale). A
 *   phone deep in a big store may be weak everywhere and still be inside.
 * inside = side × heardInside, outside_near = (1 − side) × near, absent = the rest; all fade out
 * as the last sighting ages. Floor = argmax of per-floor store-side evidence; zone = strongest zone
 * receiver on that floor.
 */
export class RulesClassifier implements Classifier {
  readonly name = 'rules';
  readonly version = RULES_CLASSIFIER_VERSION;
  private readonly approach: number;
  private readonly presenceScale: number;
  private readonly sideScale: number;
  private readonly bias: number;
  private readonly zoneScale: number;

  private readonly ctx: SiteContext | undefined;

  constructor(opts: RulesClassifierOptions) {
    this.ctx = opts.site;
    this.approach = opts.approachRssiDbm;
    this.presenceScale = opts.presenceScaleDb ?? 2.5;
    this.sideScale = opts.sideScaleDb ?? 3;
    this.bias = opts.insideBiasDb ?? 0;
    this.zoneScale = opts.zoneScaleDb ?? 3;
  }

  classify(windows: readonly FeatureWindow[]): ClassProbs[] {
    return windows.map((w) => this.one(w));
  }

  private one(w: FeatureWindow): ClassProbs {
    if (w.receiversHeard === 0 || w.sinceLastSeenMs > FRESH_MS) {
      return { subject: w.subject, absent: 1, outsideNear: 0, inside: 0, floor: undefined, floorConfidence: 0, zoneId: undefined, zoneConfidence: 0 };
    }
    // Fade over the last part of the freshness window, so a phone that fell silent drifts
    // towards absent instead of jumping.
    const freshness = w.sinceLastSeenMs <= FRESH_MS / 2 ? 1 : 1 - (w.sinceLastSeenMs - FRESH_MS / 2) / FRESH_MS;
    const side = sigmoid((w.storeSideMaxDbm + this.bias - w.outsideSideMaxDbm) / this.sideScale);
    const near = Number.isFinite(w.approachMarginDb) ? sigmoid(w.approachMarginDb / this.presenceScale) : 0;
    const heardInside = w.storeSideMaxDbm <= MISSING_DBM ? 0 : sigmoid((w.storeSideMaxDbm - (this.approach - INSIDE_HEARD_MARGIN_DB)) / this.presenceScale);
    const inside = side * heardInside * freshness;
    const outsideNear = (1 - side) * near * freshness;
    const { floor, floorConfidence } = estimateFloor(w, this.zoneScale);
    // Zones matter only inside; skipping the position search elsewhere keeps busy corridors cheap.
    const { zoneId, zoneConfidence } =
      inside < MIN_INSIDE_FOR_ZONE ? { zoneId: undefined, zoneConfidence: 0 } : this.ctx ? toZone(estimateZone(w, floor, this.ctx)) : this.zone(w, floor);
    return { subject: w.subject, absent: Math.max(0, 1 - inside - outsideNear), outsideNear, inside, floor, floorConfidence, zoneId, zoneConfidence };
  }

  private zone(w: FeatureWindow, floor: number | undefined): { zoneId: string | undefined; zoneConfidence: number } {
    let best: string | undefined;
    let bestDbm = MISSING_DBM;
    let second = MISSING_DBM;
    for (const [zoneId, z] of w.zoneDbm) {
      if (floor !== undefined && z.floor !== floor) continue;
      if (z.dbm > bestDbm) {
        second = bestDbm;
        bestDbm = z.dbm;
        best = zoneId;
      } else if (z.dbm > second) second = z.dbm;
    }
    return { zoneId: best, zoneConfidence: best === undefined ? 0 : sigmoid((bestDbm - second) / this.zoneScale) };
  }
}

/**
 * The floor with the strongest store-side evidence, and how sure that is (the margin over the
 * runner-up floor, squashed by `scaleDb`). Shared by every classifier that learns place only.
 */
export function estimateFloor(w: FeatureWindow, scaleDb: number): { floor: number | undefined; floorConfidence: number } {
  let best: number | undefined;
  let bestDbm = MISSING_DBM;
  let second = MISSING_DBM;
  for (const [floor, dbm] of w.floorDbm) {
    if (dbm > bestDbm) {
      second = bestDbm;
      bestDbm = dbm;
      best = floor;
    } else if (dbm > second) second = dbm;
  }
  return { floor: best, floorConfidence: best === undefined ? 0 : sigmoid((bestDbm - second) / scaleDb) };
}
