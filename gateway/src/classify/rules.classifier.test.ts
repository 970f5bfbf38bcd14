import { describe, expect, it } from 'vitest';
import { Tracker } from '../tracking/tracker.js';
import { ble, boutiqueConfig, twoFloorConfig } from '../testing/fixtures.js';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES, MISSING_DBM } from './features.js';
import { RulesClassifier } from './rules.classifier.js';
import { siteContext } from './site-context.js';

function windowFor(rssi: Record<string, number>, now = 10_000, config = boutiqueConfig()) {
  const t = new Tracker();
  for (const [rx, dbm] of Object.entries(rssi)) t.observe(ble(now - 100, rx, 's', dbm));
  return computeFeatures(t.get('s')!, now, siteContext(config));
}

describe('features', () => {
  it('computes a fixed-length vector and keeps the role structure the rules use', () => {
    const w = windowFor({ 'rx-front': -70, 'rx-sales': -60 });
    expect(w.values).toHaveLength(FEATURE_COUNT);
    const get = (name: (typeof FEATURE_NAMES)[number]) => w.values[FEATURE_NAMES.indexOf(name)];
    expect(w.roleMaxDbm.storefront).toBe(-70);
    expect(w.roleMaxDbm.inside).toBe(-60);
    expect(w.roleMaxDbm.checkout).toBe(MISSING_DBM);
    expect(w.storeSideMaxDbm - w.outsideSideMaxDbm).toBe(10);
    expect(get('receiversHeard')).toBe(2);
    expect(get('inRxHeard')).toBe(1);
    expect(get('outRxHeard')).toBe(1);
    expect(w.zoneDbm.get('sales')).toEqual({ dbm: -60, floor: 0 });
  });

  it('ignores receivers not heard for FRESH_MS', () => {
    const w = windowFor({ 'rx-front': -70 }, 10_000);
    const later = computeFeatures(new Tracker().observe(ble(0, 'rx-front', 's', -70)), 10_000, siteContext(boutiqueConfig()));
    expect(w.receiversHeard).toBe(1);
    expect(later.receiversHeard).toBe(0);
  });
});

describe('RulesClassifier', () => {
  const c = new RulesClassifier({ approachRssiDbm: -85 });
  const one = (rssi: Record<string, number>, config = boutiqueConfig()) => c.classify([windowFor(rssi, 10_000, config)])[0]!;

  it('outside near the storefront', () => {
    const p = one({ 'rx-front': -65, 'rx-door': -82 });
    expect(p.outsideNear).toBeGreaterThan(0.9);
    expect(p.absent + p.outsideNear + p.inside).toBeCloseTo(1, 6);
  });

  it('inside, in the zone of the strongest zone receiver', () => {
    const p = one({ 'rx-front': -85, 'rx-sales': -60, 'rx-till': -75 });
    expect(p.inside).toBeGreaterThan(0.9);
    expect(p.zoneId).toBe('sales');
    expect(p.floor).toBe(0);
  });

  it('weak everywhere is absent', () => {
    expect(one({ 'rx-front': -100 }).absent).toBeGreaterThan(0.9);
  });

  it('picks the floor with the strongest store-side evidence', () => {
    const p = one({ 'rx-sales': -85, 'rx-up': -60 }, twoFloorConfig());
    expect(p.floor).toBe(1);
    expect(p.zoneId).toBe('upper');
  });

  it('gives finite probabilities on a site with no store-side role (a kiosk of corridor receivers)', () => {
    const base = boutiqueConfig();
    const config = { ...base, receivers: base.receivers.map((r) => ({ ...r, role: 'corridor' as const, zoneId: undefined })) };
    const p = one({ 'rx-front': -65, 'rx-door': -60 }, config);
    expect(p.absent + p.outsideNear + p.inside).toBeCloseTo(1, 6);
    expect(p.inside).toBe(0);
    expect(Array.from(windowFor({ 'rx-door': -60 }, 10_000, config).values).every(Number.isFinite)).toBe(true);
  });

  it('keeps batch order and length', () => {
    const ws = [windowFor({ 'rx-front': -60 }), windowFor({ 'rx-sales': -60 })];
    expect(c.classify(ws).map((p) => p.subject)).toEqual(['s', 's']);
    expect(c.classify([])).toEqual([]);
  });
});
