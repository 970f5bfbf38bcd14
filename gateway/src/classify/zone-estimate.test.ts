import { describe, expect, it } from 'vitest';
import { exampleSitePath, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { Tracker } from '../tracking/tracker.js';
import { computeFeatures } from './features.js';
import { siteContext } from './site-context.js';
import { estimateZone } from './zone-estimate.js';

const site = loadSiteFile(exampleSitePath('dept-store'));
if (!site.ok) throw new Error(site.error);
const config = renderGatewayConfig(site.value, 'gw-dept-1');
const ctx = siteContext(config);

/** Readings the calibrated model predicts at `p` on floor 0, shifted by a phone's offset. */
function windowAt(p: { x: number; y: number }, phoneOffsetDb: number) {
  const t = new Tracker({ rssiCorrectionDb: ctx.rssiCorrectionDb });
  for (const r of config.receivers.filter((x) => x.floor === 0)) {
    const d = Math.max(0.5, Math.hypot(r.position.x - p.x, r.position.y - p.y));
    const dbm = r.calibration.refRssiAt1mDbm - 10 * r.calibration.pathLossExponent * Math.log10(d) + phoneOffsetDb + r.calibration.rssiOffsetDb;
    if (dbm > -95) t.observe({ v: 1, at: 1_000, source: 'ble', receiverId: r.id, subject: 's', rssiDbm: Math.round(dbm) });
  }
  return computeFeatures(t.get('s')!, 1_000, ctx);
}

describe('estimateZone (model matching over zone grids)', () => {
  it('reaches a zone with no receiver of its own, across phone transmit offsets', () => {
    // (At -8 dB the far receivers drop below sensitivity and the layout's left/right symmetry wins.)
    for (const offset of [-3, 0, 6]) expect(estimateZone(windowAt({ x: 24, y: 10 }, offset), 0, ctx).zoneId).toBe('accessories');
  });

  it('finds zones that have receivers', () => {
    expect(estimateZone(windowAt({ x: 6, y: 6 }, -3), 0, ctx).zoneId).toBe('cosmetics');
    expect(estimateZone(windowAt({ x: 43, y: 28 }, 0), 0, ctx).zoneId).toBe('checkout-0');
  });

  it('falls back to the strongest zone receiver without a floor or with one receiver', () => {
    const w = windowAt({ x: 6, y: 6 }, 0);
    expect(estimateZone(w, undefined, ctx).zoneId).toBe('cosmetics');
  });
});
