import type { GatewayConfig } from '@storesense/firmware-config';
import type { Observation, TruthEvent } from '@storesense/protocol';
import type { Classifier } from '../classify/classifier.js';
import { createClassifier } from '../classify/create-classifier.js';
import { FEATURE_COUNT, type FeatureWindow } from '../classify/features.js';
import { siteContext } from '../classify/site-context.js';
import { runOffline } from '../offline.js';
import { IGNORE, TruthLabels, type LabelOptions } from './labels.js';

/** One classified row: what the pipeline handed its classifier for one subject at one tick. */
export interface FeatureRow {
  at: number;
  subject: string;
  values: Float32Array;
  /** The rules classifier's place for this row (argmax), for tick-level comparison. */
  rulesLabel: number;
}

/**
 * The feature rows of a trace, exactly as inference sees them: the gateway's own `runOffline`
 * (tracker, tick clock, subject selection, computeFeatures) runs over the observations, and a
 * recording classifier keeps each batch before delegating to the rules classifier (so journeys,
 * pruning and everything else behave as in the baseline run).
 */
export function collectFeatureRows(config: GatewayConfig, observations: readonly Observation[]): FeatureRow[] {
  const rules = createClassifier(config, 'rules');
  const rows: FeatureRow[] = [];
  const recorder: Classifier = {
    name: 'recorder',
    version: '1',
    classify(windows: readonly FeatureWindow[], at: number) {
      const probs = rules.classify(windows, at);
      windows.forEach((w, i) => {
        const p = probs[i]!;
        const rulesLabel = p.inside >= p.outsideNear && p.inside >= p.absent ? 2 : p.outsideNear >= p.absent ? 1 : 0;
        rows.push({ at: w.at, subject: w.subject, values: Float32Array.from(w.values), rulesLabel });
      });
      return probs;
    },
  };
  runOffline(config, observations, { classifier: recorder });
  return rows;
}

export interface LabelledRows {
  x: Float32Array;
  y: Uint8Array;
  rulesY: Uint8Array;
  /** True floor for inside rows (NaN otherwise). */
  floor: Float64Array;
  rows: number;
  ignored: number;
}

/** Labels feature rows from truth events; IGNOREd ticks are dropped. */
export function labelRows(config: GatewayConfig, rows: readonly FeatureRow[], truth: readonly TruthEvent[], opts: Partial<LabelOptions> = {}): LabelledRows {
  const labels = new TruthLabels(truth, { storeId: siteContext(config).storeId, ...opts });
  const keep: { r: FeatureRow; label: number; floor: number | undefined }[] = [];
  let ignored = 0;
  for (const r of rows) {
    const l = labels.at(r.subject, r.at);
    if (l.label === IGNORE) ignored += 1;
    else keep.push({ r, label: l.label, floor: l.floor });
  }
  const x = new Float32Array(keep.length * FEATURE_COUNT);
  const y = new Uint8Array(keep.length);
  const rulesY = new Uint8Array(keep.length);
  const floor = new Float64Array(keep.length);
  keep.forEach((k, i) => {
    x.set(k.r.values, i * FEATURE_COUNT);
    y[i] = k.label;
    rulesY[i] = k.r.rulesLabel;
    floor[i] = k.floor ?? Number.NaN;
  });
  return { x, y, rulesY, floor, rows: keep.length, ignored };
}
