import type { Observation } from '@storesense/protocol';
import type { SiteContext } from '../classify/site-context.js';
import type { Tracker } from '../tracking/tracker.js';

/** How far back checkout sightings count when an anonymous sale is attributed. */
export const CHECKOUT_WINDOW_MS = 30_000;

export interface Attribution {
  subject: string;
  /** How sure we are this subject paid: 1 for a member match, lower for proximity guesses. */
  confidence: number;
  how: 'member' | 'terminal_subject' | 'checkout_queue' | 'checkout_proximity' | 'terminal_only';
}

/** What the journey machine knows about an inside subject, for attribution. */
export interface SubjectPlace {
  inside: boolean;
  zoneId: string | undefined;
  zoneEnteredAt: number | undefined;
  purchased: boolean;
}

/**
 * Which tracked subject a POS sale belongs to (brief: purchase semantics):
 * 1. the terminal named a subject we track by radio (it knew the shopper's phone) -> that subject;
 * 2. it named a member -> the most recently seen subject resolved to that member, or (no radio
 *    track for that member) the terminal's own subject, which carries the member;
 * 3. anonymous -> among the subjects placed in the terminal's zone (the checkout), the one who has
 *    not paid yet this visit and has been there longest: queues are first come, first served, and
 *    the strongest signal is often someone waiting behind the payer;
 * 4. anonymous, nobody placed there -> the subject strongest at checkout receivers within the
 *    last 30 s among those inside;
 * 5. otherwise the terminal's own anonymous subject.
 * Pure: reads the tracker and the places, changes nothing.
 */
export function attributePurchase(obs: Observation, tracker: Tracker, ctx: SiteContext, placeOf: (subject: string) => SubjectPlace | undefined): Attribution {
  const named = tracker.get(obs.subject);
  if (named && named.lastRadioAt !== undefined) return { subject: named.id, confidence: 1, how: 'terminal_subject' };
  const memberId = obs.terminal?.memberId;
  if (memberId !== undefined) {
    const member = tracker.byMember(memberId);
    if (member) return { subject: member.id, confidence: 1, how: 'member' };
    // The terminal knows who paid; guessing from the queue would put this member's sale on
    // somebody else's visit. Without the member's radio track the sale stays the terminal's.
    return { subject: obs.subject, confidence: 1, how: 'terminal_only' };
  }
  const terminalZone = ctx.terminalZone.get(obs.receiverId);
  if (terminalZone !== undefined) {
    let first: { subject: string; since: number; paid: boolean } | undefined;
    for (const t of tracker.all()) {
      const p = placeOf(t.id);
      if (!p?.inside || p.zoneId !== terminalZone || p.zoneEnteredAt === undefined || p.zoneEnteredAt > obs.at) continue;
      const better = !first || (first.paid && !p.purchased) || (first.paid === p.purchased && p.zoneEnteredAt < first.since);
      if (better) first = { subject: t.id, since: p.zoneEnteredAt, paid: p.purchased };
    }
    if (first) return { subject: first.subject, confidence: 0.6, how: 'checkout_queue' };
  }
  let best: { subject: string; dbm: number } | undefined;
  for (const t of tracker.all()) {
    if (t.lastRadioAt === undefined || !placeOf(t.id)?.inside) continue;
    for (const [rxId, r] of t.receivers) {
      if (ctx.receivers.get(rxId)?.role !== 'checkout') continue;
      if (r.lastSeenAt < obs.at - CHECKOUT_WINDOW_MS || r.lastSeenAt > obs.at + 5_000) continue;
      if (!best || r.fastDbm > best.dbm) best = { subject: t.id, dbm: r.fastDbm };
    }
  }
  if (best) return { subject: best.subject, confidence: 0.6, how: 'checkout_proximity' };
  return { subject: obs.subject, confidence: obs.terminal?.confidence ?? 0.9, how: 'terminal_only' };
}
