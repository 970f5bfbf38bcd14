import type { Point } from '@storesense/firmware-config';
import type { Rng } from './random.js';
import { PlanWriter, type Intent, type PlanParams, type ShopperPlan } from './shopper.plan.js';
import { crossRoute, exitDoor, maybeLongDwell, shortcutDoor, windowSpot, type WindowSpot } from './shopper.routes.js';
import { corridorEnd, corridorPointNear, type SiteLayout } from './site-layout.js';
import { TrajectoryBuilder } from './trajectory.js';

/**
 * Background shoppers: an intent drawn from the mix, carried out by a PlanWriter. With the default
 * plan parameters a site with one door per store walks exactly the routes it always did; the
 * routes of shopper.routes.ts join in as their shares (PlanParams) are raised or the site has
 * several doors.
 */

/** Draws an intent (change_floor only where a store has several floors) and plans it. */
export function planShopper(
  layout: SiteLayout,
  rng: Rng,
  params: PlanParams,
  mix: Readonly<Record<Intent, number>>,
  startAt: number,
  speedMps: number,
): ShopperPlan {
  const store = rng.pick(layout.stores);
  const weights = { ...mix };
  if (!store.multiFloor) weights.change_floor = 0;
  const intent = rng.weighted(weights);
  const entrance = rng.pick(store.entrances);
  const startEnd: 0 | 1 = rng.chance(0.5) ? 0 : 1;
  const w = new PlanWriter(layout, rng, params, startAt, store, entrance, startEnd, speedMps);
  const farEnd: 0 | 1 = startEnd === 0 ? 1 : 0;
  const visitOnce = (buy: boolean) => {
    w.enter();
    w.browseSome(rng.intBetween(1, 3));
    maybeLongDwell(w, params);
    if (buy) {
      const checkout = w.checkoutOn(w.b.currentFloor) ?? w.checkoutOn(entrance.floor);
      if (checkout !== undefined) {
        w.goToFloor(checkout.floor);
        w.pay(checkout, w.checkoutTime(), rng.uniform(5_000, 15_000), w.basket());
      }
    }
    w.leave(exitDoor(w, params));
  };
  switch (intent) {
    case 'pass_by': {
      if (params.crossShare > 0 && rng.chance(params.crossShare)) {
        const route = crossRoute(layout, entrance.floor, rng);
        if (route !== undefined) return walkRoute(intent, store.store.id, startAt, entrance.floor, route, speedMps);
      }
      const through = shortcutDoor(w, params);
      if (through !== undefined) {
        w.enter();
        w.leave(through);
        w.walkOff();
        break;
      }
      w.walkOff(farEnd);
      break;
    }
    case 'window': {
      const holdMs = Math.min(3 * 60_000, Math.max(5_000, rng.logNormal(25_000, 0.6)));
      if (params.windowAnywhereShare > 0 && rng.chance(params.windowAnywhereShare)) {
        const spot = windowSpot(layout, store, entrance.floor, rng);
        if (spot !== undefined) return windowPlan(w, spot, startEnd, holdMs);
      }
      w.window(holdMs);
      w.walkOff(farEnd);
      break;
    }
    case 'visit':
      visitOnce(false);
      w.walkOff();
      break;
    case 'buy':
      visitOnce(true);
      w.walkOff();
      break;
    case 'change_floor': {
      w.enter();
      if (rng.chance(0.5)) w.browseSome(1);
      const others = store.store.floors.filter((f) => f !== entrance.floor);
      w.goToFloor(rng.pick(others));
      w.browseSome(rng.intBetween(1, 2));
      maybeLongDwell(w, params);
      if (rng.chance(0.3)) {
        const checkout = w.checkoutOn(w.b.currentFloor);
        if (checkout !== undefined) w.pay(checkout, w.checkoutTime(), rng.uniform(5_000, 15_000), w.basket());
      }
      w.leave(exitDoor(w, params));
      w.walkOff();
      break;
    }
    case 'return': {
      visitOnce(false);
      const end: 0 | 1 = rng.chance(0.5) ? 0 : 1;
      w.walkOff(end);
      w.b.away(
        rng.uniform(params.returnAwayMinMs, params.returnAwayMaxMs),
        corridorEnd(entrance.corridor, rng.chance(0.5) ? 0 : 1, 0),
        entrance.corridor.floor,
      );
      visitOnce(rng.chance(0.5));
      w.walkOff();
      break;
    }
  }
  return w.plan(intent);
}

/** A walk through `route` on one floor at `speedMps`, no store visited (a passer-by crossing an atrium). */
function walkRoute(intent: Intent, storeId: string, startAt: number, floor: number, route: readonly Point[], speedMps: number): ShopperPlan {
  const b = new TrajectoryBuilder(startAt, route[0]!, floor);
  for (const p of route.slice(1)) b.walkTo(p, speedMps);
  return { intent, storeId, segments: b.build(), purchases: [] };
}

/** Along the corridor that faces the window, a stop there, and on to the corridor's other end. */
function windowPlan(w: PlanWriter, spot: WindowSpot, startEnd: 0 | 1, holdMs: number): ShopperPlan {
  const c = spot.corridor;
  const lane = w.laneOn(c);
  const b = new TrajectoryBuilder(w.b.now, corridorEnd(c, startEnd, lane), c.floor);
  b.walkTo(corridorPointNear(c, spot.at, lane), w.speedMps);
  b.walkTo(spot.at, w.speedMps);
  b.hold(holdMs);
  b.walkTo(corridorPointNear(c, spot.at, lane), w.speedMps);
  b.walkTo(corridorEnd(c, startEnd === 0 ? 1 : 0, lane), w.speedMps);
  return { intent: 'window', storeId: w.store.store.id, segments: b.build(), purchases: [] };
}
