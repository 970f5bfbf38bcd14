import type { SiteInput, ZoneKind } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import { buildWalledSite, doorAlong, walledDb } from './walled-store.js';

/**
 * Boutique: one in-line mall unit of 60-200 m² (the brief's typical small fashion store), frontage
 * 6-14 m (mall column grids of 6, 7.5 or 9 m set unit frontages, ICSC via dayarch.com "Shopping
 * mall"), one door on the mall wall, sometimes an open front. A quarter have no sales-floor
 * receiver at all (entrance and outside only), as cheap installs do.
 */
export function boutiqueSite(rng: Rng, seed: number): SiteInput {
  const areaM2 = rng.uniform(60, 200);
  const widthM = Math.max(6, Math.min(14, rng.uniform(6, 14)));
  const depthM = Math.max(6, Math.min(22, areaM2 / widthM));
  // An open front is a shutter across most of the frontage, not a door.
  const openFront = rng.chance(0.3);
  const doorW = openFront ? widthM * rng.uniform(0.5, 0.85) : rng.uniform(1.8, 3.2);
  const special: ZoneKind[] = [];
  if (rng.chance(0.9)) special.push('checkout');
  if (rng.chance(0.6)) special.push('fitting');
  return buildWalledSite(rng, {
    siteId: `rnd-boutique-${seed}`,
    siteName: `Random boutique ${seed}`,
    storeId: 'boutique',
    storeName: rng.pick(['Maison Lune', 'Atelier Nord', 'Silk & Stone', 'Kestrel', 'Paper Moon', 'Lotus Row']),
    widthM,
    depthM,
    floors: [0],
    doors: [{ side: 'south', t: doorAlong(rng, widthM, doorW, openFront ? 0.3 : 1), floor: 0, widthM: doorW }],
    fronts: [
      { side: 'south', floor: 0, name: 'Mall corridor', widthM: rng.uniform(4, 10), gapM: 0, corridorReceivers: rng.intBetween(0, 2), acrossChance: 0.3 },
    ],
    cellM: rng.uniform(3.5, 6),
    special: () => special,
    escalators: false,
    insideSpacingM: rng.chance(0.25) ? undefined : rng.uniform(5, 12),
    maxInsidePerFloor: 4,
    doorKit: { entranceChance: 0.85, storefrontChance: 0.8, cameraChance: 0.2, storefrontOutM: 2.5 },
    checkoutReceiverChance: 0.6,
    escalatorReceiverChance: 0,
    windowChance: 0.8,
    chamferChance: 0.2,
    wallDb: { south: openFront ? 0 : walledDb(rng), east: walledDb(rng), north: walledDb(rng), west: walledDb(rng) },
  });
}
