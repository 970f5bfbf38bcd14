import type { SiteInput, ZoneKind } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import type { Side } from './site-builder.js';
import { buildWalledSite, doorAlong, walledDb, type DoorSpec, type FrontSpec } from './walled-store.js';

/**
 * Department store: 1-3 floors of 1,200-4,000 m² each (the brief: floors of thousands of m²) on a
 * mall corridor, one or two doors on the mall wall and sometimes a side door onto a cross corridor;
 * departments on a 8-14 m grid, checkout on the ground floor, escalators when there are floors.
 */
export function departmentSite(rng: Rng, seed: number): SiteInput {
  const floorsN = rng.pick([1, 2, 2, 3]);
  const widthM = rng.uniform(35, 70);
  const depthM = Math.max(30, Math.min(60, rng.uniform(1_200, 4_000) / widthM));
  const doors: DoorSpec[] = [];
  const mallDoors = rng.chance(0.4) ? 2 : 1;
  for (let i = 0; i < mallDoors; i++) {
    const w = rng.uniform(3, 6);
    const half = widthM / mallDoors;
    doors.push({ side: 'south', t: i * half + doorAlong(rng, half, w, 2), floor: 0, widthM: w });
  }
  const fronts: FrontSpec[] = [
    { side: 'south', floor: 0, name: 'Mall corridor', widthM: rng.uniform(5, 12), gapM: 0, corridorReceivers: rng.intBetween(0, 3), acrossChance: 0.3 },
  ];
  if (rng.chance(0.3)) {
    const side: Side = rng.chance(0.5) ? 'east' : 'west';
    const w = rng.uniform(3, 5);
    doors.push({ side, t: doorAlong(rng, depthM, w, 3), floor: 0, widthM: w });
    fronts.push({ side, floor: 0, name: 'Cross corridor', widthM: rng.uniform(4, 8), gapM: 0, corridorReceivers: rng.intBetween(0, 1) });
  }
  const floors = Array.from({ length: floorsN }, (_, i) => i);
  return buildWalledSite(rng, {
    siteId: `rnd-department-${seed}`,
    siteName: `Random department store ${seed}`,
    storeId: 'dept-store',
    storeName: rng.pick(['Orient Department Store', 'Harbour House', 'Grand Emporium', 'Meridian', 'The Arcade Store']),
    widthM,
    depthM,
    floors,
    doors,
    fronts,
    cellM: rng.uniform(8, 14),
    special: (floor) => {
      const out: ZoneKind[] = [];
      if (floor === 0 || rng.chance(0.6)) out.push('checkout');
      if (rng.chance(floor === 0 ? 0.3 : 0.7)) out.push('fitting');
      if (rng.chance(0.3)) out.push('service');
      return out;
    },
    escalators: floorsN > 1,
    insideSpacingM: rng.chance(0.1) ? undefined : rng.uniform(9, 16),
    maxInsidePerFloor: 16,
    doorKit: { entranceChance: 0.9, storefrontChance: 0.75, cameraChance: 0.4, storefrontOutM: 3 },
    checkoutReceiverChance: 0.7,
    escalatorReceiverChance: 0.85,
    windowChance: 0.7,
    chamferChance: 0.25,
    wallDb: { south: rng.chance(0.2) ? 0 : walledDb(rng), east: walledDb(rng), north: walledDb(rng), west: walledDb(rng) },
  });
}
