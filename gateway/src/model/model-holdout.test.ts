import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleSitePath } from '@storesense/firmware-config';
import { assertNotHeldOut, HELD_OUT_FAMILIES, heldOutFamilyOf } from './model-holdout.js';
import { randomSiteFiles } from './random-sites.js';

describe('held-out sites and families', () => {
  it('recognises random-site ids and file names of a held-out family, and nothing else', () => {
    for (const f of HELD_OUT_FAMILIES) {
      expect(heldOutFamilyOf(`rnd-${f}-17`)).toBe(f);
      expect(heldOutFamilyOf(`rnd-${f}-17.site.json`)).toBe(f);
      expect(heldOutFamilyOf(f)).toBe(f);
    }
    expect(heldOutFamilyOf('rnd-kiosk-3')).toBeUndefined();
    // The example boutique is a training site, not of the boutique family.
    expect(heldOutFamilyOf('boutique.site.json')).toBeUndefined();
    expect(heldOutFamilyOf('mall-bj-01')).toBeUndefined();
  });

  it('refuses the held-out example site and held-out family files, accepts training sites', () => {
    expect(() => assertNotHeldOut(exampleSitePath('sports-store'))).toThrow(/HELD_OUT_SITES/);
    expect(() => assertNotHeldOut(exampleSitePath('boutique'))).not.toThrow();
    const dir = mkdtempSync(join(tmpdir(), 'holdout-'));
    const renamed = join(dir, 'my-site.site.json');
    writeFileSync(renamed, JSON.stringify({ id: `rnd-${HELD_OUT_FAMILIES[0]}-4` }));
    expect(() => assertNotHeldOut(renamed)).toThrow(/HELD_OUT_FAMILIES/);
    expect(() => randomSiteFiles(dir, [HELD_OUT_FAMILIES[1]], [1])).toThrow(/held out/);
  });
});
