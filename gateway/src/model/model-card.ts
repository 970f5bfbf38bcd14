import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { LOCATION_CLASSES } from '../classify/classifier.js';
import { FEATURE_NAMES, FEATURES_VERSION } from '../classify/features.js';
import { MODEL_INPUT_NAME, MODEL_OUTPUT_NAME, ZONE_INPUT_NAME, ZONE_OUTPUT_NAME } from './contract.js';
import { ZONE_FEATURE_COUNT, ZONE_FEATURES_VERSION } from '../classify/zone-features.js';
import type { DecisionSettings } from '../classify/classifier.js';
import type { TickMetrics } from './train.core.js';
import type { TrainingDomain } from '@storesense/firmware-config';
import { trainingDomainMarkdown } from './model-card.domain.js';

/** The scored kinds the journey comparison averages (dwell = dwell start). */
export const MACRO_KINDS = ['arrival', 'dwell_start', 'floor_change', 'exit'] as const;

export interface EventComparison {
  site: string;
  seed: number;
  /** `storesense-sim evaluate` JSON output. */
  rules: Record<string, unknown>;
  onnx: Record<string, unknown>;
}

interface KindLike {
  truth: number;
  precision: number | null;
  recall: number | null;
}

/** F1 per kind and their mean over kinds that occur in the truth. */
export function eventF1(result: Record<string, unknown>): { f1: Record<string, number | null>; macro: number | null } {
  const kinds = (result.kinds ?? {}) as Record<string, KindLike>;
  const f1: Record<string, number | null> = {};
  const present: number[] = [];
  for (const k of MACRO_KINDS) {
    const s = kinds[k];
    if (!s || s.truth === 0) {
      f1[k] = null;
      continue;
    }
    const p = s.precision ?? 0;
    const r = s.recall ?? 0;
    const v = p + r === 0 ? 0 : (2 * p * r) / (p + r);
    f1[k] = Math.round(v * 1000) / 1000;
    present.push(v);
  }
  return { f1, macro: present.length === 0 ? null : Math.round((present.reduce((a, b) => a + b, 0) / present.length) * 1000) / 1000 };
}

export interface CardInput {
  /** The exact training command (recorded so the numbers can be reproduced). */
  command?: string;
  /** Decision settings stored in the model (chosen on validation seeds). */
  decision?: DecisionSettings | undefined;
  /** The training domain stored in the model and beside it (decision 61); rendered as its own section. */
  trainingDomain?: TrainingDomain | undefined;
  modelFile: string;
  bytes: Uint8Array;
  sites: string;
  trainSeeds: string;
  holdoutSeeds: string;
  duration: string;
  epochs: number;
  seed: number;
  balancePower: number;
  trainRows: number;
  classCounts: number[];
  maxDiff: number;
  /** Pair rows the zone head was trained on (0 = place-only model). */
  zoneTrainRows?: number;
  /** Place head hidden layer widths (default 32, 32). */
  hidden?: readonly number[];
  /** Training sites beyond the example sites: site variants and random-site families. */
  extraData?: string;
  tick: { site: string; seed: number; model: TickMetrics; rules: TickMetrics; zone?: { ticks: number; model: number; estimate: number } }[];
  events: EventComparison[];
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(3));

