import type { Classifier, ClassProbs } from './classifier.js';
import { FRESH_MS, MISSING_DBM, type FeatureWindow } from './features.js';

export interface RulesClassifierOptions {
  /** Signal at least this strong at some receiver means "near the store" (journey.approachRssiDbm). */
  approachRssiDbm: number;
  /** Softness of the presence sigmoid, dB. */
  presenceScaleDb?: number;
  /** Softness of the inside-vs-outside sigmoid, dB. */
  sideScaleDb?: number;
  /** Added to the store-side level before comparing (positive favours inside). */
  insideBiasDb?: number;
  /** Softness of zone and floor confidences, dB. */
  zoneScaleDb?: number;
}

export const RULES_CLASSIFIER_VERSION = '1';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The honest baseline (and the fallback when a model fails to load): compares the strongest
 * store-side receiver (entrance/inside/checkout) with the strongest outside one
 * (storefront/corridor), gated by how strong the subject is at all.
 * - P(present) = σ((near − approachRssiDbm) / presenceScale), near = the strongest storefront or
 *   store-side receiver (a strong corridor receiver far from the door is not "near the store"),
 *   faded out as the last sighting ages
 * - P(inside | present) = σ((storeSide + bias − outsideSide) / sideScale)
 * Floor = argmax of per-floor store-side evidence; zone = strongest zone receiver on that floor.
 */
export class RulesClassifier implements Classifier {
  readonly name = 'rules';
  readonly version = RULES_CLASSIFIER_VERSION;
  private readonly approach: number;
  private readonly presenceScale: number;
  private readonly sideScale: number;
  private readonly bias: number;
  private readonly zoneScale: number;

  constructor(opts: RulesClassifierOptions) {
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
    const near = Math.max(w.storeSideMaxDbm, w.roleMaxDbm.storefront);
    if (w.receiversHeard === 0 || near <= MISSING_DBM || w.sinceLastSeenMs > FRESH_MS) {
      return { subject: w.subject, absent: 1, outsideNear: 0, inside: 0, floor: undefined, floorConfidence: 0, zoneId: undefined, zoneConfidence: 0 };
    }
    // Fade presence over the last second or two of freshness, so a phone that fell silent
    // drifts towards absent instead of jumping.
    const freshness = w.sinceLastSeenMs <= FRESH_MS / 2 ? 1 : 1 - (w.sinceLastSeenMs - FRESH_MS / 2) / FRESH_MS;
    const present = sigmoid((near - this.approach) / this.presenceScale) * freshness;
    const insideGivenPresent = sigmoid((w.storeSideMaxDbm + this.bias - w.outsideSideMaxDbm) / this.sideScale);
    const inside = present * insideGivenPresent;
    const outsideNear = present - inside;
    const { floor, floorConfidence } = this.floor(w);
    const { zoneId, zoneConfidence } = this.zone(w, floor);
    return { subject: w.subject, absent: 1 - present, outsideNear, inside, floor, floorConfidence, zoneId, zoneConfidence };
  }

  private floor(w: FeatureWindow): { floor: number | undefined; floorConfidence: number } {
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
    return { floor: best, floorConfidence: best === undefined ? 0 : sigmoid((bestDbm - second) / this.zoneScale) };
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
