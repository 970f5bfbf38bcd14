import { shapeAreaM2, shapeBounds, type ZoneKind } from '@storesense/firmware-config';
import { MISSING_DBM, type FeatureWindow } from './features.js';
import type { SiteContext } from './site-context.js';
import { floorGrid, gridResiduals, type FloorGrid } from './zone-estimate.js';

/**
 * Per-(subject, candidate zone) features for the learned zone model. Site-relative: each row
 * describes one of the store's zones on the subject's estimated floor by how well the radio
 * evidence fits a position in it (the log-distance model of zone-estimate.ts, every receiver's own
 * calibration), by its own receivers and by its geometry and kind, never by zone or receiver ids,
 * so one model scores zones of sites it never saw. The model scores every candidate; the zone is
 * the best-scored one (scores normalised over the subject's candidates give its confidence).
 * Changing this list changes the model input: bump ZONE_FEATURES_VERSION and retrain.
 */
const KIND_FLAGS: readonly ZoneKind[] = ['entrance', 'checkout', 'fitting', 'escalator', 'window'];
export const ZONE_FEATURE_NAMES = [
  'slowRmsDb',
  'slowRmsRelDb',
  'fastRmsRelDb',
  'slowPosteriorLog',
  'fastPosteriorLog',
  'slowTop8Share',
  'zoneRxFastRelDb',
  'zoneHasRx',
  'strongestRxDistM',
  'logAreaM2',
  ...KIND_FLAGS.map((k) => `kind_${k}`),
  'receiversUsed',
  'candidates',
] as const;
export const ZONE_FEATURES_VERSION = '1';
export const ZONE_FEATURE_COUNT = ZONE_FEATURE_NAMES.length;

/** The candidate zones of one subject at one tick, one feature row per zone (row-major). */
export interface ZoneCandidates {
  zoneIds: string[];
  values: Float32Array;
}

/** Residual spread (dB) of the soft position vote: a point's weight is exp(−SSE / (2σ²)). */
const VOTE_SIGMA_DB = 4;
const TOP_K = 8;

interface Fit {
  /** Per zone: the smallest mean squared residual of its points. */
  minMse: Map<string, number>;
  /** Per zone: its share of the soft vote over all points. */
  posterior: Map<string, number>;
  /** Per zone: its share of the TOP_K best points. */
  topShare: Map<string, number>;
  used: number;
}

/** Per grid: each point's zone as a small integer, so fit() accumulates in arrays, not string maps. */
const zoneIndexes = new WeakMap<FloorGrid, { ofPoint: Int32Array; names: string[] }>();

function zoneIndex(grid: FloorGrid): { ofPoint: Int32Array; names: string[] } {
  let zi = zoneIndexes.get(grid);
  if (!zi) {
    const names: string[] = [];
    const byName = new Map<string, number>();
    const ofPoint = new Int32Array(grid.zoneIds.length);
    grid.zoneIds.forEach((z, p) => {
      let i = byName.get(z);
      if (i === undefined) byName.set(z, (i = names.push(z) - 1));
      ofPoint[p] = i;
    });
    zoneIndexes.set(grid, (zi = { ofPoint, names }));
  }
  return zi;
}

// Runs twice per subject per tick (slow and fast windows) over every grid point, so it is the
// classifier's hot loop (bench/src/classifier-inference.bench.ts): typed arrays indexed by zone and
// a top-K insertion buffer instead of string-keyed maps and a full sort. Same sums in the same
// order as the straightforward version, so the features (and the model's outputs) are unchanged.
function fit(grid: FloorGrid, obsMap: ReadonlyMap<string, number>): Fit | undefined {
  const residuals = gridResiduals(grid, obsMap);
  if (!residuals) return undefined;
  const { sse, n, bestSse: best } = residuals;
  const points = grid.points.length;
  const { ofPoint, names } = zoneIndex(grid);
  const zones = names.length;
  const minMse = new Float64Array(zones).fill(Number.POSITIVE_INFINITY);
  const weight = new Float64Array(zones);
  const seen = new Uint8Array(zones);
  const k = Math.min(TOP_K, points);
  // The k best points by SSE, ties to the earlier point (what a stable sort by (sse, index) gives).
  const topP = new Int32Array(k);
  const topSse = new Float64Array(k);
  let topN = 0;
  let total = 0;
  const twoSigma2 = 2 * VOTE_SIGMA_DB * VOTE_SIGMA_DB;
  for (let p = 0; p < points; p++) {
    const z = ofPoint[p]!;
    const e = sse[p]!;
    const mse = e / n;
    seen[z] = 1;
    if (mse < minMse[z]!) minMse[z] = mse;
    // Relative to the best point, so the exponent never underflows for the winner.
    const wgt = Math.exp(-(e - best) / twoSigma2);
    weight[z] = weight[z]! + wgt;
    total += wgt;
    if (topN < k || e < topSse[topN - 1]!) {
      let j = topN < k ? topN++ : k - 1;
      while (j > 0 && topSse[j - 1]! > e) {
        topSse[j] = topSse[j - 1]!;
        topP[j] = topP[j - 1]!;
        j--;
      }
      topSse[j] = e;
      topP[j] = p;
    }
  }
  const minMseMap = new Map<string, number>();
  const posterior = new Map<string, number>();
  for (let z = 0; z < zones; z++) {
    if (!seen[z]) continue;
    minMseMap.set(names[z]!, minMse[z]!);
    posterior.set(names[z]!, weight[z]! / total);
  }
  const topShare = new Map<string, number>();
  for (let i = 0; i < topN; i++) {
    const z = names[ofPoint[topP[i]!]!]!;
    topShare.set(z, (topShare.get(z) ?? 0) + 1 / k);
  }
  return { minMse: minMseMap, posterior, topShare, used: n };
}

