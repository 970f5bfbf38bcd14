import type { GatewayConfig } from '@storesense/firmware-config';
import type { Observation, TruthEvent } from '@storesense/protocol';
import type { Classifier } from '../classify/classifier.js';
import { createClassifier } from '../classify/create-classifier.js';
import { FEATURE_COUNT, type FeatureWindow } from '../classify/features.js';
import { siteContext } from '../classify/site-context.js';
import { runOffline } from '../offline.js';
import { estimateFloor } from '../classify/rules.classifier.js';
import { estimateZone } from '../classify/zone-estimate.js';
import { ZONE_FEATURE_COUNT, zoneCandidates } from '../classify/zone-features.js';
import { IGNORE, TruthLabels, ZoneTruth, type LabelOptions } from './labels.js';

/** One classified row: what the pipeline handed its classifier for one subject at one tick. */
export interface FeatureRow {
  at: number;
  subject: string;
  values: Float32Array;
  /** The rules classifier's place for this row (argmax), for tick-level comparison. */
  rulesLabel: number;
  /** Zone candidates (zoneCandidates on the estimated floor), kept only where `wantZone` said so. */
  zone?: { floor: number | undefined; zoneIds: readonly string[]; values: Float32Array; estimated: string | undefined };
}

/**
 * The feature rows of a trace, exactly as inference sees them: the gateway's own `runOffline`
 * (tracker, tick clock, subject selection, computeFeatures) runs over the observations, and a
 * recording classifier keeps each batch before delegating to the rules classifier (so journeys,
 * pruning and everything else behave as in the baseline run).
 */
export function collectFeatureRows(
  config: GatewayConfig,
  observations: readonly Observation[],
  wantZone?: (subject: string, at: number) => boolean,
): FeatureRow[] {
  const rules = createClassifier(config, 'rules');
  const ctx = siteContext(config);
  const rows: FeatureRow[] = [];
  const recorder: Classifier = {
    name: 'recorder',
    version: '1',
    classify(windows: readonly FeatureWindow[], at: number) {
      const probs = rules.classify(windows, at);
      windows.forEach((w, i) => {
        const p = probs[i]!;
        const rulesLabel = p.inside >= p.outsideNear && p.inside >= p.absent ? 2 : p.outsideNear >= p.absent ? 1 : 0;
        const row: FeatureRow = { at: w.at, subject: w.subject, values: Float32Array.from(w.values), rulesLabel };
        if (wantZone?.(w.subject, w.at)) {
          // Exactly what OnnxClassifier does per window: floor from the evidence, then the candidates.
          const { floor } = estimateFloor(w, ZONE_FLOOR_SCALE_DB);
          const c = zoneCandidates(w, floor, ctx);
          if (c) row.zone = { floor, zoneIds: c.zoneIds, values: c.values, estimated: estimateZone(w, floor, ctx).zoneId };
        }
        rows.push(row);
      });
      return probs;
    },
  };
  runOffline(config, observations, { classifier: recorder });
  return rows;
}

/** The floor-confidence scale the classifiers use (irrelevant to the argmax floor). */
const ZONE_FLOOR_SCALE_DB = 3;

/** Pair rows for the zone model: one per (tick with a known true zone, candidate zone). */
export interface ZoneRows {
  x: Float32Array;
  /** 1 = this candidate is the true zone. */
  y: Uint8Array;
  rows: number;
  /** Per tick (group of candidate rows): [first row, row count, index of the true candidate, index of estimateZone's pick or -1]. */
  groups: Int32Array;
  ticks: number;
}

/** Builds the zone model's pair rows from feature rows that carry candidates, labelled from the truth's dwell stays. */
export function labelZoneRows(config: GatewayConfig, rows: readonly FeatureRow[], truth: readonly TruthEvent[]): ZoneRows {
  const zt = new ZoneTruth(truth, { storeId: siteContext(config).storeId });
  const picked: { c: NonNullable<FeatureRow['zone']>; truthIdx: number }[] = [];
  let pairs = 0;
  for (const r of rows) {
    if (!r.zone) continue;
    const t = zt.at(r.subject, r.at);
    if (!t) continue;
    const truthIdx = r.zone.zoneIds.indexOf(t.zoneId);
    // A wrong floor estimate leaves the true zone out of the candidates: nothing to learn here.
    if (truthIdx < 0) continue;
    picked.push({ c: r.zone, truthIdx });
    pairs += r.zone.zoneIds.length;
  }
  const x = new Float32Array(pairs * ZONE_FEATURE_COUNT);
  const y = new Uint8Array(pairs);
  const groups = new Int32Array(picked.length * 4);
  let row = 0;
  picked.forEach(({ c, truthIdx }, g) => {
    x.set(c.values, row * ZONE_FEATURE_COUNT);
    y[row + truthIdx] = 1;
    groups.set([row, c.zoneIds.length, truthIdx, c.estimated === undefined ? -1 : c.zoneIds.indexOf(c.estimated)], g * 4);
    row += c.zoneIds.length;
  });
  return { x, y, rows: pairs, groups, ticks: picked.length };
}

/** Where the truth knows the zone (for collectFeatureRows' `wantZone`). */
export function knownZone(config: GatewayConfig, truth: readonly TruthEvent[]): (subject: string, at: number) => boolean {
  const zt = new ZoneTruth(truth, { storeId: siteContext(config).storeId });
  return (subject, at) => zt.at(subject, at) !== undefined;
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
