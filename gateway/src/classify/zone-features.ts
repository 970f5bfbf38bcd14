import { shapeAreaM2, shapeBounds, type Zone, type ZoneKind } from '@storesense/firmware-config';
import { MISSING_DBM, type FeatureWindow } from './features.js';
import type { SiteContext } from './site-context.js';
import { floorGrid, gridResidualsInto, type FloorGrid } from './zone-estimate.js';

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
  /** The floor's candidate zones in site order (shared by every result on that floor: do not mutate). */
  zoneIds: readonly string[];
  values: Float32Array;
}

/** Residual spread (dB) of the soft position vote: a point's weight is exp(−SSE / (2σ²)). */
const VOTE_SIGMA_DB = 4;
const TOP_K = 8;

/** One fit's per-zone results, in scratch arrays indexed by the grid's zone slot. */
interface FitScratch {
  /** Per zone: the smallest mean squared residual of its points. */
  minMse: Float64Array;
  /** Per zone: its summed vote weight (its share of the soft vote is weight / total). */
  weight: Float64Array;
  /** Per zone: how many of the TOP_K best points are its. */
  topCount: Int32Array;
  topP: Int32Array;
  topSse: Float64Array;
  total: number;
  used: number;
}

/**
 * What zoneCandidates needs of one floor that does not depend on the subject, computed once per
 * grid (decision 52): each point's zone as a small integer (slot), the candidate rows (the floor's
 * zones that have points, in site order) with their bounds, area, kind and "has a receiver" flags,
 * the floor's receivers with the row of their zone, and scratch buffers for the two fits.
 */
interface FloorLayout {
  ofPoint: Int32Array;
  slots: number;
  rowIds: string[];
  rowSlot: Int32Array;
  rowBounds: Float64Array;
  rowLogArea: Float64Array;
  rowKind: Int32Array;
  rowHasRx: Uint8Array;
  /** Per receiver on this floor: its zone's row (-1: none) and position. */
  receivers: Map<string, { row: number; x: number; y: number }>;
  sse: Float64Array;
  offset: Float64Array;
  slow: FitScratch;
  fast: FitScratch;
  /** topShare[c]: c additions of 1/k, in order (what summing 1/k per top point gives). */
  topShare: Float64Array;
  own: Float64Array;
  hasOwn: Uint8Array;
}

const layouts = new WeakMap<FloorGrid, FloorLayout>();

function fitScratch(slots: number, k: number): FitScratch {
  return {
    minMse: new Float64Array(slots),
    weight: new Float64Array(slots),
    topCount: new Int32Array(slots),
    topP: new Int32Array(k),
    topSse: new Float64Array(k),
    total: 0,
    used: 0,
  };
}

function layoutOf(grid: FloorGrid, floor: number, zones: readonly Zone[], ctx: SiteContext): FloorLayout {
  let l = layouts.get(grid);
  if (l) return l;
  const names: string[] = [];
  const slotOf = new Map<string, number>();
  const ofPoint = new Int32Array(grid.zoneIds.length);
  grid.zoneIds.forEach((z, p) => {
    let i = slotOf.get(z);
    if (i === undefined) slotOf.set(z, (i = names.push(z) - 1));
    ofPoint[p] = i;
  });
  const rowZones = zones.filter((z) => slotOf.has(z.id));
  const rowOf = new Map(rowZones.map((z, row) => [z.id, row]));
  const hasRx = new Set<string>();
  for (const r of ctx.receivers.values()) if (r.storeSide && r.floor === floor && r.zoneId !== undefined) hasRx.add(r.zoneId);
  const receivers = new Map<string, { row: number; x: number; y: number }>();
  for (const r of ctx.receivers.values())
    if (r.floor === floor) receivers.set(r.id, { row: r.zoneId === undefined ? -1 : (rowOf.get(r.zoneId) ?? -1), x: r.position.x, y: r.position.y });
  const k = Math.min(TOP_K, grid.points.length);
  const topShare = new Float64Array(k + 1);
  for (let c = 1; c <= k; c++) topShare[c] = topShare[c - 1]! + 1 / k;
  const rows = rowZones.length;
  l = {
    ofPoint,
    slots: names.length,
    rowIds: rowZones.map((z) => z.id),
    rowSlot: Int32Array.from(rowZones, (z) => slotOf.get(z.id)!),
    rowBounds: Float64Array.from(
      rowZones.flatMap((z) => {
        const b = shapeBounds(z.shape);
        return [b.minX, b.maxX, b.minY, b.maxY];
      }),
    ),
    rowLogArea: Float64Array.from(rowZones, (z) => Math.log(Math.max(1, shapeAreaM2(z.shape)))),
    rowKind: Int32Array.from(rowZones, (z) => KIND_FLAGS.indexOf(z.kind as ZoneKind)),
    rowHasRx: Uint8Array.from(rowZones, (z) => (hasRx.has(z.id) ? 1 : 0)),
    receivers,
    sse: new Float64Array(grid.points.length),
    offset: new Float64Array(grid.points.length),
    slow: fitScratch(names.length, k),
    fast: fitScratch(names.length, k),
    topShare,
    own: new Float64Array(rows),
    hasOwn: new Uint8Array(rows),
  };
  layouts.set(grid, l);
  return l;
}

