import type { SiteInput } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import { drawCalibrationStyle, SiteBuilder, type Rect, type Side } from './site-builder.js';
import { finishSite } from './site-finish.js';
import { corridorAlong, corridorReceivers, doorDevices, insideReceivers, pointIn, zoneFloor, type Door } from './store-plan.js';
import { doorAlong, ensureOutside, ensureStoreSide, floorNames, TIMEZONES, walledDb } from './walled-store.js';

/**
 * Food court: a 300-1,200 m² seating hall (about 1.2-1.5 m² per seat for 250-800 seats) with a row
 * of 3-7 counters along the back wall, open to the mall through one or two wide openings (0 dB on
 * the open edges); counters are checkout zones with tills, the hall is seating.
 */
export function foodCourtSite(rng: Rng, seed: number): SiteInput {
  const w = rng.uniform(20, 45);
  const d = Math.max(15, Math.min(35, rng.uniform(300, 1_200) / w));
  const b = new SiteBuilder(rng, 'food-court', { x: 0, y: 0, w, h: d }, [0], drawCalibrationStyle(rng));
  const sides: Side[] = ['south'];
  if (rng.chance(0.5)) sides.push(rng.chance(0.5) ? 'east' : 'west');
  for (const s of ['south', 'east', 'north', 'west'] as const) b.wallDb[s] = sides.includes(s) ? 0 : walledDb(rng);
  const fronts = sides.map((side) => ({
    side,
    ...corridorAlong(b, side, 0, side === 'south' ? 'Mall corridor' : 'Side corridor', rng.uniform(5, 12), 0, [rng.uniform(15, 40), rng.uniform(15, 40)]),
  }));
  const counterDepthM = rng.uniform(3, 5);
  const hall: Rect = { x: 0, y: 0, w, h: d - counterDepthM };
  const doors: Door[] = sides.map((side) => {
    const len = side === 'south' ? w : hall.h;
    const widthM = Math.min(len - 2, rng.uniform(4, 10));
    const e = b.entrance(side, doorAlong(rng, len, widthM, 1), 0, widthM);
    return { ...e, side, floor: 0, widthM, zoneId: undefined };
  });
  const counters = rng.intBetween(3, Math.max(3, Math.min(7, Math.floor(w / 6))));
  const cw = w / counters;
  for (let i = 0; i < counters; i++) {
    const rect: Rect = { x: i * cw, y: d - counterDepthM, w: cw, h: counterDepthM };
    const id = b.zone('checkout', `Counter ${i + 1}`, 0, rect, 20_000);
    if (rng.chance(0.8)) b.pos(0, pointIn(b, rect, 0.5), id);
    if (rng.chance(0.35)) b.receiver('checkout', 0, pointIn(b, rect, 0.8), id);
  }
  const names = ['Seating', 'Seating, window side', 'Family seating', 'Bar seating', 'Seating, east', 'Seating, west'];
  const fz = zoneFloor(b, 0, doors, {
    stripSides: sides,
    stripDepthM: rng.uniform(2, 3),
    cellM: rng.uniform(9, 16),
    special: [],
    windowChance: 0,
    names,
    within: hall,
  });
  doorDevices(b, doors, { entranceChance: 0.8, storefrontChance: 0.8, cameraChance: 0.2, storefrontOutM: 3 });
  if (!rng.chance(0.15)) insideReceivers(b, fz, rng.uniform(8, 15), 10);
  ensureStoreSide(b, doors);
  for (const f of fronts) corridorReceivers(b, f, 0, f.side, rng.intBetween(0, 2), rng.uniform(6, 20));
  ensureOutside(b, doors, 0.2);
  return finishSite(
    b,
    {
      id: `rnd-food-court-${seed}`,
      name: `Random food court ${seed}`,
      storeName: rng.pick(['Food Hall', 'Dining Terrace', 'Street Food Market', 'Noodle Court']),
      timezone: rng.pick(TIMEZONES),
      floorNames: floorNames([0]),
    },
    rng.int(4),
    { x: Math.round(rng.uniform(-40, 40)), y: Math.round(rng.uniform(-40, 40)) },
  );
}
