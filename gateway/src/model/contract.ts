import { FEATURE_COUNT, FEATURE_NAMES, FEATURES_VERSION } from '../classify/features.js';
import { LOCATION_CLASSES } from '../classify/classifier.js';
import { ZONE_FEATURE_COUNT, ZONE_FEATURE_NAMES, ZONE_FEATURES_VERSION } from '../classify/zone-features.js';

/**
 * The ONNX model's contract with the feature module. The input name carries FEATURES_VERSION and a
 * hash of FEATURE_NAMES, so a model trained on another feature list (renamed, reordered, added)
 * is refused at load even when nobody bumped the version. Input float32 [N, FEATURE_COUNT],
 * output float32 [N, LOCATION_CLASSES.length] (probabilities in LOCATION_CLASSES order).
 */
export function featureNamesHash(names: readonly string[] = FEATURE_NAMES): string {
  // FNV-1a 32-bit over the comma-joined names: short, stable, dependency-free.
  let h = 0x811c9dc5;
  for (const ch of names.join(',')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export const MODEL_INPUT_NAME = `features_v${FEATURES_VERSION}_${featureNamesHash()}`;
export const MODEL_OUTPUT_NAME = 'location_probs';
export const MODEL_INPUT_WIDTH = FEATURE_COUNT;
export const MODEL_OUTPUT_WIDTH = LOCATION_CLASSES.length;

/**
 * The optional zone head (a second input/output pair in the same graph): float32
 * [M, ZONE_FEATURE_COUNT] candidate rows (zone-features.ts) -> [M, 2] (P(not this zone), P(this zone)).
 * Its input name hashes ZONE_FEATURE_NAMES the same way.
 */
export const ZONE_INPUT_NAME = `zone_features_v${ZONE_FEATURES_VERSION}_${featureNamesHash(ZONE_FEATURE_NAMES)}`;
export const ZONE_OUTPUT_NAME = 'zone_probs';
export const ZONE_INPUT_WIDTH = ZONE_FEATURE_COUNT;
export const ZONE_OUTPUT_WIDTH = 2;
