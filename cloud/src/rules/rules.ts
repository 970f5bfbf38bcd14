import type { PresenceEvent } from '@storesense/protocol';
import type { MemberProfile } from '../store/cloud-store.js';
import type { Rule } from './rule.schema.js';

export { ruleSchema, ruleActionSchema, type Rule, type RuleAction } from './rule.schema.js';

const TEN_MIN_MS = 10 * 60_000;

/**
 * The built-in rule set, seeded into the rules table by migration 4 (an empty table only).
 * Decision: a member is announced twice per visit at most, once per kind: on `approach` ("near
 * the store": staff can get ready) and on `arrival` ("now inside"). Each kind has its own
 * 10-minute cooldown per member and store. A member's first `arrival` of the site-local day
 * records a welcome offer (valid 4 hours).
 */
export const DEFAULT_RULES: readonly Rule[] = [
  {
    id: 'member-approach-alert',
    name: 'Member near the store',
    enabled: true,
    eventTypes: ['approach'],
    audience: 'member',
    cooldownMs: TEN_MIN_MS,
    actions: [{ kind: 'staff_alert', message: '{name} ({tier}) is near {store}' }],
  },
  {
    id: 'member-arrival-alert',
    name: 'Member inside the store',
    enabled: true,
    eventTypes: ['arrival'],
    audience: 'member',
    cooldownMs: TEN_MIN_MS,
    actions: [{ kind: 'staff_alert', message: '{name} ({tier}) is now inside {store}' }],
  },
  {
    id: 'welcome-offer',
    name: 'Welcome offer, first arrival of the day',
    enabled: true,
    eventTypes: ['arrival'],
    audience: 'member',
    cooldownMs: 0,
    actions: [{ kind: 'offer', offerKind: 'welcome', validForMs: 4 * 60 * 60_000, perMemberCapPerDay: 1 }],
  },
];

/** Facts the caller looks up before evaluating, so the evaluation itself is pure. */
export interface RuleContext {
  /** Cloud time now (offer issue time). */
  now: number;
  /** Site-local day of the event (`localDay(event.at, site.timezone)`). */
  day: string;
  /** The site's IANA time zone (time-of-day windows); UTC when absent. */
  timeZone?: string;
  /** The store the event belongs to (event.storeId, else the gateway's store). */
  storeId: string | undefined;
  /** Display name for messages. */
  storeName: string;
  /** Event time of this member's last alert of the same event type at this store (alert cooldowns). */
  lastAlertEventAt: number | undefined;
  /** Offer kinds this member already has at this site on `day`. */
  offersToday: readonly string[];
  /** Offers per kind this member has at this site on `day` (per-member caps); from `offersToday` when absent. */
  memberOfferCountsToday?: Readonly<Record<string, number>>;
  /** Offers per kind issued at this store on `day` (store budgets); budgets are not enforced when absent. */
  storeOfferCountsToday?: Readonly<Record<string, number>>;
  /** Issue time (cloud clock) of this member's or prospect's newest offer per kind at this site (offer cooldowns). */
  lastOfferAt?: Readonly<Record<string, number>>;
}

export type Action =
  | {
      kind: 'staff_alert';
      ruleId: string;
      event: PresenceEvent;
      member: MemberProfile;
      storeId: string | undefined;
      message: string;
      /** The rule's cooldown, re-checked by the store as it inserts (another node may have alerted meanwhile). */
      cooldownMs: number;
    }
  | {
      kind: 'offer';
      ruleId: string;
      offerKind: string;
      title: string;
      /** The action's cap and budget, re-checked by the store at insert (concurrent decisions). */
      limits: { perMemberCapPerDay?: number | undefined; dailyBudgetPerStore?: number | undefined };
      event: PresenceEvent;
      /** Absent for a prospect (an attract offer to an anonymous subject). */
      memberId: string | undefined;
      subjectId: string;
      storeId: string | undefined;
      day: string;
      issuedAt: number;
      expiresAt: number;
    }
  | { kind: 'webhook'; ruleId: string; event: PresenceEvent; memberId: string | undefined; storeId: string | undefined; url: string };

