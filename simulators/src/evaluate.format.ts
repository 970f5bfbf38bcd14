import { SCORED_KINDS } from './evaluate.score.js';
import { SUMMARY_TYPES, type EvaluationSummary } from './evaluate.summary.js';

/**
 * The human report of `storesense-sim evaluate`: the same figures as `--json`, as aligned text.
 * @example io.stdout(formatEvaluation({ classifier: 'rules', observations: 1000, truthEvents: 40, detectedEvents: 42 }, summary));
 */
export interface EvaluationHeader {
  classifier: string;
  gatewayId?: string;
  observations: number;
  truthEvents: number;
  detectedEvents: number;
}

const num = (x: number | null, digits = 3) => (x === null ? '–' : x.toFixed(digits));
const ms = (x: number | null) => (x === null ? '–' : `${Math.round(x)} ms`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function formatEvaluation(h: EvaluationHeader, s: EvaluationSummary): string {
  const rows = [['type', 'support', 'detected', 'matched', 'precision', 'recall', 'F1', 'latency p50', 'latency p95', 'tolerance']];
  for (const type of SUMMARY_TYPES) {
    const f = s.byType[type];
    const tol = s.toleranceMs[type === 'dwell' ? 'dwell_start' : type];
    rows.push([
      type,
      String(f.support),
      String(f.detected),
      String(f.matched),
      num(f.precision),
      num(f.recall),
      num(f.f1),
      ms(f.latencyP50Ms),
      ms(f.latencyP95Ms),
      `±${tol / 1000} s`,
    ]);
  }
  const lines = [
    `classifier ${h.classifier}${h.gatewayId ? `, gateway ${h.gatewayId}` : ''}: ${h.observations} observations, ${h.truthEvents} true events, ${h.detectedEvents} detected events`,
    '',
    table(rows),
    '',
    `macro F1 (${s.macroTypes.join(', ') || 'none present'})  ${num(s.macroF1)}`,
    `dwell-time error, median | p90      ${ms(s.dwellErrorMedianMs)} | ${ms(s.dwellErrorP90Ms)}`,
    `floor-change accuracy (of all true) ${num(s.floorChangeAccuracy)}   (of matched: ${num(s.floorAccuracy)})`,
    `false exits per subject-hour        ${num(s.falseExitsPerSubjectHour)}   (${s.falseExits} false exits over ${s.inStoreSubjectHours.toFixed(2)} in-store subject-hours)`,
    `member accuracy                     ${num(s.memberAccuracy)}`,
    '',
    `Matching: per subject and kind, each true event takes the closest unused detection with |detected.at - truth.at| <= tolerance`,
    `(${SCORED_KINDS.map((k) => `${k} ${s.toleranceMs[k] / 1000} s`).join(', ')}); dwell needs the same zone, any event the same store.`,
    'dwell is scored on its start; F1 = 2PR/(P+R); latency = detectedAt - true time.',
  ];
  return `${lines.join('\n')}\n`;
}