// Runs twice per subject per tick (slow and fast windows) over every grid point, so it is the
// classifier's hot loop (bench/src/classifier-inference.bench.ts): typed arrays indexed by zone and
// a top-K insertion buffer instead of string-keyed maps and a full sort, scratch buffers per floor
// instead of allocations. Same sums in the same order as the straightforward version, so the
// features (and the model's outputs) are unchanged (zone-features.reference.test.ts).
function fit(grid: FloorGrid, l: FloorLayout, obsMap: ReadonlyMap<string, number>, out: FitScratch): boolean {
  const residuals = gridResidualsInto(grid, obsMap, l.sse, l.offset);
  if (!residuals) return false;
  const { n, bestSse: best } = residuals;
  const sse = l.sse;
  const points = grid.points.length;
  const ofPoint = l.ofPoint;
  const { minMse, weight, topP, topSse, topCount } = out;
  minMse.fill(Number.POSITIVE_INFINITY);
  weight.fill(0);
  topCount.fill(0);
  const k = topP.length;
  // The k best points by SSE, ties to the earlier point (what a stable sort by (sse, index) gives).
  let topN = 0;
  let total = 0;
  // x / 32 and x * (1 / 32) are the same double (a power of two), and -(e - best) is best - e.
  const invTwoSigma2 = 1 / (2 * VOTE_SIGMA_DB * VOTE_SIGMA_DB);
  for (let p = 0; p < points; p++) {
    const z = ofPoint[p]!;
    const e = sse[p]!;
    // The smallest SSE per zone; divided by n once below (division by n > 0 is monotone, so the
    // smallest quotient is the quotient of the smallest SSE).
    if (e < minMse[z]!) minMse[z] = e;
    // Relative to the best point, so the exponent never underflows for the winner.
    const wgt = Math.exp((best - e) * invTwoSigma2);
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
  for (let z = 0; z < minMse.length; z++) minMse[z] = minMse[z]! / n;
  for (let i = 0; i < topN; i++) topCount[ofPoint[topP[i]!]!]! += 1;
  out.total = total;
  out.used = n;
  return true;
}

/**
 * The candidate rows for `w` on `floor` (the store's zones there), or undefined when the position
 * cannot be fitted (unknown floor, no zones, fewer than two store-side receivers on that floor):
 * callers then fall back to estimateZone. Deterministic; training and inference both call it.
 * It reads only `w.storeSideDbm` and `w.storeSideFastDbm` (the classifier caches on them).
 */
export function zoneCandidates(w: FeatureWindow, floor: number | undefined, ctx: SiteContext): ZoneCandidates | undefined {
  if (floor === undefined) return undefined;
  const grid = floorGrid(ctx, floor);
  const zones = ctx.storeZonesByFloor.get(floor);
  if (!grid || !zones || grid.points.length === 0) return undefined;
  const l = layoutOf(grid, floor, zones, ctx);
  const slow = l.slow;
  const fast = l.fast;
  if (!fit(grid, l, w.storeSideDbm, slow) || !fit(grid, l, w.storeSideFastDbm, fast)) return undefined;
  const rows = l.rowIds.length;
  if (rows === 0) return undefined;
  let bestSlow = Number.POSITIVE_INFINITY;
  let bestFast = Number.POSITIVE_INFINITY;
  for (let row = 0; row < rows; row++) {
    bestSlow = Math.min(bestSlow, Math.sqrt(slow.minMse[l.rowSlot[row]!]!));
    bestFast = Math.min(bestFast, Math.sqrt(fast.minMse[l.rowSlot[row]!]!));
  }
  // The strongest fresh store-side receiver on this floor (fast EWMA) and the level of each zone's own receivers.
  let strongestAt: { x: number; y: number } | undefined;
  let strongest = MISSING_DBM;
  const own = l.own;
  const hasOwn = l.hasOwn;
  hasOwn.fill(0);
  for (const [rxId, dbm] of w.storeSideFastDbm) {
    const info = l.receivers.get(rxId);
    if (!info) continue;
    if (dbm > strongest) {
      strongest = dbm;
      strongestAt = info;
    }
    if (info.row >= 0) {
      own[info.row] = Math.max(hasOwn[info.row] ? own[info.row]! : MISSING_DBM, dbm);
      hasOwn[info.row] = 1;
    }
  }
  const values = new Float32Array(rows * ZONE_FEATURE_COUNT);
  const k = slow.topP.length;
  for (let row = 0; row < rows; row++) {
    const z = l.rowSlot[row]!;
    let distM = 0;
    if (strongestAt) {
      const b = row * 4;
      const dx = Math.max(l.rowBounds[b]! - strongestAt.x, 0, strongestAt.x - l.rowBounds[b + 1]!);
      const dy = Math.max(l.rowBounds[b + 2]! - strongestAt.y, 0, strongestAt.y - l.rowBounds[b + 3]!);
      distM = Math.hypot(dx, dy);
    }
    const rmsSlow = Math.sqrt(slow.minMse[z]!);
    let i = row * ZONE_FEATURE_COUNT;
    values[i++] = Math.min(20, rmsSlow);
    values[i++] = Math.min(20, rmsSlow - bestSlow);
    values[i++] = Math.min(20, Math.sqrt(fast.minMse[z]!) - bestFast);
    values[i++] = Math.log(Math.max(1e-4, slow.weight[z]! / slow.total));
    values[i++] = Math.log(Math.max(1e-4, fast.weight[z]! / fast.total));
    values[i++] = l.topShare[Math.min(k, slow.topCount[z]!)]!;
    values[i++] = hasOwn[row] ? Math.max(-30, own[row]! - strongest) : -30;
    values[i++] = l.rowHasRx[row]!;
    values[i++] = Math.min(40, distM);
    values[i++] = l.rowLogArea[row]!;
    for (let f = 0; f < KIND_FLAGS.length; f++) values[i++] = l.rowKind[row] === f ? 1 : 0;
    values[i++] = slow.used;
    values[i++] = rows;
  }
  return { zoneIds: l.rowIds, values };
}
