import { shapeCenter, type Point, type Zone, type ZoneKind } from '@storesense/firmware-config';
import { randomPointInShape } from './geometry.js';
import type { Rng } from './random.js';
import {
  corridorEnd,
  corridorPointNear,
  type CheckoutLayout,
  type CorridorLine,
  type EntranceLayout,
  type SiteLayout,
  type StoreLayout,
} from './site-layout.js';
import { TrajectoryBuilder, type Segment } from './trajectory.js';
import type { PlannedPurchase } from './truth.journey.js';

/**
 * Shopper intents and the plans that carry them out. A plan is a trajectory (walk, browse, ride,
 * pay) plus the purchases made; truth is derived from the trajectory's geometry afterwards.
 *
 * Walking speed 1.2-1.4 m/s: comfortable gait of adults ~1.3-1.4 m/s (Bohannon 1997, "Comfortable
 * and maximum walking speed of adults aged 20-79 years", Age and Ageing 26(1)); shoppers stroll a
 * little slower. Escalator rides: EN 115-1 nominal speed 0.5 m/s, a 4.5 m rise at 30 deg = 9 m, ~18 s.
 */
export const INTENTS = ['pass_by', 'window', 'visit', 'buy', 'change_floor', 'return'] as const;
export type Intent = (typeof INTENTS)[number];

/** Share of corridor traffic per intent (a busy mall: most people walk past). */
export const DEFAULT_INTENT_MIX: Readonly<Record<Intent, number>> = {
  pass_by: 0.45,
  window: 0.15,
  visit: 0.18,
  buy: 0.12,
  change_floor: 0.06,
  return: 0.04,
};

export interface PlanParams {
  /** Escalator ride time between adjacent floors. */
  escalatorRideMs: number;
  /** Median time spent browsing one zone (log-normal, sigma 0.6). */
  browseMedianMs: number;
  /** Median time queueing and paying at a till (log-normal, sigma 0.5). */
  checkoutMedianMs: number;
  /** Median basket (log-normal, sigma 0.8), in the site's currency. */
  basketMedian: number;
  /** How long a returning shopper is away before coming back. */
  returnAwayMinMs: number;
  returnAwayMaxMs: number;
  /**
   * Visitors of a store with several doors who leave by another door than the one they came in by
   * (a mall-side / street-side flagship). No effect on one-door stores, so today's sites keep their
   * traces. 0.5 is an assumption (no published share found): a door is as good as another to leave.
   */
  throughShare: number;
  /** Passers-by of a store with several doors who cut through it, door to door (mall shortcut). */
  shortcutShare: number;
  /** Window shoppers who stop at any window (a `window` zone, else any storefront edge) instead of beside the door. */
  windowAnywhereShare: number;
  /** Passers-by who cross a mall area (atrium, corridor) in a random direction instead of walking along the corridor. */
  crossShare: number;
  /** Visitors who also spend a long stay in a long-dwell zone (fitting room, service desk) of the floor they browse. */
  longDwellShare: number;
  /** Median stay there (log-normal, sigma longDwellSigma). */
  longDwellMedianMs: number;
  longDwellSigma: number;
  /** Zone kinds that get the long stay. */
  longDwellKinds: readonly ZoneKind[];
}

export const DEFAULT_PLAN_PARAMS: PlanParams = {
  escalatorRideMs: 18_000,
  browseMedianMs: 50_000,
  checkoutMedianMs: 45_000,
  basketMedian: 380,
  returnAwayMinMs: 5 * 60_000,
  returnAwayMaxMs: 25 * 60_000,
  throughShare: 0.5,
  shortcutShare: 0,
  windowAnywhereShare: 0,
  crossShare: 0,
  longDwellShare: 0,
  // Fitting-room visits last 5-8 min, mean just under 6 min (Alert Tech, "How Much Time Do Your
  // Customers Spend in the Fitting Room?"): median 5 min, sigma 0.5 gives a mean of 5.7 min.
  longDwellMedianMs: 5 * 60_000,
  longDwellSigma: 0.5,
  longDwellKinds: ['fitting'],
};

export interface ShopperPlan {
  intent: Intent;
  storeId: string;
  segments: Segment[];
  purchases: PlannedPurchase[];
}

/**
 * Walks a shopper through a store with helpers shared by random intents and scripted scenarios.
 * @example
 * const w = new PlanWriter(layout, rng, params, startAt, store, entrance, 0, 1.3);
 * w.enter(); w.browse(zone, 60_000); w.pay(w.checkoutOn(0)!, 45_000, 20_000, 250); w.leave(); w.walkOff();
 */
export class PlanWriter {
  readonly b: TrajectoryBuilder;
  readonly purchases: PlannedPurchase[] = [];
  readonly offsetM: number;
  /** The door last walked through (walkOff continues along its corridor). */
  door: EntranceLayout;

  constructor(
    readonly layout: SiteLayout,
    readonly rng: Rng,
    readonly params: PlanParams,
    startAt: number,
    readonly store: StoreLayout,
    readonly entrance: EntranceLayout,
    startEnd: 0 | 1,
    readonly speedMps: number,
  ) {
    const c = entrance.corridor;
    this.door = entrance;
    this.offsetM = rng.uniform(-0.8, 0.8) * Math.max(0, c.halfWidthM - 0.5);
    this.b = new TrajectoryBuilder(startAt, corridorEnd(c, startEnd, this.offsetM), c.floor);
  }

  /** Walks to the corridor point in front of the door. */
  toStorefront(): this {
    this.b.walkTo(corridorPointNear(this.entrance.corridor, this.entrance.outside, this.offsetM), this.speedMps);
    return this;
  }

