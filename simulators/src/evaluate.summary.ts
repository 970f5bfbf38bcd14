import type { EventType, TruthEvent } from '@storesense/protocol';
import { DEFAULT_TOLERANCE_MS, type JourneyScore, type KindScore, type ScoredKind } from './evaluate.score.js';

/**
 * The headline figures of one evaluation (issue 4), derived from a `JourneyScore` and the truth:
 * per event type precision, recall, F1, detection latency p50/p95 and support; macro F1 over the
 * journey kinds; dwell-time error; floor accuracy; false exits per in-store subject-hour; and the
 * matching tolerances used. Pure. `storesense-sim evaluate --json` prints it beside the raw score.
 * @example
 * const summary = summarizeEvaluation(scoreJourney(truth, events), truth);
 * summary.byType.arrival.recall; summary.macroF1;
 */
export interface EvaluationSummary {
  /** Event type -> figures. `dwell` is scored on its start phase (when the dwell is recognised). */
  byType: Record<SummaryType, TypeFigures>;
  /** Mean F1 over MACRO_TYPES present in the truth (support > 0); null when none is. */
  macroF1: number | null;
  macroTypes: SummaryType[];
  /** Median |detected.dwellMs - truth.dwellMs| over matched dwell ends. */
  dwellErrorMedianMs: number | null;
  dwellErrorP90Ms: number | null;
  /** True floor changes detected in time with the right fromFloor and toFloor, over all true floor changes. */
  floorChangeAccuracy: number | null;
  /** Right floors over matched floor changes only (ignores missed ones). */
  floorAccuracy: number | null;
  /** Detected exits that match no true exit. */
  falseExits: number;
  /** Time subjects truly spent inside the store (truth arrival -> exit, or the end of the truth). */
  inStoreSubjectHours: number;
  falseExitsPerSubjectHour: number | null;
  memberAccuracy: number | null;
  /** The matching tolerance per scored kind, ms (|detected.at - truth.at| <= tolerance). */
  toleranceMs: Record<ScoredKind, number>;
}

/** Event types in `byType` (purchase comes from a POS terminal, approach from the storefront). */
export const SUMMARY_TYPES = ['approach', 'arrival', 'dwell', 'floor_change', 'purchase', 'exit'] as const satisfies readonly EventType[];
export type SummaryType = (typeof SUMMARY_TYPES)[number];

/** The journey kinds the macro F1 averages. */
export const MACRO_TYPES: readonly SummaryType[] = ['arrival', 'dwell', 'floor_change', 'exit'];

export interface TypeFigures {
  precision: number | null;
  recall: number | null;
  /** Harmonic mean of precision and recall; 0 when something was true but nothing matched; null when nothing was true or detected. */
  f1: number | null;
  /** Detection latency (detectedAt - truth.at) over matches. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** True events of this type. */
  support: number;
  detected: number;
  matched: number;
}

const KIND_OF_TYPE: Record<SummaryType, ScoredKind> = {
  approach: 'approach',
  arrival: 'arrival',
  dwell: 'dwell_start',
  floor_change: 'floor_change',
  purchase: 'purchase',
  exit: 'exit',
};

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function f1Of(k: Pick<KindScore, 'truth' | 'detected' | 'matched'>): number | null {
  if (k.truth === 0 && k.detected === 0) return null;
  if (k.matched === 0) return 0;
  const p = k.matched / k.detected;
  const r = k.matched / k.truth;
  return round3((2 * p * r) / (p + r));
}

/**
 * Hours subjects truly spent inside: per subject, from each true arrival to the next true exit (or
 * `endAt`, default the last truth event). The denominator for false exits: an exit can only be
 * false while someone is inside.
 */
export function inStoreHours(truth: readonly TruthEvent[], endAt?: number): number {
  const end = endAt ?? truth.reduce((m, e) => Math.max(m, e.at), 0);
  const since = new Map<string, number>();
  let ms = 0;
  for (const e of [...truth].sort((a, b) => a.at - b.at)) {
    if (e.type === 'arrival' && !since.has(e.subject)) since.set(e.subject, e.at);
    else if (e.type === 'exit' && since.has(e.subject)) {
      ms += e.at - since.get(e.subject)!;
      since.delete(e.subject);
    }
  }
  for (const at of since.values()) ms += Math.max(0, end - at);
  return ms / 3_600_000;
}

export function summarizeEvaluation(
  score: JourneyScore,
  truth: readonly TruthEvent[],
  options: { endAt?: number; tolerance?: Partial<Record<ScoredKind, number>> } = {},
): EvaluationSummary {
  const byType = Object.fromEntries(
    SUMMARY_TYPES.map((type) => {
      const k = score.kinds[KIND_OF_TYPE[type]];
      const figures: TypeFigures = {
        precision: k.precision,
        recall: k.recall,
        f1: f1Of(k),
        latencyP50Ms: k.latencyMs?.median ?? null,
        latencyP95Ms: k.latencyMs?.p95 ?? null,
        support: k.truth,
        detected: k.detected,
        matched: k.matched,
      };
      return [type, figures];
    }),
  ) as Record<SummaryType, TypeFigures>;
  const macroTypes = MACRO_TYPES.filter((t) => byType[t].support > 0);
  const macroF1 = macroTypes.length === 0 ? null : round3(macroTypes.reduce((a, t) => a + (byType[t].f1 ?? 0), 0) / macroTypes.length);
  const floorTruth = score.kinds.floor_change.truth;
  const falseExits = score.kinds.exit.detected - score.kinds.exit.matched;
  const hours = inStoreHours(truth, options.endAt);
  return {
    byType,
    macroF1,
    macroTypes,
    dwellErrorMedianMs: score.dwellErrorMs?.median ?? null,
    dwellErrorP90Ms: score.dwellErrorMs?.p90 ?? null,
    floorChangeAccuracy: floorTruth === 0 ? null : round3(score.floorChangesCorrect / floorTruth),
    floorAccuracy: score.floorAccuracy,
    falseExits,
    inStoreSubjectHours: round3(hours),
    falseExitsPerSubjectHour: hours === 0 ? null : round3(falseExits / hours),
    memberAccuracy: score.memberAccuracy,
    toleranceMs: { ...DEFAULT_TOLERANCE_MS, ...options.tolerance },
  };
}
