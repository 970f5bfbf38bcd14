import { pointInShape, shapeBounds, type GatewayConfig, type Point } from '@storesense/firmware-config';

/**
 * The radio model the calibration fits against: log-distance path loss (Rappaport, "Wireless
 * Communications", 2nd ed., §4.9) over the 3-D distance between a phone in a hand or pocket and a
 * receiver on a wall or ceiling, plus one storefront-wall loss between a phone and a receiver on
 * different sides of a store footprint. Unlike the zone grid (classify/zone-estimate.ts), this one
 * covers the whole floor (store, corridor, atrium) and every receiver on it, because offsets must be
 * learned for outside receivers too and a passer-by fitted inside the store would bias them.
 */

/** Mounting heights: receivers on a wall or ceiling ~2.7 m up, phones at ~1.2 m (hand, pocket). */
export const RECEIVER_HEIGHT_M = 2.7;
export const PHONE_HEIGHT_M = 1.2;
/** Candidate position spacing; the fit excludes receivers nearer than MIN_FIT_DISTANCE_M from updates. */
export const FIT_GRID_M = 2;
/** The coarse pass of the position search visits every COARSE_STRIDE-th point in x and y. */
const COARSE_STRIDE = 2;
/** Margin around the floor's stores, areas and receivers where phones may be. */
const MARGIN_M = 4;

/** One receiver as the calibration sees it. */
export interface FitReceiver {
  id: string;
  floor: number;
  position: Point;
  refRssiAt1mDbm: number;
  pathLossExponent: number;
  /** Index of the store footprint holding the receiver, -1 outside every store. */
  space: number;
}

/** Candidate points of one floor and the model's wall-free expected RSSI at every receiver there. */
export interface FitGrid {
  floor: number;
  receivers: FitReceiver[];
  receiverIndex: Map<string, number>;
  points: Point[];
  /** Store-footprint index per point, -1 outside. */
  pointSpace: Int32Array;
  /** Store-footprint index per receiver, -1 outside. */
  receiverSpace: Int32Array;
  /** Points are laid x-major: point = ix · ny + iy. */
  nx: number;
  ny: number;
  /** expected[point * receivers + receiver], without the wall term. */
  expected: Float64Array;
  /** Horizontal distance, same layout. */
  distanceM: Float64Array;
}

/** The model's RSSI of a reference phone `horizontalM` away on the same floor, without walls. */
export function expectedDbm(r: Pick<FitReceiver, 'refRssiAt1mDbm' | 'pathLossExponent'>, horizontalM: number): number {
  const dz = RECEIVER_HEIGHT_M - PHONE_HEIGHT_M;
  const d = Math.max(0.5, Math.hypot(horizontalM, dz));
  return r.refRssiAt1mDbm - 10 * r.pathLossExponent * Math.log10(d);
}

/** Which store footprint (index into config.stores) holds `p` on `floor`; -1 outside all. */
export function spaceAt(config: Pick<GatewayConfig, 'stores'>, floor: number, p: Point): number {
  return config.stores.findIndex((s) => s.floors.includes(floor) && pointInShape(p, s.shape));
}

/** The gateway's receivers that hear BLE (a WiFi-only sniffer reports probes on another scale). */
export function fitReceivers(config: Pick<GatewayConfig, 'receivers' | 'stores'>): FitReceiver[] {
  return config.receivers
    .filter((r) => r.kind !== 'wifi')
    .map((r) => ({
      id: r.id,
      floor: r.floor,
      position: r.position,
      refRssiAt1mDbm: r.calibration.refRssiAt1mDbm,
      pathLossExponent: r.calibration.pathLossExponent,
      space: spaceAt(config, r.floor, r.position),
    }));
}

/** One grid per floor with receivers; bounded by the floor's stores, areas and receivers. */
export function buildFitGrids(config: Pick<GatewayConfig, 'receivers' | 'stores' | 'areas'>, gridM = FIT_GRID_M): Map<number, FitGrid> {
  const all = fitReceivers(config);
  const out = new Map<number, FitGrid>();
  for (const floor of [...new Set(all.map((r) => r.floor))].sort((a, b) => a - b)) {
    const receivers = all.filter((r) => r.floor === floor);
    const boxes = [
      ...config.stores.filter((s) => s.floors.includes(floor)).map((s) => shapeBounds(s.shape)),
      ...config.areas.filter((a) => a.floor === floor).map((a) => shapeBounds(a.shape)),
      ...receivers.map((r) => ({ minX: r.position.x, maxX: r.position.x, minY: r.position.y, maxY: r.position.y })),
    ];
    const minX = Math.min(...boxes.map((b) => b.minX)) - MARGIN_M;
    const maxX = Math.max(...boxes.map((b) => b.maxX)) + MARGIN_M;
    const minY = Math.min(...boxes.map((b) => b.minY)) - MARGIN_M;
    const maxY = Math.max(...boxes.map((b) => b.maxY)) + MARGIN_M;
    const points: Point[] = [];
    const nx = Math.floor((maxX - minX) / gridM) + 1;
    const ny = Math.floor((maxY - minY) / gridM) + 1;
    for (let ix = 0; ix < nx; ix++) for (let iy = 0; iy < ny; iy++) points.push({ x: minX + ix * gridM, y: minY + iy * gridM });
    const R = receivers.length;
    const expected = new Float64Array(points.length * R);
    const distanceM = new Float64Array(points.length * R);
    const pointSpace = new Int32Array(points.length);
    points.forEach((p, i) => {
      pointSpace[i] = spaceAt(config, floor, p);
      receivers.forEach((r, j) => {
        const h = Math.hypot(r.position.x - p.x, r.position.y - p.y);
        distanceM[i * R + j] = h;
        expected[i * R + j] = expectedDbm(r, h);
      });
    });
    const receiverSpace = Int32Array.from(receivers.map((r) => r.space));
    out.set(floor, {
      floor,
      receivers,
      receiverIndex: new Map(receivers.map((r, j) => [r.id, j])),
      points,
      pointSpace,
      receiverSpace,
      nx,
      ny,
      expected,
      distanceM,
    });
  }
  return out;
}

