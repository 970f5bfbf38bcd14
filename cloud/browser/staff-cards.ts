/**
 * The staff view's cards, one per visit: the alerts a visit raised (approach, arrival, ...) are one
 * card that follows the shopper (`alert.visit`, kept up to date by the cloud), greys and sinks when
 * they leave or nothing was heard for RETIRE_MS, and sorts done cards below the open ones. Pure
 * (no DOM): the page renders what `cards()` returns.
 */
import type { AlertVisit, StaffAlert } from '@storesense/protocol';

/** A card with no news for this long is retired: whoever it was is most likely gone. */
export const RETIRE_MS = 15 * 60_000;
/** The stages a card shows, in order; floor changes count as browsing, an exit retires the card. */
export const STAGES = ['approach', 'arrival', 'dwell', 'purchase'] as const;
const RANK: Record<string, number> = { approach: 0, arrival: 1, floor_change: 2, dwell: 2, purchase: 3, exit: 4 };
const STATUS_RANK: Record<StaffAlert['status'], number> = { open: 0, claimed: 1, acked: 2 };

export interface Card {
  key: string;
  alerts: StaffAlert[];
  /** The newest alert: who, what to show them. */
  lead: StaffAlert;
  visit: AlertVisit;
  status: StaffAlert['status'];
  claimedBy: string | undefined;
  /** Cloud-clock time of the latest news (the alert's raise time moved on by the visit's event time). */
  activityAt: number;
  retired: 'exit' | 'quiet' | undefined;
  /** Index in STAGES of the stage reached. */
  stageIndex: number;
}

export const cardKey = (a: StaffAlert): string => a.visitId ?? a.id;

function visitOf(a: StaffAlert): AlertVisit {
  return a.visit ?? { stage: a.eventType, at: a.eventAt, ...(a.zoneId ? { zoneId: a.zoneId } : {}), ...(a.floor !== undefined ? { floor: a.floor } : {}) };
}

/** Groups alerts into cards and orders them: live (open, then claimed) by latest news first, then done and retired ones. */
export function cards(alerts: Iterable<StaffAlert>, now: number): Card[] {
  const groups = new Map<string, StaffAlert[]>();
  for (const a of alerts) groups.set(cardKey(a), [...(groups.get(cardKey(a)) ?? []), a]);
  const out: Card[] = [];
  for (const [key, list] of groups) {
    const sorted = [...list].sort((x, y) => y.seq - x.seq);
    const lead = sorted[0]!;
    let visit = visitOf(lead);
    let activityAt = 0;
    let status: StaffAlert['status'] = 'open';
    let claimedBy: string | undefined;
    for (const a of sorted) {
      const v = visitOf(a);
      if (v.exitedAt !== undefined || RANK[v.stage]! > RANK[visit.stage]! || (RANK[v.stage] === RANK[visit.stage] && v.at > visit.at)) visit = v;
      activityAt = Math.max(activityAt, a.at + Math.max(0, v.at - a.eventAt));
      if (STATUS_RANK[a.status] > STATUS_RANK[status]) [status, claimedBy] = [a.status, a.claimedBy];
    }
    const retired = visit.exitedAt !== undefined ? 'exit' : now - activityAt > RETIRE_MS ? 'quiet' : undefined;
    // After the exit the stage reached is read off what the visit recorded (a purchase's amount, a dwell's zone).
    const stageIndex =
      visit.stage === 'exit' ? (visit.amount !== undefined ? 3 : visit.dwellMs !== undefined ? 2 : 1) : Math.min(STAGES.length - 1, RANK[visit.stage] ?? 0);
    out.push({ key, alerts: sorted, lead, visit, status, claimedBy, activityAt, retired, stageIndex });
  }
  const live = (c: Card): number => (c.retired || c.status === 'acked' ? 1 : 0);
  return out.sort((a, b) => live(a) - live(b) || activityOrder(a, b));
}

const activityOrder = (a: Card, b: Card): number => b.activityAt - a.activityAt || b.lead.seq - a.lead.seq;