/** Minutes since local midnight of `at` in `timeZone` (Intl: SQLite and Date know no IANA zones). */
export function localMinuteOfDay(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

function inWindow(minute: number, window: { from: string; to: string }): boolean {
  const toMin = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const from = toMin(window.from);
  const to = toMin(window.to);
  // A window whose end is before its start wraps midnight (22:00–02:00).
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

function render(template: string, member: MemberProfile | undefined, ctx: RuleContext, event: PresenceEvent): string {
  const values: Record<string, string> = {
    name: member?.name ?? 'A visitor',
    tier: member?.tier ?? 'prospect',
    store: ctx.storeName,
    zone: event.zoneId ?? '',
  };
  return template.replace(/\{(name|tier|store|zone)\}/g, (_m, k: string) => values[k] ?? '');
}

/** Pure: does `rule` apply to this event and shopper (filters only; cooldowns, caps and budgets are per action)? */
export function ruleMatches(rule: Rule, event: PresenceEvent, member: MemberProfile | undefined, ctx: RuleContext): boolean {
  if (!rule.enabled || !rule.eventTypes.includes(event.type)) return false;
  if (rule.audience === 'member' && !member) return false;
  if (rule.audience === 'prospect' && member) return false;
  if (rule.siteIds && !rule.siteIds.includes(event.siteId)) return false;
  if (rule.storeIds && (ctx.storeId === undefined || !rule.storeIds.includes(ctx.storeId))) return false;
  if (rule.zoneIds && (event.zoneId === undefined || !rule.zoneIds.includes(event.zoneId))) return false;
  // Tier and tag filters speak about members; a prospect never passes them.
  if (rule.memberTiers && (!member || !rule.memberTiers.includes(member.tier))) return false;
  if (rule.memberTags && (!member || !rule.memberTags.some((t) => member.tags.includes(t)))) return false;
  if (rule.minDwellMs !== undefined && (event.dwellMs ?? 0) < rule.minDwellMs) return false;
  if (rule.timeOfDay && !inWindow(localMinuteOfDay(event.at, ctx.timeZone ?? 'UTC'), rule.timeOfDay)) return false;
  return true;
}

/**
 * Pure: which actions an event causes. Members without (presence) consent cause none; offers to
 * members also need marketing consent; non-members only reach rules whose audience is `prospect`
 * or `any`. Offer caps count per member, or per prospect subject; budgets per store and day;
 * the rule's cooldown spaces alerts (event time) and offers (issue time).
 * @example evaluateRules(event, member, ctx, rules) // [{ kind: 'staff_alert', message: 'Li Na (platinum) is now inside Boutique', ... }]
 */
export function evaluateRules(event: PresenceEvent, member: MemberProfile | undefined, ctx: RuleContext, rules: readonly Rule[] = DEFAULT_RULES): Action[] {
  if (member && !member.consent) return [];
  const actions: Action[] = [];
  for (const rule of rules) {
    if (!ruleMatches(rule, event, member, ctx)) continue;
    for (const a of rule.actions) {
      if (a.kind === 'staff_alert') {
        if (!member) continue; // staff alerts name a member; prospects get offers only
        // |Δt| so an out-of-order replay of an older event inside the window is also suppressed.
        if (ctx.lastAlertEventAt !== undefined && rule.cooldownMs > 0 && Math.abs(event.at - ctx.lastAlertEventAt) < rule.cooldownMs) continue;
        const message = render(a.message ?? '{name} ({tier}) at {store}', member, ctx, event);
        actions.push({ kind: 'staff_alert', ruleId: rule.id, event, member, storeId: ctx.storeId, message, cooldownMs: rule.cooldownMs });
      } else if (a.kind === 'offer') {
        // Offers are marketing: a member needs marketing consent on top of presence consent.
        if (member && member.marketingConsent !== true) continue;
        const had = ctx.memberOfferCountsToday?.[a.offerKind] ?? (ctx.offersToday.includes(a.offerKind) ? 1 : 0);
        if (a.perMemberCapPerDay !== undefined && had >= a.perMemberCapPerDay) continue;
        const issued = ctx.storeOfferCountsToday?.[a.offerKind];
        if (a.dailyBudgetPerStore !== undefined && issued !== undefined && issued >= a.dailyBudgetPerStore) continue;
        // The rule's cooldown spaces offers too (issue times, both on the cloud clock).
        const lastOffer = ctx.lastOfferAt?.[a.offerKind];
        if (rule.cooldownMs > 0 && lastOffer !== undefined && ctx.now - lastOffer < rule.cooldownMs) continue;
        actions.push({
          kind: 'offer',
          ruleId: rule.id,
          offerKind: a.offerKind,
          title: a.title ?? a.offerKind,
          limits: { perMemberCapPerDay: a.perMemberCapPerDay, dailyBudgetPerStore: a.dailyBudgetPerStore },
          event,
          memberId: member?.memberId,
          subjectId: event.subject.id,
          storeId: ctx.storeId,
          day: ctx.day,
          issuedAt: ctx.now,
          expiresAt: ctx.now + a.validForMs,
        });
      } else {
        actions.push({ kind: 'webhook', ruleId: rule.id, event, memberId: member?.memberId, storeId: ctx.storeId, url: a.url });
      }
    }
  }
  return actions;
}
