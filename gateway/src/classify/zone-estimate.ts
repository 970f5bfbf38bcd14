import { pointInShape, shapeBounds, type Point } from '@storesense/firmware-config';
import type { FeatureWindow } from './features.js';
import type { ReceiverInfo, SiteContext } from './site-context.js';

export interface ZoneEstimate {
  zoneId: string | undefined;
  confidence: number;
  /** Estimated position on the floor (metres, site frame), when one could be made. */
  position: Point | undefined;
}

/** Spacing of the candidate points laid inside every store zone. */
const GRID_M = 1.5;

/** Candidate points of one floor, with the model's expected RSSI per receiver, flat for speed. */
export interface FloorGrid {
  receiverIndex: Map<string, number>;
  receivers: number;
  zoneIds: string[];
  points: Point[];
  /** The model's RSSI, receiver-major: expectedByReceiver[receiver * points + point] (the residual loops run along it). */
  expectedByReceiver: Float64Array;
}

const grids = new WeakMap<SiteContext, Map<number, FloorGrid>>();

/**
 * Where in the store the subject is, on `floor`: model-based matching over points laid every
 * GRID_M inside the store's zones. For each point, the log-distance model (each receiver's own
 * calibration) predicts the RSSI at every same-floor store-side receiver; the observed smoothed
 * RSSIs are compared after removing their mean difference (a phone's unknown transmit power and
 * body loss shift all receivers alike). The zone of the best-matching point wins. Unlike a
 * centroid, this reaches zones without a receiver and is not pulled to the middle of the layout
 * (simulated dwell P/R went from 0.52-0.77/0.59-0.91 to 0.70-0.91/0.74-0.97).
 * Deterministic; shared by every classifier.
 */
export function estimateZone(w: FeatureWindow, floor: number | undefined, ctx: SiteContext): ZoneEstimate {
  if (floor === undefined) return strongestZone(w, floor);
  const grid = gridFor(ctx).get(floor);
  if (!grid || grid.points.length === 0) return strongestZone(w, floor);
  if (estimateSse.length < grid.points.length) {
    estimateSse = new Float64Array(grid.points.length);
    estimateOffset = new Float64Array(grid.points.length);
  }
  const r = gridResidualsInto(grid, w.storeSideDbm, estimateSse, estimateOffset);
  if (!r) return strongestZone(w, floor);
  const { n, bestPoint: best, bestSse: bestErr } = r;
  if (best < 0) return strongestZone(w, floor);
  return { zoneId: grid.zoneIds[best], confidence: bestErr / n < 16 ? 0.7 : 0.5, position: grid.points[best] };
}

/** estimateZone's scratch (only the best point is kept). */
let estimateSse = new Float64Array(0);
let estimateOffset = new Float64Array(0);

/** Per grid point: the squared residual of the observed RSSIs after removing their mean offset. */
export interface GridResiduals {
  /** sse[point] */
  sse: Float64Array;
  /** Receivers of the grid that were observed. */
  n: number;
  /** The first point with the smallest SSE, and that SSE. */
  bestPoint: number;
  bestSse: number;
}

/**
 * The model-matching core shared by estimateZone and the learned zone features: for each point,
 * observed minus expected RSSI at every observed receiver of the grid, less their mean (a phone's
 * unknown transmit power and body loss shift all receivers alike), squared and summed. Undefined
 * with fewer than two of the grid's receivers observed.
 */
export function gridResiduals(grid: FloorGrid, obsMap: ReadonlyMap<string, number>): GridResiduals | undefined {
  const sse = new Float64Array(grid.points.length);
  const r = gridResidualsInto(grid, obsMap, sse, new Float64Array(grid.points.length));
  return r && { sse, ...r };
}

/** Observed receivers of a grid, gathered once per call (grids have a handful of receivers). */
const MAX_GATHER = 64;
const gatherIdx = new Int32Array(MAX_GATHER);
const gatherObs = new Float64Array(MAX_GATHER);

/**
 * gridResiduals into the caller's buffers (`sse` and the `offset` scratch, each at least the
 * grid's point count), allocating nothing: the classifier's hot loop (decision 52). Receiver-major
 * loops over points, with the same sums in the same order per point as the point-major version
 * (mean offset from Σ(obs − expected) in observation order, then Σ residual²), so the SSEs are
 * bit-identical.
 */
