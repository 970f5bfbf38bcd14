import type { PresenceEvent, TruthEvent } from '@storesense/protocol';

/**
 * Scores detected journey events against the simulator's truth (architecture §6 evaluate): event-level
 * precision and recall, timing error of `at`, detection latency (detectedAt - true time), dwell
 * length error and floor accuracy. Pure.
 *
 * Matching: per subject and kind (approach, arrival, dwell start, dwell end, floor_change,
 * purchase, exit; dwell updates are not scored; a dwell needs the same zone; any event needs the
 * same store when both sides name one), each true event in time order takes the closest unmatched
 * detection with |detected.at - truth.at| <= the kind's tolerance (inclusive). A second detection
 * of the same true event is left unmatched and counts against precision. A matched event of a
 * member with the wrong memberId still matches (the journey was right) and counts against
 * memberAccuracy.
 * @example const score = scoreJourney(world.truth(), runOffline(config, observations));
 */
export const SCORED_KINDS = ['approach', 'arrival', 'dwell_start', 'dwell_end', 'floor_change', 'purchase', 'exit'] as const;
export type ScoredKind = (typeof SCORED_KINDS)[number];

/** Time tolerances: the latency goals of architecture §1 with slack for the event time estimate itself. */
export const DEFAULT_TOLERANCE_MS: Readonly<Record<ScoredKind, number>> = {
  approach: 15_000,
  arrival: 10_000,
  dwell_start: 20_000,
  dwell_end: 20_000,
  floor_change: 20_000,
  purchase: 5_000,
  exit: 30_000,
};

export interface Spread {
  n: number;
  mean: number;
  median: number;
  p90: number;
  p95: number;
}

export interface KindScore {
  truth: number;
  detected: number;
  matched: number;
  /** matched / detected (null when nothing was detected). */
  precision: number | null;
  /** matched / truth (null when nothing was true). */
  recall: number | null;
  /** detected.at - truth.at over matches. */
  timingErrorMs: Spread | null;
  /** detected.detectedAt - truth.at over matches that carry detectedAt. */
  latencyMs: Spread | null;
}

export interface JourneyScore {
  kinds: Record<ScoredKind, KindScore>;
  /** |detected.dwellMs - truth.dwellMs| over matched dwell ends. */
  dwellErrorMs: Spread | null;
  /** Matched floor changes with the right fromFloor and toFloor, over matched floor changes. */
  floorAccuracy: number | null;
  /** Floor changes matched with the right fromFloor and toFloor (count; divide by truth for accuracy over all). */
  floorChangesCorrect: number;
  /** Matched events of member subjects that carry the right memberId. */
  memberAccuracy: number | null;
}

interface Scorable {
  kind: ScoredKind;
  subject: string;
  at: number;
  zoneId: string | undefined;
  storeId: string | undefined;
}

function kindOf(e: { type: string; phase?: string | undefined }): ScoredKind | undefined {
  if (e.type === 'dwell') return e.phase === 'start' ? 'dwell_start' : e.phase === 'end' ? 'dwell_end' : undefined;
  return (SCORED_KINDS as readonly string[]).includes(e.type) ? (e.type as ScoredKind) : undefined;
}

export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, mean: Math.round(s.reduce((a, b) => a + b, 0) / s.length), median: q(0.5), p90: q(0.9), p95: q(0.95) };
}

export function scoreJourney(
  truth: readonly TruthEvent[],
  detected: readonly PresenceEvent[],
  tolerance: Partial<Record<ScoredKind, number>> = {},
): JourneyScore {
  const tol = { ...DEFAULT_TOLERANCE_MS, ...tolerance };
  const group = <T>(items: readonly T[], scorable: (x: T) => Scorable | undefined) => {
    const m = new Map<string, { s: Scorable; item: T }[]>();
    for (const item of items) {
      const s = scorable(item);
      if (s === undefined) continue;
      const key = `${s.kind}|${s.subject}`;
      const list = m.get(key);
      if (list) list.push({ s, item });
      else m.set(key, [{ s, item }]);
    }
    return m;
  };
  const truthGroups = group(truth, (e) => {
    const kind = kindOf(e);
    return kind && { kind, subject: e.subject, at: e.at, zoneId: e.zoneId, storeId: e.storeId };
  });
  const detectedGroups = group(detected, (e) => {
    const kind = kindOf(e);
    return kind && { kind, subject: e.subject.id, at: e.at, zoneId: e.zoneId, storeId: e.storeId };
  });
  const kinds = Object.fromEntries(SCORED_KINDS.map((k) => [k, { truth: 0, detected: 0, matched: 0, timing: [] as number[], latency: [] as number[] }]));
  for (const list of truthGroups.values()) kinds[list[0]!.s.kind]!.truth += list.length;
  for (const list of detectedGroups.values()) kinds[list[0]!.s.kind]!.detected += list.length;
  const dwellErrors: number[] = [];
  let floorsRight = 0;
  let floorsMatched = 0;
  let membersRight = 0;
  let memberEvents = 0;
  for (const [key, tList] of truthGroups) {
    const dList = detectedGroups.get(key) ?? [];
    const used = new Uint8Array(dList.length);
    const k = kinds[tList[0]!.s.kind]!;
    for (const t of [...tList].sort((a, b) => a.s.at - b.s.at)) {
      let best = -1;
      let bestDt = Infinity;
      dList.forEach((d, i) => {
        if (used[i] || (t.s.zoneId !== undefined && (t.s.kind === 'dwell_start' || t.s.kind === 'dwell_end') && d.s.zoneId !== t.s.zoneId)) return;
        if (t.s.storeId !== undefined && d.s.storeId !== undefined && d.s.storeId !== t.s.storeId) return;
        const dt = Math.abs(d.s.at - t.s.at);
        if (dt <= tol[t.s.kind] && dt < bestDt) {
          best = i;
          bestDt = dt;
        }
      });
      if (best < 0) continue;
      used[best] = 1;
      const d = dList[best]!.item;
      const te = t.item;
      k.matched++;
      k.timing.push(d.at - te.at);
      if (d.detectedAt !== undefined) k.latency.push(d.detectedAt - te.at);
      if (t.s.kind === 'dwell_end' && d.dwellMs !== undefined && te.dwellMs !== undefined) dwellErrors.push(Math.abs(d.dwellMs - te.dwellMs));
      if (t.s.kind === 'floor_change') {
        floorsMatched++;
        if (d.fromFloor === te.fromFloor && d.toFloor === te.toFloor) floorsRight++;
      }
      if (te.memberId !== undefined) {
        memberEvents++;
        if (d.subject.memberId === te.memberId) membersRight++;
      }
    }
  }
  const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);
  return {
    kinds: Object.fromEntries(
      SCORED_KINDS.map((name) => {
        const k = kinds[name]!;
        const score: KindScore = {
          truth: k.truth,
          detected: k.detected,
          matched: k.matched,
          precision: ratio(k.matched, k.detected),
          recall: ratio(k.matched, k.truth),
          timingErrorMs: spread(k.timing),
          latencyMs: spread(k.latency),
        };
        return [name, score];
      }),
    ) as Record<ScoredKind, KindScore>,
    dwellErrorMs: spread(dwellErrors),
    floorAccuracy: ratio(floorsRight, floorsMatched),
    floorChangesCorrect: floorsRight,
    memberAccuracy: ratio(membersRight, memberEvents),
  };
}
