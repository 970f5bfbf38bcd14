import type { SiteInput, ZoneKind } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import type { Side } from './site-builder.js';
import { buildWalledSite, doorAlong, walledDb, type DoorSpec, type FrontSpec } from './walled-store.js';

/**
 * Anchor store: the mall's largest tenant (ICSC: anchors take ~25 % of a centre's space, via
 * dayarch.com "Shopping mall"), 2-4 floors of 2,500-7,000 m², sometimes a basement, doors onto the
 * mall on the ground floor and often the upper mall level too, and a street door; escalators on
 * every floor with a receiver at each landing.
 */
export function anchorSite(rng: Rng, seed: number): SiteInput {
  const above = rng.intBetween(2, 4);
  const basement = rng.chance(0.2);
  const floors = [...(basement ? [-1] : []), ...Array.from({ length: above }, (_, i) => i)];
  const widthM = rng.uniform(50, 90);
  const depthM = Math.max(40, Math.min(80, rng.uniform(2_500, 7_000) / widthM));
  const mallCorridorM = rng.uniform(6, 14);
  const doors: DoorSpec[] = [];
  const fronts: FrontSpec[] = [
    {
      side: 'south',
      floor: 0,
      name: 'Mall corridor, ground floor',
      widthM: mallCorridorM,
      gapM: 0,
      corridorReceivers: rng.intBetween(1, 3),
      acrossChance: 0.3,
    },
  ];
  const mallDoors = rng.intBetween(1, 2);
  for (let i = 0; i < mallDoors; i++) {
    const w = rng.uniform(4, 8);
    const half = widthM / mallDoors;
    doors.push({ side: 'south', t: i * half + doorAlong(rng, half, w, 3), floor: 0, widthM: w });
  }
  if (rng.chance(0.7)) {
    // The upper mall level runs along the same wall, one floor up.
    const w = rng.uniform(4, 7);
    doors.push({ side: 'south', t: doorAlong(rng, widthM, w, 3), floor: 1, widthM: w });
    fronts.push({
      side: 'south',
      floor: 1,
      name: 'Mall corridor, level 1',
      widthM: mallCorridorM,
      gapM: 0,
      corridorReceivers: rng.intBetween(1, 2),
      acrossChance: 0.3,
    });
  }
  if (rng.chance(0.7)) {
    const side: Side = rng.pick(['north', 'east', 'west'] as const);
    const w = rng.uniform(3, 6);
    doors.push({ side, t: doorAlong(rng, side === 'north' ? widthM : depthM, w, 3), floor: 0, widthM: w });
    fronts.push({ side, floor: 0, name: 'Street pavement', widthM: rng.uniform(3, 6), gapM: 0, corridorReceivers: 0 });
  }
  return buildWalledSite(rng, {
    siteId: `rnd-anchor-${seed}`,
    siteName: `Random anchor store ${seed}`,
    storeId: 'anchor',
    storeName: rng.pick(['Galeries Royales', 'Crown Department Store', 'Kaufhaus Mitte', 'Union Department Store', 'The Great Store']),
    widthM,
    depthM,
    floors,
    doors,
    fronts,
    cellM: rng.uniform(10, 16),
    special: (floor) => {
      const out: ZoneKind[] = [];
      if (floor === 0 || rng.chance(0.7)) out.push('checkout');
      if (floor > 0 && rng.chance(0.7)) out.push('fitting');
      if (rng.chance(0.3)) out.push('service');
      return out;
    },
    escalators: true,
    mallEscalators: true,
    insideSpacingM: rng.chance(0.1) ? undefined : rng.uniform(11, 20),
    maxInsidePerFloor: 20,
    doorKit: { entranceChance: 0.9, storefrontChance: 0.7, cameraChance: 0.5, storefrontOutM: 3 },
    checkoutReceiverChance: 0.7,
    escalatorReceiverChance: 1,
    windowChance: 0.7,
    chamferChance: 0.25,
    wallDb: { south: rng.chance(0.2) ? 0 : walledDb(rng), east: walledDb(rng), north: walledDb(rng), west: walledDb(rng) },
  });
}
