import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SITES, exampleSitePath, HELD_OUT_SITES, siteJsonSchemaPath } from './paths.js';
import { loadSiteFile } from './site.loader.js';
import { siteJsonSchemaText } from './site.json-schema.js';
import { zoneAt } from './geometry.js';

/** Training sites plus the held-out one: all ship, all must be valid and lint-clean. */
const ALL_SITES = [...EXAMPLE_SITES, ...HELD_OUT_SITES];

describe('example sites', () => {
  it.each(ALL_SITES)('%s validates', (name) => {
    const r = loadSiteFile(exampleSitePath(name));
    if (!r.ok) throw new Error(r.issues.join('\n'));
    expect(r.value.gateways.length).toBe(1);
  });

  it('every receiver and terminal of the examples sits on a declared zone of its own floor', () => {
    for (const name of ALL_SITES) {
      const r = loadSiteFile(exampleSitePath(name));
      if (!r.ok) throw new Error(r.issues.join('\n'));
      for (const d of [...r.value.receivers, ...r.value.terminals]) {
        if (d.zoneId === undefined) continue;
        const all = [...r.value.areas, ...r.value.stores.flatMap((s) => s.zones)];
        const zone = all.find((z) => z.id === d.zoneId);
        expect(zone?.floor, `${name} ${d.id}`).toBe(d.floor);
        expect(zoneAt(r.value, d.floor, d.position)?.id, `${name} ${d.id}`).toBe(d.zoneId);
      }
    }
  });

  it('dept-store has three floors, an escalator zone and receiver on each, and two POS', () => {
    const r = loadSiteFile(exampleSitePath('dept-store'));
    if (!r.ok) throw new Error(r.issues.join('\n'));
    const site = r.value;
    expect(site.id).toBe('mall-sh-01');
    expect(site.floors.map((f) => f.level)).toEqual([0, 1, 2]);
    const store = site.stores.find((s) => s.id === 'dept-store')!;
    for (const level of [0, 1, 2]) {
      expect(store.zones.some((z) => z.floor === level && z.kind === 'escalator')).toBe(true);
      expect(site.receivers.some((x) => x.floor === level && x.role === 'escalator')).toBe(true);
    }
    expect(site.terminals.filter((t) => t.kind === 'pos')).toHaveLength(2);
    expect(site.terminals.filter((t) => t.kind === 'entrance_camera')).toHaveLength(1);
    expect(site.receivers.filter((x) => x.role === 'corridor')).toHaveLength(1);
    expect(site.gateways[0]!.id).toBe('gw-dept-1');
  });

  it('sports-store (held out of training) differs from the training sites: two floors, west-wall door, no camera', () => {
    expect(EXAMPLE_SITES as readonly string[]).not.toContain('sports-store');
    const r = loadSiteFile(exampleSitePath('sports-store'));
    if (!r.ok) throw new Error(r.issues.join('\n'));
    const site = r.value;
    expect(site.floors.map((f) => f.level)).toEqual([0, 1]);
    const store = site.stores[0]!;
    expect(store.entrances).toHaveLength(1);
    expect(store.entrances[0]!.at.x).toBe(0); // door on the west wall, corridor running north-south
    for (const level of [0, 1]) expect(site.receivers.some((x) => x.floor === level && x.role === 'escalator')).toBe(true);
    expect(store.zones.filter((z) => z.kind === 'window')).toHaveLength(2);
    expect(site.terminals.map((t) => t.kind)).toEqual(['pos']);
    expect(site.gateways[0]!.receivers).toHaveLength(12);
  });

  it('site.schema.json is up to date (regenerate: storesense-site schema --out firmware-config/site.schema.json)', () => {
    expect(readFileSync(siteJsonSchemaPath, 'utf8')).toBe(siteJsonSchemaText());
  });

  it('site files point their $schema at the generated schema', () => {
    for (const name of ALL_SITES) {
      const json = JSON.parse(readFileSync(exampleSitePath(name), 'utf8')) as { $schema?: string };
      expect(json.$schema).toBe('../site.schema.json');
    }
  });
});

describe('site.schema.json', () => {
  it('requires what has no default and leaves defaulted fields optional (editor completion)', () => {
    const schema = JSON.parse(readFileSync(siteJsonSchemaPath, 'utf8')) as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'id', 'name', 'floors', 'stores', 'receivers', 'gateways']));
    expect(schema.required).not.toContain('journey');
    expect(schema.required).not.toContain('areas');
    expect(Object.keys(schema.properties)).toContain('$schema');
  });
});
