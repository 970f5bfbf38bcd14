import type { Zone } from '@storesense/firmware-config';
import type { Rng } from './random.js';
import { PlanWriter, type PlanParams, type ShopperPlan } from './shopper.plan.js';
import type { SiteLayout } from './site-layout.js';

/**
 * Scripted shoppers for tests and demos: a fixed plan instead of a drawn intent, injected into the
 * world beside (or instead of) background traffic.
 * @example
 * createWorld({ site, durationMs: 180_000, shoppersPerHour: 0,
 *   scenarios: [memberJourney({ memberId: 'M0001', key: '…32 hex…' })] });
 */
export interface ScenarioContext {
  layout: SiteLayout;
  rng: Rng;
  params: PlanParams;
  /** Trace start (ms since epoch). */
  startAt: number;
}

export interface ScriptedShopper {
  /** Human-readable name, e.g. 'member-visit'. */
  name: string;
  subject?: string;
  memberId?: string;
  /** The member's token key (32 hex); the phone then advertises memberToken(key, at, period). */
  tokenKey?: string;
  advertIntervalMs?: number;
  /** Overrides terminals' recall for this shopper (1 = the POS always reports the sale). */
  terminalRecall?: number;
  /** Shift the plan so that its first approach happens this many ms after the trace start. */
  approachAtMs?: number;
  plan(ctx: ScenarioContext): ShopperPlan;
}

export interface MemberJourneyOptions {
  memberId: string;
  /** The member's token key (32 hex chars). */
  key: string;
  /** ms after the trace start when the member comes within 8 m of the entrance (default 15 s). */
  approachAt?: number;
  storeId?: string;
  /** Zone to dwell in (default: the first browse zone on the entrance floor). */
  zoneId?: string;
  /** Time spent browsing in the zone once reached (default 60 s; keep it ≥ the zone's threshold). */
  dwellMs?: number;
  /** Buy at a till on the entrance floor (default true). */
  buy?: boolean;
  /** Queue and pay time (default 8 s: with the walk inside the checkout zone it stays below the usual 20 s threshold, so no checkout dwell). */
  checkoutMs?: number;
  amount?: number;
  advertIntervalMs?: number;
  speedMps?: number;
  subject?: string;
  /** POS recall for this purchase (default 1). */
  posRecall?: number;
}

/**
 * A member approaches, arrives, dwells in one zone, pays at a POS and leaves: truth is exactly
 * approach, arrival, dwell start, dwell end, purchase, exit (plus dwell updates if dwellMs is long).
 */
export function memberJourney(o: MemberJourneyOptions): ScriptedShopper {
  return {
    name: 'member-visit',
    memberId: o.memberId,
    tokenKey: o.key,
    advertIntervalMs: o.advertIntervalMs ?? 250,
    terminalRecall: o.posRecall ?? 1,
    approachAtMs: o.approachAt ?? 15_000,
    ...(o.subject !== undefined ? { subject: o.subject } : {}),
    plan(ctx) {
      const store = o.storeId === undefined ? ctx.layout.stores[0] : ctx.layout.stores.find((s) => s.store.id === o.storeId);
      if (store === undefined) throw new ScenarioError(`store "${o.storeId ?? ''}" is not in site ${ctx.layout.site.id}`);
      const entrance = store.entrances[0]!;
      let zone: Zone | undefined;
      if (o.zoneId !== undefined) {
        zone = store.store.zones.find((z) => z.id === o.zoneId);
        if (zone === undefined) throw new ScenarioError(`zone "${o.zoneId}" is not in store ${store.store.id}`);
      } else {
        zone = store.browseZones.get(entrance.floor)?.[0];
      }
      const w = new PlanWriter(ctx.layout, ctx.rng, ctx.params, ctx.startAt, store, entrance, 0, o.speedMps ?? 1.3);
      w.enter();
      if (zone !== undefined && zone.floor !== entrance.floor) w.goToFloor(zone.floor);
      w.browse(zone, o.dwellMs ?? 60_000);
      if (o.buy ?? true) {
        const checkout = w.checkoutOn(w.b.currentFloor) ?? w.checkoutOn(entrance.floor) ?? store.checkouts[0];
        if (checkout === undefined) throw new ScenarioError(`store ${store.store.id} has no POS terminal to buy at`);
        if (checkout.floor !== w.b.currentFloor) w.goToFloor(checkout.floor);
        w.pay(checkout, o.checkoutMs ?? 8_000, 3_000, o.amount ?? 880);
      }
      w.leave();
      w.walkOff(1);
      return w.plan((o.buy ?? true) ? 'buy' : 'visit');
    },
  };
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

export const SCENARIO_NAMES = ['member-visit'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Named scenarios for the CLI (`--scenario member-visit --member M0001`). */
export function namedScenario(name: string, member: { memberId: string; tokenKey: string } | undefined): ScriptedShopper {
  if (name !== 'member-visit') throw new ScenarioError(`unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
  if (member === undefined) throw new ScenarioError('scenario member-visit needs --member <memberId> from the members CSV');
  return memberJourney({ memberId: member.memberId, key: member.tokenKey });
}
