import type { Observation, TruthEvent } from '@storesense/protocol';
import type { Rng } from './random.js';
import type { SiteLayout } from './site-layout.js';
import { newPose, TrajectoryCursor, type Segment } from './trajectory.js';
import type { PlannedPurchase } from './truth.journey.js';

/**
 * Smart terminals: POS tills report sales, entrance cameras report people going in and out. Each
 * true detection is reported with the terminal's `recall`. A terminal knows the shopper only when
 * a member's card or app is scanned (POS); otherwise the subject is `t_<terminalId>_<n>`.
 */
export class TerminalCounters {
  private readonly counts = new Map<string, number>();

  anonymous(terminalId: string): string {
    const n = (this.counts.get(terminalId) ?? 0) + 1;
    this.counts.set(terminalId, n);
    return `t_${terminalId}_${n}`;
  }
}

export interface TerminalShopper {
  subject: string;
  /** Set for consenting members only (others behave as anonymous). */
  memberId: string | undefined;
  segments: readonly Segment[];
  purchases: readonly PlannedPurchase[];
  truth: readonly TruthEvent[];
  recallOverride: number | undefined;
}

/** Camera to door distance beyond which a camera does not see a crossing. */
const CAMERA_RANGE_M = 15;

export function terminalObservations(layout: SiteLayout, shopper: TerminalShopper, rng: Rng, counters: TerminalCounters, currency: string): Observation[] {
  const out: Observation[] = [];
  const terminals = new Map(layout.site.terminals.map((t) => [t.id, t]));
  const recallOf = (r: number) => shopper.recallOverride ?? r;
  for (const p of shopper.purchases) {
    const t = terminals.get(p.terminalId);
    if (t === undefined || !rng.chance(recallOf(t.recall))) continue;
    const member = shopper.memberId;
    out.push({
      v: 1,
      at: Math.round(p.at),
      source: 'terminal',
      receiverId: t.id,
      subject: member !== undefined ? shopper.subject : counters.anonymous(t.id),
      terminal:
        member !== undefined
          ? { kind: 'pos', action: 'purchase', memberId: member, amount: p.amount, currency }
          : { kind: 'pos', action: 'purchase', amount: p.amount, currency },
    });
  }
  const cursor = new TrajectoryCursor(shopper.segments);
  const pose = newPose();
  for (const e of shopper.truth) {
    if ((e.type !== 'arrival' && e.type !== 'exit') || e.storeId === undefined) continue;
    const store = layout.stores.find((s) => s.store.id === e.storeId);
    if (store === undefined || store.cameras.length === 0) continue;
    cursor.poseAt(e.at, pose);
    let best: (typeof store.cameras)[number] | undefined;
    let bestD = CAMERA_RANGE_M;
    for (const cam of store.cameras) {
      const d = Math.hypot(cam.position.x - pose.x, cam.position.y - pose.y);
      if (cam.floor === e.floor && d <= bestD) {
        best = cam;
        bestD = d;
      }
    }
    if (best === undefined || !rng.chance(recallOf(best.recall))) continue;
    out.push({
      v: 1,
      at: e.at,
      source: 'terminal',
      receiverId: best.id,
      subject: counters.anonymous(best.id),
      terminal: { kind: 'entrance_camera', action: e.type === 'arrival' ? 'enter' : 'exit', confidence: Math.round(rng.uniform(0.8, 0.99) * 100) / 100 },
    });
  }
  return out.sort((a, b) => a.at - b.at);
}
