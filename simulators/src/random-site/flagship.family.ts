import type { SiteInput, ZoneKind } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import type { Side } from './site-builder.js';
import { buildWalledSite, doorAlong, walledDb, type DoorSpec, type FrontSpec } from './walled-store.js';

/**
 * Multi-door flagship: 300-1,500 m² per floor, one or two floors, a door on the mall corridor and
 * one or two more on other walls (the street side opposite, or a side corridor): the issue's
 * two-door flagship, where people walk in by one door and out by another.
 */
export function flagshipSite(rng: Rng, seed: number): SiteInput {
  const floorsN = rng.chance(0.5) ? 2 : 1;
  const widthM = rng.uniform(15, 45);
  const depthM = Math.max(14, Math.min(40, rng.uniform(300, 1_500) / widthM));
  const mallW = rng.uniform(2.5, 5);
  const doors: DoorSpec[] = [{ side: 'south', t: doorAlong(rng, widthM, mallW, 1.5), floor: 0, widthM: mallW }];
  const fronts: FrontSpec[] = [
    { side: 'south', floor: 0, name: 'Mall corridor', widthM: rng.uniform(4, 10), gapM: 0, corridorReceivers: rng.intBetween(0, 2), acrossChance: 0.3 },
  ];
  const others: Side[] = rng.chance(0.6) ? ['north'] : [rng.chance(0.5) ? 'east' : 'west'];
  if (rng.chance(0.3)) others.push(others[0] === 'north' ? (rng.chance(0.5) ? 'east' : 'west') : 'north');
  for (const side of others) {
    const w = rng.uniform(2, 4.5);
    const len = side === 'north' ? widthM : depthM;
    doors.push({ side, t: doorAlong(rng, len, w, 1.5), floor: 0, widthM: w });
    const street = side === 'north' || rng.chance(0.4);
    // A street pavement carries people past the façade, with no mall receivers in it.
    fronts.push(
      street
        ? { side, floor: 0, name: 'Street pavement', widthM: rng.uniform(3, 6), gapM: 0, corridorReceivers: 0 }
        : { side, floor: 0, name: 'Side mall corridor', widthM: rng.uniform(4, 8), gapM: 0, corridorReceivers: rng.intBetween(0, 1) },
    );
  }
  const floors = Array.from({ length: floorsN }, (_, i) => i);
  const wall = (side: Side) => (side === 'south' && rng.chance(0.25) ? 0 : walledDb(rng));
  return buildWalledSite(rng, {
    siteId: `rnd-flagship-${seed}`,
    siteName: `Random flagship ${seed}`,
    storeId: 'flagship',
    storeName: rng.pick(['Summit Flagship', 'Northlight', 'Cobalt House', 'Verde', 'Atlas Store']),
    widthM,
    depthM,
    floors,
    doors,
    fronts,
    cellM: rng.uniform(5, 10),
    special: (floor) => {
      const out: ZoneKind[] = [];
      if (floor === 0 || rng.chance(0.5)) out.push('checkout');
      if (rng.chance(0.6)) out.push('fitting');
      return out;
    },
    escalators: floorsN > 1,
    insideSpacingM: rng.chance(0.2) ? undefined : rng.uniform(6, 14),
    maxInsidePerFloor: 10,
    doorKit: { entranceChance: 0.85, storefrontChance: 0.75, cameraChance: 0.35, storefrontOutM: 2.5 },
    checkoutReceiverChance: 0.6,
    escalatorReceiverChance: 0.8,
    windowChance: 0.85,
    chamferChance: 0.3,
    wallDb: { south: wall('south'), east: wall('east'), north: wall('north'), west: wall('west') },
  });
}
