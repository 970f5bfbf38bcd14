import type { FeatureWindow } from './features.js';

/** Location states the journey machine reasons over. */
export const LOCATION_CLASSES = ['absent', 'outside_near', 'inside'] as const;
export type LocationClass = (typeof LOCATION_CLASSES)[number];

/** One subject's class probabilities at one tick (absent + outsideNear + inside = 1). */
export interface ClassProbs {
  subject: string;
  absent: number;
  outsideNear: number;
  inside: number;
  /** Estimated floor when inside (undefined when unknown). */
  floor: number | undefined;
  floorConfidence: number;
  /** Estimated zone when inside (undefined when no zone evidence). */
  zoneId: string | undefined;
  zoneConfidence: number;
}

/**
 * Journey-machine decision settings a classifier brings with it (architecture §3.4): how sure a tick must
 * be (`minProb`) and how long an entry / a leave must hold. Chosen on validation seeds for that
 * classifier's probabilities (the ONNX model carries them in its metadata); unset fields keep the
 * journey machine's defaults, which were tuned for the rules classifier.
 */
export interface DecisionSettings {
  minProb?: number;
  approachHoldMs?: number;
  enterHoldMs?: number;
  leaveHoldMs?: number;
  /** How long a zone switch must hold (a classifier with its own zone estimate may flap less or more). */
  zoneHoldMs?: number;
}

/**
 * Turns a batch of feature windows into class probabilities, one per window, same order.
 * Called once per tick with every active subject, so an ONNX implementation does a single
 * `session.run` on a [batch, FEATURE_COUNT] tensor (architecture §3.4). Implementations must be
 * synchronous and deterministic for a given input.
 * @example const probs = classifier.classify(windows, now); // probs[i].subject === windows[i].subject
 */
export interface Classifier {
  readonly name: string;
  readonly version: string;
  /** Decision settings for the journey machine (see DecisionSettings); absent = the defaults. */
  readonly decision?: DecisionSettings;
  classify(windows: readonly FeatureWindow[], at: number): ClassProbs[];
  /** Releases native resources (ONNX session); optional. */
  close?(): Promise<void> | void;
}