/** The best-fitting point for one set of simultaneous readings, and each reading's residual there. */
export interface PositionFit {
  point: number;
  /** Residual per input reading (observed − expected − the common offset), in input order. */
  residualDb: Float64Array;
  /** The phone's offset: the fixed one plus the mean residual left, or the freed one. */
  offsetDb: number;
  /** Horizontal distance from the fitted point to each input receiver. */
  distanceM: Float64Array;
  /** True where the reading crosses a storefront wall at the fitted point. */
  crossesWall: Uint8Array;
  rmsDb: number;
}

/**
 * Grid search: for each point, the residuals of `levelsDbm` (at receivers `idx` of the grid) against
 * the model, with `wallDb` lost across a storefront; the point with the smallest sum of squares
 * wins. `phoneOffsetDb` undefined frees a common offset per fit (residuals less their mean: the
 * phone's unknown transmit power); a number fixes it (the population's mean offset), which leaves the
 * readings one more degree of freedom to show a receiver's bias instead of moving the position.
 */
export function fitPosition(grid: FitGrid, idx: readonly number[], levelsDbm: readonly number[], wallDb: number, phoneOffsetDb?: number): PositionFit {
  const n = idx.length;
  const R = grid.receivers.length;
  const E = grid.expected;
  const rxSpace = grid.receiverSpace;
  const fixed = phoneOffsetDb !== undefined;
  const shift = phoneOffsetDb ?? 0;
  const sseAt = (p: number): number => {
    const base = p * R;
    const ps = grid.pointSpace[p]!;
    let sum = 0;
    let sumSq = 0;
    for (let k = 0; k < n; k++) {
      const j = idx[k]!;
      const res = levelsDbm[k]! - shift - E[base + j]! + (rxSpace[j] !== ps ? wallDb : 0);
      sum += res;
      sumSq += res * res;
    }
    return fixed ? sumSq : sumSq - (sum * sum) / n;
  };
  // Coarse to fine: every other point in x and y first, then the 5 × 5 points around the best one
  // (the residual surface of a log-distance model is smooth at this scale; ~3.5× fewer points).
  let best = 0;
  let bestSse = Number.POSITIVE_INFINITY;
  const { nx, ny } = grid;
  for (let ix = 0; ix < nx; ix += COARSE_STRIDE) {
    for (let iy = 0; iy < ny; iy += COARSE_STRIDE) {
      const p = ix * ny + iy;
      const sse = sseAt(p);
      if (sse < bestSse) {
        bestSse = sse;
        best = p;
      }
    }
  }
  const bx = Math.floor(best / ny);
  const by = best % ny;
  for (let ix = Math.max(0, bx - COARSE_STRIDE); ix <= Math.min(nx - 1, bx + COARSE_STRIDE); ix++) {
    for (let iy = Math.max(0, by - COARSE_STRIDE); iy <= Math.min(ny - 1, by + COARSE_STRIDE); iy++) {
      const p = ix * ny + iy;
      const sse = sseAt(p);
      if (sse < bestSse) {
        bestSse = sse;
        best = p;
      }
    }
  }
  const base = best * R;
  const ps = grid.pointSpace[best]!;
  const residualDb = new Float64Array(n);
  const distanceM = new Float64Array(n);
  const crossesWall = new Uint8Array(n);
  let mean = 0;
  for (let k = 0; k < n; k++) {
    const j = idx[k]!;
    crossesWall[k] = rxSpace[j] !== ps ? 1 : 0;
    residualDb[k] = levelsDbm[k]! - shift - E[base + j]! + (crossesWall[k] ? wallDb : 0);
    distanceM[k] = grid.distanceM[base + j]!;
    mean += residualDb[k]! / n;
  }
  if (!fixed) for (let k = 0; k < n; k++) residualDb[k] = residualDb[k]! - mean;
  return { point: best, residualDb, offsetDb: fixed ? shift + mean : mean, distanceM, crossesWall, rmsDb: Math.sqrt(Math.max(0, bestSse) / n) };
}
