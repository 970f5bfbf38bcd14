import type { ReceiverRole, SiteInput } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import { add, drawCalibrationStyle, edgeLengthM, edgePoint, inward, q, SIDES, SiteBuilder, type Rect, type Side } from './site-builder.js';
import { finishSite } from './site-finish.js';
import { corridorAlong, corridorReceivers, pointIn } from './store-plan.js';
import { floorNames, TIMEZONES } from './walled-store.js';

/**
 * Open kiosk: a 9-30 m² island in a mall atrium (mall kiosks and carts run ~6-30 m²; below 3 m a
 * side the simulator's 2.5 m walk-in step would cross the whole kiosk), open on 2-4 sides with a
 * walkway past each, no walls (0 dB on every edge) and no `inside` receiver: 2-4 receivers hang on
 * different sides, at the counter edges or just outside, as in the 20 m² atrium kiosk.
 */
export function kioskSite(rng: Rng, seed: number): SiteInput {
  const w = q(rng.uniform(3, 6));
  // Rounded down to the shape grid, so the area never exceeds the 30 m² drawn.
  const d = Math.floor(Math.max(3, Math.min(6, rng.uniform(9, 30) / w)) * 4) / 4;
  const b = new SiteBuilder(rng, 'kiosk', { x: 0, y: 0, w, h: d }, [0], drawCalibrationStyle(rng));
  for (const s of SIDES) b.wallDb[s] = 0;
  const sides = shuffled(rng, SIDES);
  const open = sides.slice(0, rng.pick([2, 2, 3, 4]));
  const walkways = open.map((side) => ({
    side,
    ...corridorAlong(b, side, 0, 'Atrium walkway', rng.uniform(4, 8), rng.uniform(0.5, 3), [rng.uniform(10, 30), rng.uniform(10, 30)]),
  }));
  for (const side of open) {
    const len = edgeLengthM(side, w, d);
    b.entrance(side, len / 2 + rng.uniform(-0.2, 0.2) * len, 0, len * rng.uniform(0.5, 0.8));
  }
  // A counter along one side (till and staff) and the display around it, or one display area.
  const full: Rect = { x: 0, y: 0, w, h: d };
  let counter: { id: string; rect: Rect; side: Side } | undefined;
  if (rng.chance(0.6)) {
    const side = rng.pick(SIDES);
    const depth = Math.min(1.5, (side === 'south' || side === 'north' ? d : w) / 2);
    const rect: Rect =
      side === 'south'
        ? { x: 0, y: 0, w, h: depth }
        : side === 'north'
          ? { x: 0, y: d - depth, w, h: depth }
          : side === 'west'
            ? { x: 0, y: 0, w: depth, h: d }
            : { x: w - depth, y: 0, w: depth, h: d };
    counter = { id: b.zone('checkout', 'Counter', 0, rect, 20_000), rect, side };
    const rest: Rect =
      side === 'south'
        ? { x: 0, y: depth, w, h: d - depth }
        : side === 'north'
          ? { x: 0, y: 0, w, h: d - depth }
          : side === 'west'
            ? { x: depth, y: 0, w: w - depth, h: d }
            : { x: 0, y: 0, w: w - depth, h: d };
    b.zone('sales', 'Display', 0, rest);
  } else {
    b.zone('sales', 'Display', 0, full);
  }
  // Receivers on 2-4 distinct sides; never role `inside`.
  const rxSides = shuffled(rng, SIDES).slice(0, rng.intBetween(2, 4));
  let storeSide = false;
  rxSides.forEach((side, i) => {
    const last = i === rxSides.length - 1;
    let role: ReceiverRole = rng.weighted({ entrance: 0.5, storefront: 0.3, checkout: counter !== undefined && counter.side === side ? 0.4 : 0 });
    if (last && !storeSide && role === 'storefront') role = 'entrance';
    if (role !== 'storefront') storeSide = true;
    const len = edgeLengthM(side, w, d);
    const base = add(edgePoint(full, side, rng.uniform(0.2, 0.8) * len), inward(side), role === 'storefront' ? -rng.uniform(0.5, 2) : rng.uniform(0.3, 0.8));
    b.receiver(role, 0, base, role === 'storefront' ? b.areaAt(0, base) : b.zoneAt(0, base));
  });
  if (counter !== undefined || rng.chance(0.5)) {
    const r = counter?.rect ?? full;
    b.pos(0, pointIn(b, r, 0.3), counter?.id ?? b.zones[0]!.id);
  }
  if (rng.chance(0.5)) {
    const wk = rng.pick(walkways);
    corridorReceivers(b, wk, 0, wk.side, rng.intBetween(1, 2), rng.uniform(5, 15));
  }
  return finishSite(
    b,
    {
      id: `rnd-kiosk-${seed}`,
      name: `Random atrium kiosk ${seed}`,
      storeName: rng.pick(['Tea Cart', 'Phone Case Island', 'Sunglasses Island', 'Macaron Bar', 'Watch Strap Stand']),
      timezone: rng.pick(TIMEZONES),
      floorNames: floorNames([0]),
      coarseRolesAllowed: false,
    },
    rng.int(4),
    { x: Math.round(rng.uniform(-40, 40)), y: Math.round(rng.uniform(-40, 40)) },
  );
}

/** A Fisher-Yates shuffle drawn from the site's Rng. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
