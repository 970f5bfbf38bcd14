import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SITES, exampleSitePath, HELD_OUT_SITES } from './paths.js';
import { validateSite } from './site.loader.js';
import { distanceToEdgeM, findUnknownKeys, lintSite } from './site.lint.js';
import type { Site } from './site.schema.js';

function raw(name: (typeof EXAMPLE_SITES)[number] | (typeof HELD_OUT_SITES)[number]): any {
  return JSON.parse(readFileSync(exampleSitePath(name), 'utf8'));
}
function valid(json: unknown): Site {
  const r = validateSite(json);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('findUnknownKeys', () => {
  it.each([...EXAMPLE_SITES, ...HELD_OUT_SITES])('%s has none', (name) => {
    expect(findUnknownKeys(raw(name))).toEqual([]);
  });

  it('finds misspelt keys at any depth, through defaults, arrays and shape unions', () => {
    const json = raw('boutique');
    json.jounrey = {};
    json.stores[0].zones[2].dwelThresholdMs = 10_000;
    json.stores[0].zones[1].shape.rect.depth = 2;
    json.receivers[4].calibration.offsetDb = 3;
    json.gateways[0].tick = 100;
    expect(validateSite(json).ok).toBe(true); // zod strips them silently: hence the warnings
    expect(findUnknownKeys(json).sort()).toEqual(
      [
        'gateways[0].tick: unknown key (ignored)',
        'jounrey: unknown key (ignored)',
        'receivers[4].calibration.offsetDb: unknown key (ignored)',
        'stores[0].zones[1].shape.rect.depth: unknown key (ignored)',
        'stores[0].zones[2].dwelThresholdMs: unknown key (ignored)',
      ].sort(),
    );
  });

  it('does not crash on values of the wrong type', () => {
    expect(findUnknownKeys(null)).toEqual([]);
    expect(findUnknownKeys({ stores: 'x', receivers: [1, null, { id: 'r', bogus: 1 }] })).toEqual(['receivers[2].bogus: unknown key (ignored)']);
  });
});

describe('lintSite', () => {
  it.each([...EXAMPLE_SITES, ...HELD_OUT_SITES])('%s is clean', (name) => {
    expect(lintSite(valid(raw(name)))).toEqual([]);
  });

  it('flags geometry and wiring slips with paths', () => {
    const json = raw('boutique');
    json.stores[0].entrances[0].at = { x: 6, y: 3 }; // 3 m inside, off the wall
    json.stores[0].zones[2].shape = { rect: { x: -1, y: 2, w: 7, h: 5 } }; // pokes out west
    json.receivers[0].position = { x: 6, y: 4 }; // storefront inside the shop
    json.receivers[3].position = { x: 9, y: 12 }; // inside receiver outside the shop
    json.receivers[3].zoneId = undefined;
    json.terminals[0].position = { x: 13, y: 9 };
    json.gateways[0].receivers = json.gateways[0].receivers.filter((r: string) => r !== 'rx-checkout');
    json.gateways[0].terminals = [];
    expect(lintSite(valid(json))).toEqual([
      'stores[0].entrances[0].at: entrance is 3.0 m from the store footprint edge',
      'stores[0].zones[2].shape: zone "silk-scarves" extends outside the footprint of store "boutique"',
      'receivers[0].position: a storefront receiver should be outside every store',
      'receivers[3].position: an inside receiver should be inside store "boutique" on floor 0',
      'terminals[0].position: terminal is outside store "boutique" on floor 0',
      'receivers[4]: receiver "rx-checkout" is not listed by any gateway',
      'terminals[0]: terminal "pos-1" is not listed by any gateway',
    ]);
  });

  it("flags a store gateway listening to another store's devices", () => {
    const json = raw('boutique');
    json.stores.push({
      id: 'cafe',
      name: 'Cafe',
      floors: [0],
      shape: { rect: { x: 14, y: 0, w: 6, h: 6 } },
      entrances: [{ id: 'door', floor: 0, at: { x: 17, y: 0 } }],
    });
    json.receivers.push({ id: 'rx-cafe', role: 'inside', floor: 0, position: { x: 17, y: 3 }, storeId: 'cafe' });
    json.gateways[0].receivers.push('rx-cafe');
    expect(lintSite(valid(json))).toEqual(['gateways[0].receivers[5]: receiver "rx-cafe" belongs to store "cafe", not "boutique"']);
  });

  it('measures distance to a shape edge', () => {
    const rect = { rect: { x: 0, y: 0, w: 4, h: 2 } };
    expect(distanceToEdgeM({ x: 2, y: 0 }, rect)).toBe(0);
    expect(distanceToEdgeM({ x: 2, y: 1 }, rect)).toBe(1);
    expect(distanceToEdgeM({ x: 7, y: 6 }, rect)).toBe(5);
  });
});
