import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shapeEdges, storeWallAttenuationsDb } from './geometry.js';
import { exampleSitePath } from './paths.js';
import { validateSite } from './site.loader.js';

/** A fresh, mutable copy of the boutique example. */
function boutiqueJson(): any {
  return JSON.parse(readFileSync(exampleSitePath('boutique'), 'utf8'));
}

describe('store wallAttenuationDb', () => {
  it('accepts one number for every edge, 0 included (an open storefront or kiosk)', () => {
    for (const w of [0, 3, 12.5]) {
      const site = boutiqueJson();
      site.stores[0].wallAttenuationDb = w;
      const r = validateSite(site);
      expect(r.ok).toBe(true);
      if (r.ok) expect(storeWallAttenuationsDb(r.value.stores[0]!, 3)).toEqual([w, w, w, w]);
    }
  });

  it('accepts one value per edge in polygon order: a rect is south, east, north, west', () => {
    const site = boutiqueJson();
    site.stores[0].wallAttenuationDb = [0, 8, 8, 8];
    const r = validateSite(site);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const store = r.value.stores[0]!;
    const edges = shapeEdges(store.shape);
    expect(edges[0]).toEqual({ a: { x: 0, y: 0 }, b: { x: 12, y: 0 } }); // south, the corridor side
    expect(edges[1]).toEqual({ a: { x: 12, y: 0 }, b: { x: 12, y: 10 } }); // east
    expect(storeWallAttenuationsDb(store, 3)).toEqual([0, 8, 8, 8]);
    expect(storeWallAttenuationsDb({ ...store, wallAttenuationDb: undefined }, 3)).toEqual([3, 3, 3, 3]);
  });

  it('matches a polygon footprint edge for edge', () => {
    const site = boutiqueJson();
    site.stores[0].shape = {
      polygon: [
        { x: 0, y: 0 },
        { x: 12, y: 0 },
        { x: 12, y: 10 },
        { x: 6, y: 12 },
        { x: 0, y: 10 },
      ],
    };
    site.stores[0].wallAttenuationDb = [0, 1, 2, 3, 4];
    expect(validateSite(site).ok).toBe(true);
    site.stores[0].wallAttenuationDb = [0, 1, 2, 3];
    const r = validateSite(site);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues).toContain(
        'stores[0].wallAttenuationDb: 4 values for a footprint of 5 edges: give one per edge in polygon order (rect edges: south, east, north, west), or one number for all',
      );
  });

  it('reports a wrong count, a negative loss and a wrong type with their paths, together with other errors', () => {
    const site = boutiqueJson();
    site.stores[0].wallAttenuationDb = [3, 3, 3];
    site.gateways[0].receivers.push('rx-ghost');
    let r = validateSite(site);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toContain(
        'stores[0].wallAttenuationDb: 3 values for a footprint of 4 edges: give one per edge in polygon order (rect edges: south, east, north, west), or one number for all',
      );
      expect(r.issues.some((i) => i.startsWith('gateways[0].receivers[5]: '))).toBe(true);
    }
    site.stores[0].wallAttenuationDb = [3, -1, 3, 3];
    r = validateSite(site);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.some((i) => i.startsWith('stores[0].wallAttenuationDb'))).toBe(true);
    site.stores[0].wallAttenuationDb = 'glass';
    r = validateSite(site);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.some((i) => i.startsWith('stores[0].wallAttenuationDb: '))).toBe(true);
  });
});
