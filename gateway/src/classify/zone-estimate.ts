import { pointInShape, type Point } from '@storesense/firmware-config';
import type { FeatureWindow } from './features.js';
import type { SiteContext } from './site-context.js';

export interface ZoneEstimate {
  zoneId: string | undefined;
  confidence: number;
  /** Estimated position on the floor (metres, site frame), when one could be made. */
  position: Point | undefined;
}

/** Receivers used for the weighted centroid. */
const TOP_K = 4;

/**
 * Where in the store the subject is, on `floor`: a weighted centroid of the strongest store-side
 * receivers on that floor, each weighted by 1/d² with d the distance its calibration predicts
 * for the smoothed RSSI (log-distance model), then the store zone containing that point. This
 * reaches zones that have no receiver of their own (fitting rooms, jewellery counters), which
 * "zone of the strongest receiver" never can. Falls back to the strongest zone receiver when the
 * point lies in no zone. Deterministic and shared by every classifier.
 */
export function estimateZone(w: FeatureWindow, floor: number | undefined, ctx: SiteContext): ZoneEstimate {
  if (floor === undefined) return strongestZone(w, floor);
  const heard: { x: number; y: number; d: number }[] = [];
  for (const [rxId, dbm] of w.storeSideDbm) {
    const r = ctx.receivers.get(rxId);
    if (!r || r.floor !== floor) continue;
    const d = Math.max(0.5, 10 ** ((r.refRssiAt1mDbm - dbm) / (10 * r.pathLossExponent)));
    heard.push({ x: r.position.x, y: r.position.y, d });
  }
  heard.sort((a, b) => a.d - b.d);
  const top = heard.slice(0, TOP_K);
  if (top.length === 0) return strongestZone(w, floor);
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (const h of top) {
    const wt = 1 / (h.d * h.d);
    sw += wt;
    sx += wt * h.x;
    sy += wt * h.y;
  }
  const position = { x: sx / sw, y: sy / sw };
  const zone = (ctx.storeZonesByFloor.get(floor) ?? []).find((z) => pointInShape(position, z.shape));
  if (zone) return { zoneId: zone.id, confidence: top.length >= 2 ? 0.7 : 0.5, position };
  return { ...strongestZone(w, floor), position };
}

function strongestZone(w: FeatureWindow, floor: number | undefined): ZoneEstimate {
  let best: string | undefined;
  let bestDbm = Number.NEGATIVE_INFINITY;
  for (const [zoneId, z] of w.zoneDbm) {
    if (floor !== undefined && z.floor !== floor) continue;
    if (z.dbm > bestDbm) {
      bestDbm = z.dbm;
      best = zoneId;
    }
  }
  return { zoneId: best, confidence: best === undefined ? 0 : 0.5, position: undefined };
}