export function gridResidualsInto(
  grid: FloorGrid,
  obsMap: ReadonlyMap<string, number>,
  sse: Float64Array,
  offset: Float64Array,
): Omit<GridResiduals, 'sse'> | undefined {
  let n = 0;
  let idx = gatherIdx;
  let obs = gatherObs;
  for (const [rxId, dbm] of obsMap) {
    const i = grid.receiverIndex.get(rxId);
    if (i === undefined) continue;
    if (n === idx.length) {
      // More observed receivers than a grid usually has: grow this call's gather arrays.
      const moreIdx = new Int32Array(n * 2);
      const moreObs = new Float64Array(n * 2);
      moreIdx.set(idx);
      moreObs.set(obs);
      idx = moreIdx;
      obs = moreObs;
    }
    idx[n] = i;
    obs[n] = dbm;
    n += 1;
  }
  if (n < 2) return undefined;
  const points = grid.points.length;
  const E = grid.expectedByReceiver;
  // The first receiver's pass stores instead of adding to 0: 0 + x is x for every x but -0, and a
  // signed zero in the offset or the first residual term changes no SSE (r·r is +0 either way).
  let o = obs[0]!;
  let col = idx[0]! * points;
  for (let p = 0; p < points; p++) offset[p] = o - E[col + p]!;
  for (let k = 1; k < n; k++) {
    o = obs[k]!;
    col = idx[k]! * points;
    for (let p = 0; p < points; p++) offset[p] = offset[p]! + (o - E[col + p]!);
  }
  for (let p = 0; p < points; p++) offset[p] = offset[p]! / n;
  o = obs[0]!;
  col = idx[0]! * points;
  for (let p = 0; p < points; p++) {
    const r = o - E[col + p]! - offset[p]!;
    sse[p] = r * r;
  }
  for (let k = 1; k < n; k++) {
    o = obs[k]!;
    col = idx[k]! * points;
    for (let p = 0; p < points; p++) {
      const r = o - E[col + p]! - offset[p]!;
      sse[p] = sse[p]! + r * r;
    }
  }
  let bestPoint = -1;
  let bestSse = Number.POSITIVE_INFINITY;
  for (let p = 0; p < points; p++) {
    if (sse[p]! < bestSse) {
      bestSse = sse[p]!;
      bestPoint = p;
    }
  }
  return { n, bestPoint, bestSse };
}

/** The (cached) candidate grid of one store floor; undefined when the floor has no store zones. */
export function floorGrid(ctx: SiteContext, floor: number): FloorGrid | undefined {
  return gridFor(ctx).get(floor);
}

function gridFor(ctx: SiteContext): Map<number, FloorGrid> {
  const cached = grids.get(ctx);
  if (cached) return cached;
  const out = new Map<number, FloorGrid>();
  for (const [floor, zones] of ctx.storeZonesByFloor) {
    const rxs = [...ctx.receivers.values()].filter((r) => r.storeSide && r.floor === floor);
    const zoneIds: string[] = [];
    const points: Point[] = [];
    for (const z of zones) {
      const b = shapeBounds(z.shape);
      for (let x = b.minX + GRID_M / 2; x < b.maxX; x += GRID_M) {
        for (let y = b.minY + GRID_M / 2; y < b.maxY; y += GRID_M) {
          const p = { x, y };
          if (!pointInShape(p, z.shape)) continue;
          zoneIds.push(z.id);
          points.push(p);
        }
      }
    }
    const expectedByReceiver = new Float64Array(points.length * rxs.length);
    points.forEach((p, i) => {
      rxs.forEach((r, j) => {
        expectedByReceiver[j * points.length + i] = expectedDbm(r, p);
      });
    });
    out.set(floor, { receiverIndex: new Map(rxs.map((r, j) => [r.id, j])), receivers: rxs.length, zoneIds, points, expectedByReceiver });
  }
  grids.set(ctx, out);
  return out;
}

function expectedDbm(r: ReceiverInfo, p: Point): number {
  const d = Math.max(0.5, Math.hypot(r.position.x - p.x, r.position.y - p.y));
  return r.refRssiAt1mDbm - 10 * r.pathLossExponent * Math.log10(d);
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