/**
 * The candidate rows for `w` on `floor` (the store's zones there), or undefined when the position
 * cannot be fitted (unknown floor, no zones, fewer than two store-side receivers on that floor):
 * callers then fall back to estimateZone. Deterministic; training and inference both call it.
 */
export function zoneCandidates(w: FeatureWindow, floor: number | undefined, ctx: SiteContext): ZoneCandidates | undefined {
  if (floor === undefined) return undefined;
  const grid = floorGrid(ctx, floor);
  const zones = ctx.storeZonesByFloor.get(floor);
  if (!grid || !zones || grid.points.length === 0) return undefined;
  const slow = fit(grid, w.storeSideDbm);
  const fast = fit(grid, w.storeSideFastDbm);
  if (!slow || !fast) return undefined;
  const rms = (f: Fit, z: string) => Math.sqrt(f.minMse.get(z) ?? 400);
  const zoneIds = zones.map((z) => z.id).filter((id) => slow.minMse.has(id));
  if (zoneIds.length === 0) return undefined;
  const bestSlow = Math.min(...zoneIds.map((z) => rms(slow, z)));
  const bestFast = Math.min(...zoneIds.map((z) => rms(fast, z)));
  // The strongest fresh store-side receiver on this floor (fast EWMA) and the level of each zone's own receivers.
  let strongestId: string | undefined;
  let strongest = MISSING_DBM;
  const zoneRx = new Map<string, number>();
  const zoneHasRx = new Set<string>();
  for (const r of ctx.receivers.values()) if (r.storeSide && r.floor === floor && r.zoneId !== undefined) zoneHasRx.add(r.zoneId);
  for (const [rxId, dbm] of w.storeSideFastDbm) {
    const info = ctx.receivers.get(rxId);
    if (!info || info.floor !== floor) continue;
    if (dbm > strongest) {
      strongest = dbm;
      strongestId = rxId;
    }
    if (info.zoneId !== undefined) zoneRx.set(info.zoneId, Math.max(zoneRx.get(info.zoneId) ?? MISSING_DBM, dbm));
  }
  const strongestAt = strongestId === undefined ? undefined : ctx.receivers.get(strongestId)?.position;
  const byId = new Map(zones.map((z) => [z.id, z]));
  const values = new Float32Array(zoneIds.length * ZONE_FEATURE_COUNT);
  zoneIds.forEach((id, row) => {
    const z = byId.get(id)!;
    const b = shapeBounds(z.shape);
    let distM = 0;
    if (strongestAt) {
      const dx = Math.max(b.minX - strongestAt.x, 0, strongestAt.x - b.maxX);
      const dy = Math.max(b.minY - strongestAt.y, 0, strongestAt.y - b.maxY);
      distM = Math.hypot(dx, dy);
    }
    const own = zoneRx.get(id);
    let i = row * ZONE_FEATURE_COUNT;
    values[i++] = Math.min(20, rms(slow, id));
    values[i++] = Math.min(20, rms(slow, id) - bestSlow);
    values[i++] = Math.min(20, rms(fast, id) - bestFast);
    values[i++] = Math.log(Math.max(1e-4, slow.posterior.get(id) ?? 0));
    values[i++] = Math.log(Math.max(1e-4, fast.posterior.get(id) ?? 0));
    values[i++] = slow.topShare.get(id) ?? 0;
    values[i++] = own === undefined ? -30 : Math.max(-30, own - strongest);
    values[i++] = zoneHasRx.has(id) ? 1 : 0;
    values[i++] = Math.min(40, distM);
    values[i++] = Math.log(Math.max(1, shapeAreaM2(z.shape)));
    for (const k of KIND_FLAGS) values[i++] = z.kind === k ? 1 : 0;
    values[i++] = slow.used;
    values[i++] = zoneIds.length;
  });
  return { zoneIds, values };
}
