import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleSitePath, pointInShape, validateSite } from '@storesense/firmware-config';
import { siteVariant, VARIANT_KINDS } from './site-variants.js';

const boutique = JSON.parse(readFileSync(exampleSitePath('boutique'), 'utf8'));

describe('training-only site variants', () => {
  it.each(VARIANT_KINDS)('%s: a valid site, the same for the same seed, calibration redrawn', (kind) => {
    const a = siteVariant(boutique, kind, 5);
    expect(siteVariant(boutique, kind, 5)).toEqual(a);
    expect(siteVariant(boutique, kind, 6)).not.toEqual(a);
    expect(validateSite(a).ok).toBe(true);
    for (const r of a.receivers) {
      expect(r.calibration?.refRssiAt1mDbm).toBeGreaterThanOrEqual(-66);
      expect(r.calibration?.refRssiAt1mDbm).toBeLessThanOrEqual(-54);
    }
    const ids = new Set(a.receivers.map((r) => r.id));
    for (const g of a.gateways) for (const id of g.receivers) expect(ids.has(id)).toBe(true);
  });

  it('door-only keeps no receiver inside the footprint away from the door', () => {
    const v = siteVariant(boutique, 'door-only', 1);
    const store = v.stores[0]!;
    const inner = v.receivers.filter(
      (r) => pointInShape(r.position, store.shape) && !store.entrances.some((e) => Math.hypot(e.at.x - r.position.x, e.at.y - r.position.y) <= 4),
    );
    expect(inner).toEqual([]);
    expect(v.receivers.length).toBeGreaterThan(0);
  });
});