export function writeModelCard(path: string, c: CardInput): void {
  const sha = createHash('sha256').update(c.bytes).digest('hex');
  const lines = [
    `# Model card: journey-mlp (ONNX ${c.zoneTrainRows ? 'place + zone' : 'place'} classifier)`,
    '',
    '_Written by `node gateway/dist/model/train.js`; rerun it to regenerate the model and this card._',
    '',
    `- File: \`${basename(c.modelFile)}\`, ${c.bytes.length} bytes, sha256 \`${sha}\` (the gateway names it \`onnx@f${FEATURES_VERSION}-${sha.slice(0, 12)}\` in events).`,
    `- Graph: ONNX IR 7, opset 13: Add/Mul (standardization), MatMul/Add/Relu ×${(c.hidden ?? [32, 32]).length}, MatMul/Add/Softmax. ${[FEATURE_NAMES.length, ...(c.hidden ?? [32, 32]), LOCATION_CLASSES.length].join(' → ')}.`,
    `- Input \`${MODEL_INPUT_NAME}\` float32 [N, ${FEATURE_NAMES.length}] (features v${FEATURES_VERSION}; the suffix hashes FEATURE_NAMES), output \`${MODEL_OUTPUT_NAME}\` float32 [N, ${LOCATION_CLASSES.length}] over ${LOCATION_CLASSES.join(' / ')}.`,
    c.zoneTrainRows
      ? `- Zone head (same graph, same run): input \`${ZONE_INPUT_NAME}\` float32 [M, ${ZONE_FEATURE_COUNT}] (zone features v${ZONE_FEATURES_VERSION}, gateway/src/classify/zone-features.ts: one row per (subject, candidate store zone on the estimated floor), site-relative: position-fit residuals and soft votes from the log-distance model with every receiver's calibration, slow and fast EWMA, own-receiver level, distance to the strongest receiver, area, kind) → ${ZONE_FEATURE_COUNT} → 24 → 24 → 2, output \`${ZONE_OUTPUT_NAME}\` [M, 2]; the zone is the best-scored candidate. Trained on ${c.zoneTrainRows} pair rows from ticks whose zone the truth pins down (dwell stays, 4 s cut at both ends). Floor still comes from the strongest-floor evidence.`
      : '- Scope: place only. Floor and zone still come from the evidence the rules classifier uses (strongest floor, zone model matching).',
    `- Training: plain TypeScript (gateway/src/model/mlp.ts), Adam lr 1e-3, batch 64, ${c.epochs} epochs, seed ${c.seed}, class weights (even share / class share)^${c.balancePower}. Deterministic: the same traces and seed give the same bytes.`,
    `- Data: simulator traces (\`storesense-sim generate\`), sites ${c.sites}, training seeds ${c.trainSeeds}, ${c.duration} each; held-out seeds ${c.holdoutSeeds}. ${c.trainRows} training rows after a seeded cap per class (${LOCATION_CLASSES.map((n, i) => `${n} ${c.classCounts[i]}`).join(', ')}).`,
    ...(c.extraData ? [`- More training data: ${c.extraData}.`] : []),
    '- Rows: exactly what the gateway hands its classifier (runOffline with a recording classifier: same tracker, 250 ms tick, subject selection and computeFeatures).',
    '- Features v4 are role-free (decision 53): receivers enter by geometry (inside the footprint or not, distance to a door) and calibrated distance, plus a position fit over all receivers (inside probability, depth, door distance) and 30 s of its history.',
    "- Labels from truth events: inside = [arrival, exit); outside_near = approach → arrival (when it follows within 30 s), else 5 s after an approach, and 4 s after an exit; ticks near a door crossing (±1.5 s), after a passer-by's approach (to 30 s), after an exit (to 20 s) and 3 s before an approach/arrival are ignored (the truth has no positions); everything else is absent.",
    c.decision
      ? `- Decision settings (metadata \`decision\`, applied by the gateway's journey machine for this model; the rules keep the defaults minProb 0.7, enter 1250 ms, leave 2250 ms, zone 3750 ms): \`${JSON.stringify(c.decision)}\`, chosen on validation data only (seed 7 of the example sites and random sites of the training families with site seeds no training run draws; never held-out families or seeds) with \`node gateway/dist/model/tune-decision.js\` over minProb and hold grids (decision 56); a longer enter hold trades arrival latency (architecture §1 goal ≤ 2 s) for arrival precision (window shoppers).`
      : '- Decision settings: none stored; the journey machine uses its defaults (tuned for the rules classifier).',
    ...(c.command ? [`- Command: \`${c.command}\` (from the repository root, after \`npx tsc -b\`).`] : []),
    `- Check: onnxruntime-node vs the TypeScript forward pass on all held-out rows: max |Δp| = ${c.maxDiff.toExponential(2)} (limit 1e-5).`,
    '',
    '## Held-out: tick level (labelled ticks, argmax)',
    '',
    '| site | seed | rows | rules acc | model acc | rules macro-F1 | model macro-F1 | model F1 absent / near / inside | zone acc estimateZone / zone head (ticks) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...c.tick.map(
      (t) =>
        `| ${t.site} | ${t.seed} | ${t.model.rows} | ${fmt(t.rules.accuracy)} | ${fmt(t.model.accuracy)} | ${fmt(t.rules.macroF1)} | ${fmt(t.model.macroF1)} | ${t.model.f1.map(fmt).join(' / ')} | ${t.zone ? `${fmt(t.zone.estimate)} / ${fmt(t.zone.model)} (${t.zone.ticks})` : '–'} |`,
    ),
    '',
  ];
  if (c.events.length > 0) {
    lines.push(
      '## Held-out: journey events (`storesense-sim evaluate`, rules vs `--classifier onnx`)',
      '',
      'F1 per kind (dwell = dwell start); macro = mean over the kinds present in the truth.',
      '',
      '| site | seed | classifier | arrival | dwell | floor_change | exit | macro F1 |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    const macros = { rules: [] as number[], onnx: [] as number[] };
    for (const e of c.events) {
      for (const which of ['rules', 'onnx'] as const) {
        const f = eventF1(e[which]);
        if (f.macro !== null) macros[which].push(f.macro);
        lines.push(`| ${e.site} | ${e.seed} | ${which} | ${MACRO_KINDS.map((k) => fmt(f.f1[k])).join(' | ')} | ${fmt(f.macro)} |`);
      }
    }
    const mean = (v: number[]) => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length);
    lines.push('', `Mean macro F1 over held-out traces: rules ${fmt(mean(macros.rules))}, onnx ${fmt(mean(macros.onnx))}.`, '');
  }
  if (c.trainingDomain !== undefined) lines.push(...trainingDomainMarkdown(c.trainingDomain, `${basename(c.modelFile).replace(/\.onnx$/, '')}.domain.json`));
  lines.push(
    '## Limits',
    '',
    "- Simulated data only (the simulator's radio model); real receivers need recorded, labelled traces.",
    '- Labels are derived from events, so ambiguous stretches are skipped, not learned.',
    "- The journey machine's defaults were tuned for the rules classifier; the model carries its own decision settings (above).",
    '',
  );
  writeFileSync(path, lines.join('\n'));
}
