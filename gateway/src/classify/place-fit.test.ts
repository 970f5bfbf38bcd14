import { describe, expect, it } from 'vitest';
import type { GatewayConfig, Point } from '@storesense/firmware-config';
import { Tracker } from '../tracking/tracker.js';
import { ble, boutiqueConfig } from '../testing/fixtures.js';
import { computeFeatures, FEATURE_NAMES } from './features.js';
import { siteContext } from './site-context.js';

/** The level each receiver's own calibration predicts for a phone at `at` (no noise), plus `txDb`. */
function levels(config: GatewayConfig, at: Point, txDb = 0): Record<string, number> {
  return Object.fromEntries(
    config.receivers.map((r) => {
      const d = Math.max(0.5, Math.hypot(r.position.x - at.x, r.position.y - at.y));
      return [r.id, r.calibration.refRssiAt1mDbm - 10 * r.calibration.pathLossExponent * Math.log10(d) + txDb + r.calibration.rssiOffsetDb];
    }),
  );
}

function features(config: GatewayConfig, rssi: Record<string, number>, now = 10_000): Record<string, number> {
  const t = new Tracker({ rssiCorrectionDb: siteContext(config).rssiCorrectionDb });
  for (const [rx, dbm] of Object.entries(rssi)) t.observe(ble(now - 100, rx, 's', dbm));
  const w = computeFeatures(t.get('s')!, now, siteContext(config));
  return Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, w.values[i]!]));
}

/** The boutique fixture with every receiver's role replaced (roles must not matter to the model's features). */
const relabelled = (c: GatewayConfig): GatewayConfig => ({ ...c, receivers: c.receivers.map((r) => ({ ...r, role: 'corridor' as const })) });
/** Only the storefront and door receivers (a store without an inner receiver). */
const doorOnly = (c: GatewayConfig): GatewayConfig => ({ ...c, receivers: c.receivers.filter((r) => r.id === 'rx-front' || r.id === 'rx-door') });
/** Every receiver 6 dB hotter at 1 m and reporting 4 dB high, as the site file says. */
const hot = (c: GatewayConfig): GatewayConfig => ({
  ...c,
  receivers: c.receivers.map((r) => ({ ...r, calibration: { ...r.calibration, refRssiAt1mDbm: r.calibration.refRssiAt1mDbm + 6, rssiOffsetDb: 4 } })),
});

describe('role-free place features (features v4)', () => {
  const config = boutiqueConfig();
  const deepInside = { x: 7, y: 6 };
  const outside = { x: 5, y: -5 };

  it('the position fit puts a phone deep inside inside, and one 5 m in front of the door outside', () => {
    const a = features(config, levels(config, deepInside, -3));
    const b = features(config, levels(config, outside, 3));
    expect(a.fitInsideMass).toBeGreaterThan(0.8);
    expect(a.fitInOutMarginDb).toBeGreaterThan(1);
    expect(a.fitBestDepthM).toBeGreaterThan(0.5);
    expect(b.fitInsideMass).toBeLessThan(0.3);
    expect(b.fitInOutMarginDb).toBeLessThan(-1);
    expect(b.fitDepthM).toBeLessThan(-2);
    expect(b.fitBestDoorM).toBeLessThan(8);
  });

  it('holds with only the storefront and door receivers (no inner receiver)', () => {
    const c = doorOnly(config);
    const a = features(c, levels(c, { x: 5, y: 2.5 }));
    const b = features(c, levels(c, outside));
    expect(a.fitInsideMass).toBeGreaterThan(0.8);
    expect(a.fitInOutMarginDb).toBeGreaterThan(0.5);
    expect(a.fitBestDepthM).toBeGreaterThan(0);
    expect(b.fitInsideMass).toBeLessThan(0.5);
    expect(b.fitInOutMarginDb).toBeLessThan(-0.5);
    expect(b.fitBestDepthM).toBeLessThan(-2);
    expect(a.inRxHeard).toBe(1);
  });

  it('does not depend on receiver roles', () => {
    expect(features(relabelled(config), levels(config, deepInside))).toEqual(features(config, levels(config, deepInside)));
  });

  it('reads every receiver through its own calibration (a hot receiver is not a near one)', () => {
    const h = hot(config);
    const a = features(config, levels(config, deepInside));
    const b = features(h, levels(h, deepInside));
    for (const name of ['nearestLogDist', 'outMinusInLogDist', 'fitInsideMass', 'fitDepthM', 'doorMarginDb'] as const) expect(b[name]).toBeCloseTo(a[name]!, 4);
  });
});
