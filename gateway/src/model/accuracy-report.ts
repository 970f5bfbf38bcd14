import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { DecisionSettings } from '../classify/classifier.js';
import { eventF1, MACRO_KINDS, type EventComparison } from './model-card.js';

export interface AccuracyInput {
  command: string;
  modelFile: string;
  bytes: Uint8Array;
  decision: DecisionSettings | undefined;
  events: EventComparison[];
}

interface KindLike {
  truth: number;
  detected: number;
  matched: number;
  precision: number | null;
  recall: number | null;
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(3));
const mean = (v: number[]) => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length);

/**
 * docs/accuracy.md: rules vs onnx on the held-out traces, per site, seed and journey event kind
 * (precision / recall / F1 with counts), macro F1 per trace and the commands that produced them.
 */
export function writeAccuracyReport(path: string, a: AccuracyInput): void {
  const sha = createHash('sha256').update(a.bytes).digest('hex').slice(0, 12);
  const lines = [
    '# Journey-event accuracy: rules vs ONNX (held-out seeds)',
    '',
    `_Written by \`${a.command}\`; model \`${basename(a.modelFile)}\` (sha256 ${sha}…), decision settings ${a.decision ? `\`${JSON.stringify(a.decision)}\`` : 'none (defaults)'}._`,
    '',
    'Each row comes from one run of the simulator\'s evaluate command over a held-out trace (seeds never used for training or tuning):',
    '',
    '```',
    'node simulators/dist/cli.js evaluate --site firmware-config/sites/<site>.site.json --trace gateway/model/data/<site>-s<seed>-30m/trace.ndjson --truth gateway/model/data/<site>-s<seed>-30m/truth.ndjson [--classifier onnx --model gateway/model/journey-mlp.onnx]',
    '```',
    '',
    'The traces are generated (and cached) by the training command with `node simulators/dist/cli.js generate --site <site file> --seed <seed> --duration 30m --out <dir>`.',
    'P = precision, R = recall (matched / detected, matched / truth within the evaluate tolerances); dwell = dwell start. Macro F1 = mean F1 over the kinds present in the truth.',
    '',
    '| site | seed | classifier | kind | truth | detected | matched | P | R | F1 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const macros = { rules: [] as number[], onnx: [] as number[] };
  const summary: string[] = [];
  for (const e of a.events) {
    const f = { rules: eventF1(e.rules), onnx: eventF1(e.onnx) };
    for (const which of ['rules', 'onnx'] as const) {
      const kinds = (e[which].kinds ?? {}) as Record<string, KindLike | undefined>;
      for (const k of MACRO_KINDS) {
        const s = kinds[k];
        if (!s || s.truth === 0) continue;
        lines.push(`| ${e.site} | ${e.seed} | ${which} | ${k === 'dwell_start' ? 'dwell' : k} | ${s.truth} | ${s.detected} | ${s.matched} | ${fmt(s.precision)} | ${fmt(s.recall)} | ${fmt(f[which].f1[k])} |`);
      }
      if (f[which].macro !== null) macros[which].push(f[which].macro);
    }
    const floorAcc = (r: Record<string, unknown>) => (typeof r.floorAccuracy === 'number' ? r.floorAccuracy : null);
    summary.push(`| ${e.site} | ${e.seed} | ${fmt(f.rules.macro)} | ${fmt(f.onnx.macro)} | ${fmt(floorAcc(e.rules))} | ${fmt(floorAcc(e.onnx))} | ${(f.onnx.macro ?? 0) > (f.rules.macro ?? 0) ? 'onnx' : (f.onnx.macro ?? 0) < (f.rules.macro ?? 0) ? 'rules' : 'tie'} |`);
  }
  lines.push(
    '',
    '## Macro F1 per held-out trace',
    '',
    '| site | seed | rules macro F1 | onnx macro F1 | rules floor acc | onnx floor acc | better |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...summary,
    '',
    `Mean macro F1 over held-out traces: rules ${fmt(mean(macros.rules))}, onnx ${fmt(mean(macros.onnx))}.`,
    '',
  );
  writeFileSync(path, lines.join('\n'));
}
