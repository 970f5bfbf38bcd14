import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleSitePath } from './paths.js';
import { loadSiteFile, parseSiteText, validateSite } from './site.loader.js';

/** A fresh, mutable copy of the boutique example. */
function boutiqueJson(): any {
  return JSON.parse(readFileSync(exampleSitePath('boutique'), 'utf8'));
}

describe('validateSite', () => {
  it('reports every cross-reference error at once, each with its exact path', () => {
    const site = boutiqueJson();
    site.stores[0].zones[3].floor = 7; // undeclared floor
    site.stores[0].zones[5].id = 'handbags'; // duplicate of zones[3]
    site.gateways[0].receivers.push('rx-ghost');
    site.terminals[0].storeId = 'no-such-store';
    const r = validateSite(site);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual(
      expect.arrayContaining([
        'stores[0].zones[3].floor: floor 7 is not declared in floors',
        'stores[0].zones[5].id: duplicate zone id "handbags" (first at stores[0].zones[3])',
        'gateways[0].receivers[5]: unknown receiver "rx-ghost"',
        'terminals[0].storeId: unknown store "no-such-store"',
      ]),
    );
    expect(r.error).toContain('gateways[0].receivers[5]');
  });

  it('reports type errors with paths', () => {
    const site = boutiqueJson();
    site.receivers[1].position.x = 'six';
    site.receivers[2].role = 'ceiling';
    delete site.version;
    const r = validateSite(site);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.some((i) => i.startsWith('receivers[1].position.x: '))).toBe(true);
    expect(r.issues.some((i) => i.startsWith('receivers[2].role: '))).toBe(true);
    expect(r.issues.some((i) => i.startsWith('version: '))).toBe(true);
  });

  it('explains a shape that is neither a rect nor a polygon, and details a near miss', () => {
    const site = boutiqueJson();
    site.stores[0].zones[0].shape = { circle: { r: 2 } };
    site.stores[0].zones[1].shape = { rect: { x: 0, y: 0, w: -4, h: 2 } };
    const r = validateSite(site);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      'stores[0].zones[0].shape: expected a shape: {rect: {x, y, w, h}} or {polygon: [{x, y}, ...]}',
      'stores[0].zones[1].shape.rect.w: Too small: expected number to be >0',
    ]);
  });

  it('reports type errors and dangling references in the same pass', () => {
    const site = boutiqueJson();
    site.receivers[2].role = 'ceiling'; // type error: zod skips refinements after this
    site.receivers[3].position = null;
    site.gateways[0].receivers.push('rx-ghost');
    site.stores[0].zones[4].floor = 3;
    site.stores[0].zones[5].floor = 'one'; // unreadable: no floor check, no crash
    const r = validateSite(site);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(
      r.issues.filter((i) => i.startsWith('receivers[2].role: ') || i.startsWith('receivers[3].position: ') || i.startsWith('stores[0].zones[5].floor: ')),
    ).toHaveLength(3);
    expect(r.issues).toContain('gateways[0].receivers[5]: unknown receiver "rx-ghost"');
    expect(r.issues).toContain('stores[0].zones[4].floor: floor 3 is not declared in floors');
    // The fitting-room receiver on an invalid zone floor is not double-reported.
    expect(new Set(r.issues).size).toBe(r.issues.length);
  });

  it('survives arbitrary JSON', () => {
    for (const json of [null, 42, 'site', [], {}, { floors: 'x', stores: [null, 1, { zones: 'y' }], gateways: [{ receivers: [1, null] }] }]) {
      const r = validateSite(json);
      expect(r.ok).toBe(false);
    }
  });

  it('rejects a device placed in a zone of another floor and terminal ids that shadow receivers', () => {
    const site = boutiqueJson();
    site.floors.push({ level: 1, name: 'Mezzanine' });
    site.receivers[2].floor = 1;
    site.terminals[0].id = 'rx-checkout';
    const r = validateSite(site);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toContain('receivers[2].zoneId: zone "silk-scarves" is on floor 0, not 1');
    expect(r.issues).toContain('terminals[0].id: terminal id "rx-checkout" is also a receiver id');
  });

  it('applies defaults', () => {
    const site = boutiqueJson();
    delete site.journey;
    delete site.receivers[0].calibration;
    const r = validateSite(site);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.journey.dwellThresholdMs).toBe(30_000);
    expect(r.value.receivers[0]!.calibration.refRssiAt1mDbm).toBe(-59);
  });
});

describe('loadSiteFile / parseSiteText', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-site-'));

  it('reports malformed JSON with line and column', () => {
    const r = parseSiteText('{\n  "version": 1,\n  "id": "x",\n}\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    expect(r.error).toMatch(/^malformed JSON: .*\(line 4, column 1\)$/);
  });

  it('reports a missing file without throwing', () => {
    const r = loadSiteFile(join(dir, 'nope.site.json'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/cannot read site file .*nope\.site\.json: ENOENT/);
  });

  it('accepts a file with a UTF-8 BOM', () => {
    const file = join(dir, 'bom.site.json');
    writeFileSync(file, `\uFEFF${readFileSync(exampleSitePath('boutique'), 'utf8')}`);
    expect(loadSiteFile(file).ok).toBe(true);
  });
});

describe('validateSite floors', () => {
  it('distinguishes an undeclared floor from a declared floor the store does not occupy', () => {
    const site = boutiqueJson();
    site.floors.push({ level: 1, name: 'Mezzanine' });
    site.stores[0].zones[1].floor = 1;
    site.stores[0].entrances[0].floor = 3;
    const r = validateSite(site);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      'stores[0].entrances[0].floor: floor 3 is not declared in floors',
      "stores[0].zones[1].floor: zone floor 1 is not one of the store's floors",
    ]);
  });
});