  /** Continues along the corridor to one end (the far end by default) and leaves the radio world. */
  walkOff(end?: 0 | 1): this {
    const c = this.door.corridor;
    const target = end ?? (this.rng.chance(0.5) ? 0 : 1);
    this.b.walkTo(corridorEnd(c, target, this.laneOn(c)), this.speedMps);
    return this;
  }

  /** Stops at the shop window, outside, a few metres beside the door. */
  window(durationMs: number): this {
    const e = this.entrance;
    const side = this.rng.chance(0.5) ? 1 : -1;
    const along = { x: -e.outward.y * side, y: e.outward.x * side };
    const a = this.rng.uniform(2, 5);
    const out = this.rng.uniform(1, 2.5);
    this.toStorefront();
    this.b.walkTo({ x: e.at.x + along.x * a + e.outward.x * out, y: e.at.y + along.y * a + e.outward.y * out }, this.speedMps);
    this.b.hold(durationMs);
    return this;
  }

  /** From the corridor through the door to just inside. */
  enter(): this {
    this.toStorefront();
    this.b.walkTo(this.entrance.outside, this.speedMps);
    this.b.walkTo(this.entrance.at, this.speedMps);
    this.b.walkTo(this.entrance.inside, this.speedMps);
    return this;
  }

  /** Walks into a zone and meanders there (pauses of 3-15 s between slow moves) for `durationMs`. */
  browse(zone: Zone | undefined, durationMs: number): this {
    const shape = zone?.shape ?? this.store.store.shape;
    this.b.walkTo(randomPointInShape(this.rng, shape, 0.8), this.speedMps);
    const until = this.b.now + durationMs;
    while (this.b.now < until) {
      this.b.hold(Math.min(this.rng.uniform(3_000, 15_000), until - this.b.now));
      if (this.b.now >= until) break;
      const before = this.b.now;
      this.b.walkTo(randomPointInShape(this.rng, shape, 0.8), this.rng.uniform(0.5, 0.8));
      if (this.b.now > until + 5_000) break;
      if (this.b.now === before) break;
    }
    return this;
  }

  /** Browses `count` distinct zones of the current floor, each for a log-normal time. */
  browseSome(count: number): this {
    const zones = [...(this.store.browseZones.get(this.b.currentFloor) ?? [])];
    for (let i = 0; i < count; i++) {
      const zone = zones.length > 0 ? zones.splice(this.rng.int(zones.length), 1)[0] : undefined;
      this.browse(zone, this.browseTime());
    }
    return this;
  }

  browseTime(): number {
    return Math.min(15 * 60_000, Math.max(8_000, this.rng.logNormal(this.params.browseMedianMs, 0.6)));
  }

  /** Rides escalators floor by floor to `toFloor` (one floor_change per landing). */
  goToFloor(toFloor: number): this {
    while (this.b.currentFloor !== toFloor) {
      const from = this.b.currentFloor;
      const next = from + Math.sign(toFloor - from);
      if (!this.store.store.floors.includes(next)) break;
      const here = this.store.escalators.get(from) ?? shapeCenter(this.store.store.shape);
      const there = this.store.escalators.get(next) ?? here;
      this.b.walkTo(jitter(this.rng, here, 1.5), this.speedMps);
      this.b.ride(jitter(this.rng, there, 1.5), next, this.params.escalatorRideMs * this.rng.uniform(0.9, 1.1));
    }
    return this;
  }

  checkoutOn(floor: number): CheckoutLayout | undefined {
    const here = this.store.checkouts.filter((c) => c.floor === floor);
    return here.length > 0 ? this.rng.pick(here) : undefined;
  }

  /** Queues and pays; the payment happens `bagMs` before leaving the till. */
  pay(checkout: CheckoutLayout, queueMs: number, bagMs: number, amount: number): this {
    this.b.walkTo(jitter(this.rng, checkout.standAt, 0.4), this.speedMps);
    this.b.hold(queueMs);
    this.purchases.push({
      at: this.b.now - Math.min(bagMs, queueMs / 2),
      storeId: this.store.store.id,
      floor: checkout.floor,
      terminalId: checkout.terminal.id,
      amount,
    });
    return this;
  }

  checkoutTime(): number {
    return Math.min(6 * 60_000, Math.max(15_000, this.rng.logNormal(this.params.checkoutMedianMs, 0.5)));
  }

  basket(): number {
    return Math.round(Math.max(9.9, this.rng.logNormal(this.params.basketMedian, 0.8)) * 100) / 100;
  }

  /** Back to the floor of `door` (default: the way in), through it, out to its corridor. */
  leave(door: EntranceLayout = this.entrance): this {
    this.door = door;
    this.goToFloor(door.floor);
    this.b.walkTo(door.inside, this.speedMps);
    this.b.walkTo(door.at, this.speedMps);
    this.b.walkTo(door.outside, this.speedMps);
    this.b.walkTo(corridorPointNear(door.corridor, door.outside, this.laneOn(door.corridor)), this.speedMps);
    return this;
  }

  /** The shopper's lateral offset, kept within another corridor's width. */
  laneOn(c: CorridorLine): number {
    if (c === this.entrance.corridor) return this.offsetM;
    const h = Math.max(0, c.halfWidthM - 0.5);
    return Math.max(-h, Math.min(h, this.offsetM));
  }

  plan(intent: Intent): ShopperPlan {
    return { intent, storeId: this.store.store.id, segments: this.b.build(), purchases: this.purchases };
  }
}

export function jitter(rng: Rng, p: Point, radiusM: number): Point {
  return { x: p.x + rng.uniform(-radiusM, radiusM), y: p.y + rng.uniform(-radiusM, radiusM) };
}
