import type { EventType, PresenceEvent } from '@storesense/protocol';
import type { MemberProfile } from '../store/cloud-store.js';

/**
 * A declarative rule (DESIGN §5): which events of which members lead to which action. Later rules
 * (tiers, tags, time windows, webhooks) add fields here, not code paths elsewhere.
 */
export interface Rule {
  id: string;
  eventTypes: readonly EventType[];
  /** Only these tiers; all tiers when absent. */
  tiers?: readonly string[];
  action:
    | { kind: 'staff_alert'; cooldownMs: number; message: (m: MemberProfile, store: string) => string }
    | { kind: 'offer'; offerKind: string; oncePer: 'day'; validityMs: number };
}

/**
 * The built-in rule set. Decision: a member is announced twice per visit at most, once per kind:
 * on `approach` ("near the store": staff can get ready) and on `arrival` ("now inside"). Each kind
 * has its own 10-minute cooldown per member and store, so a member pacing in front of the window
 * or stepping out and back in within 10 minutes raises no new alert of that kind.
 * A member's first `arrival` of the site-local day records a welcome offer (valid 4 hours).
 */
export const DEFAULT_RULES: readonly Rule[] = [
  {
    id: 'member-approach-alert',
    eventTypes: ['approach'],
    action: { kind: 'staff_alert', cooldownMs: 10 * 60_000, message: (m, store) => `${m.name} (${m.tier}) is near ${store}` },
  },
  {
    id: 'member-arrival-alert',
    eventTypes: ['arrival'],
    action: { kind: 'staff_alert', cooldownMs: 10 * 60_000, message: (m, store) => `${m.name} (${m.tier}) is now inside ${store}` },
  },
  {
    id: 'welcome-offer',
    eventTypes: ['arrival'],
    action: { kind: 'offer', offerKind: 'welcome', oncePer: 'day', validityMs: 4 * 60 * 60_000 },
  },
];

/** Facts the caller looks up before evaluating, so the evaluation itself is pure. */
export interface RuleContext {
  /** Cloud time now (offer issue time). */
  now: number;
  /** Site-local day of the event (`localDay(event.at, site.timezone)`). */
  day: string;
  /** The store the event belongs to (event.storeId, else the gateway's store). */
  storeId: string | undefined;
  /** Display name for messages. */
  storeName: string;
  /** Event time of this member's last alert of the same event type at this store. */
  lastAlertEventAt: number | undefined;
  /** Offer kinds this member already has at this site on `day`. */
  offersToday: readonly string[];
}

export type Action =
  | {
      kind: 'staff_alert';
      ruleId: string;
      event: PresenceEvent;
      member: MemberProfile;
      storeId: string | undefined;
      message: string;
    }
  | {
      kind: 'offer';
      ruleId: string;
      offerKind: string;
      event: PresenceEvent;
      memberId: string;
      storeId: string | undefined;
      day: string;
      issuedAt: number;
      expiresAt: number;
    };

/**
 * Pure: which actions an event causes. Non-members and members without consent cause none
 * (consent covers presence-based service as a whole, not only token resolution).
 * @example evaluateRules(event, member, ctx) // [{ kind: 'staff_alert', message: 'Li Na (platinum) is now inside Boutique', ... }]
 */
export function evaluateRules(event: PresenceEvent, member: MemberProfile | undefined, ctx: RuleContext, rules: readonly Rule[] = DEFAULT_RULES): Action[] {
  if (!member || !member.consent) return [];
  const actions: Action[] = [];
  for (const rule of rules) {
    if (!rule.eventTypes.includes(event.type)) continue;
    if (rule.tiers && !rule.tiers.includes(member.tier)) continue;
    const a = rule.action;
    if (a.kind === 'staff_alert') {
      // |Δt| so an out-of-order replay of an older event inside the window is also suppressed.
      if (ctx.lastAlertEventAt !== undefined && Math.abs(event.at - ctx.lastAlertEventAt) < a.cooldownMs) continue;
      actions.push({ kind: 'staff_alert', ruleId: rule.id, event, member, storeId: ctx.storeId, message: a.message(member, ctx.storeName) });
    } else {
      if (ctx.offersToday.includes(a.offerKind)) continue;
      actions.push({
        kind: 'offer',
        ruleId: rule.id,
        offerKind: a.offerKind,
        event,
        memberId: member.memberId,
        storeId: ctx.storeId,
        day: ctx.day,
        issuedAt: ctx.now,
        expiresAt: ctx.now + a.validityMs,
      });
    }
  }
  return actions;
}
