import { shapeAreaM2, shapePolygon, validateSite, type Point, type Site } from '@storesense/firmware-config';
import { distanceToSegment } from '../geometry.js';
import { randomSite, type SiteFamily } from './random-site.js';

/**
 * What a family's sites look like over many seeds: sizes, receiver counts and densities, role sets
 * and the share of sites with each trait a model must generalise over. It states a training
 * domain in figures (`random-site --stats`) and keeps the README's table honest.
 */
export interface Range {
  min: number;
  median: number;
  max: number;
}

export interface FamilyStats {
  family: SiteFamily;
  sites: number;
  areaM2PerFloor: Range;
  floors: Range;
  receivers: Range;
  receiversPer100M2: Range;
  entrances: Range;
  /** Share of sites (0-1) with each trait. */
  shares: {
    noInside: number;
    noEntrance: number;
    noOutside: number;
    /** Receivers labelled only inside / corridor (/ escalator): the coarse installer vocabulary. */
    insideOutsideRolesOnly: number;
    doorsOnTwoWalls: number;
    cutCorner: number;
    entranceCamera: number;
    refLevelSpreadOver8Db: number;
  };
  /** The most common role sets (sorted role names joined by '+') with their share. */
  roleSets: { roles: string; share: number }[];
}

function range(values: number[]): Range {
  const s = [...values].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { min: r(s[0] ?? 0), median: r(s[Math.floor(s.length / 2)] ?? 0), max: r(s[s.length - 1] ?? 0) };
}

function nearestEdge(site: Site, p: Point): number {
  const poly = shapePolygon(site.stores[0]!.shape);
  let best = 0;
  let bestD = Infinity;
  poly.forEach((a, i) => {
    const d = distanceToSegment(p, a, poly[(i + 1) % poly.length]!);
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

export function familyStats(family: SiteFamily, seeds: readonly number[]): FamilyStats {
  const sites = seeds.map((seed) => {
    const r = validateSite(randomSite({ seed, family }));
    if (!r.ok) throw new Error(`${family} seed ${seed} is invalid: ${r.error}`);
    return r.value;
  });
  const n = Math.max(1, sites.length);
  const share = (f: (s: Site) => boolean) => Math.round((sites.filter(f).length / n) * 1000) / 1000;
  const has = (s: Site, role: string) => s.receivers.some((r) => r.role === role);
  const area = (s: Site) => shapeAreaM2(s.stores[0]!.shape);
  const roleSets = new Map<string, number>();
  for (const s of sites) {
    const key = [...new Set(s.receivers.map((r) => r.role))].sort().join('+');
    roleSets.set(key, (roleSets.get(key) ?? 0) + 1);
  }
  return {
    family,
    sites: sites.length,
    areaM2PerFloor: range(sites.map(area)),
    floors: range(sites.map((s) => s.stores[0]!.floors.length)),
    receivers: range(sites.map((s) => s.receivers.length)),
    receiversPer100M2: range(sites.map((s) => (100 * s.receivers.filter((r) => r.storeId !== undefined).length) / (area(s) * s.stores[0]!.floors.length))),
    entrances: range(sites.map((s) => s.stores[0]!.entrances.length)),
    shares: {
      noInside: share((s) => !has(s, 'inside')),
      noEntrance: share((s) => !has(s, 'entrance')),
      noOutside: share((s) => !has(s, 'storefront') && !has(s, 'corridor')),
      insideOutsideRolesOnly: share((s) => s.receivers.every((r) => r.role === 'inside' || r.role === 'corridor' || r.role === 'escalator')),
      doorsOnTwoWalls: share((s) => new Set(s.stores[0]!.entrances.map((e) => nearestEdge(s, e.at))).size >= 2),
      cutCorner: share((s) => 'polygon' in s.stores[0]!.shape),
      entranceCamera: share((s) => s.terminals.some((t) => t.kind === 'entrance_camera')),
      refLevelSpreadOver8Db: share((s) => {
        const refs = s.receivers.map((r) => r.calibration.refRssiAt1mDbm);
        return Math.max(...refs) - Math.min(...refs) >= 8;
      }),
    },
    roleSets: [...roleSets]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 5)
      .map(([roles, count]) => ({ roles, share: Math.round((count / n) * 1000) / 1000 })),
  };
}
