import { pointInShape, shapeBounds, shapePolygon, type GatewayConfig, type Point, type Shape } from '@storesense/firmware-config';

/**
 * Where each receiver sits relative to the served store, from the site's geometry alone (never its
 * role): inside the footprint or not, how deep, how far from the nearest entrance. Features built
 * on these hold on sites whose role set the model never saw (a kiosk with no `inside` receiver, a
 * flagship with two doors), which per-role features did not (issue 10: ONNX macro F1 0.08-0.13 on
 * an open kiosk without an `inside` receiver).
 */
export interface ReceiverGeometry {
  /** Position inside the store footprint on a floor the store occupies. */
  inStore: boolean;
  /** Signed distance to the footprint boundary, metres: positive inside, negative outside. */
  depthM: number;
  /** Distance to the nearest entrance on the receiver's floor (FAR_M when the floor has none). */
  doorM: number;
}

/** Stand-in distance for "nothing of that kind on this floor", metres. */
export const FAR_M = 30;

/** The served store's footprint and entrances, as the geometry features need them. */
export interface StoreGeometry {
  shape: Shape | undefined;
  polygon: readonly Point[];
  floors: readonly number[];
  /** Entrances per floor. */
  doors: ReadonlyMap<number, readonly Point[]>;
}

export function storeGeometry(config: GatewayConfig): StoreGeometry {
  const store = config.stores.find((s) => s.id === config.storeId) ?? config.stores[0];
  const doors = new Map<number, Point[]>();
  for (const e of store?.entrances ?? []) doors.set(e.floor, [...(doors.get(e.floor) ?? []), e.at]);
  return { shape: store?.shape, polygon: store ? shapePolygon(store.shape) : [], floors: store?.floors ?? [], doors };
}

/** Signed distance of `p` to the footprint boundary: positive inside, negative outside; 0 without a store. */
export function depthM(g: StoreGeometry, p: Point): number {
  if (!g.shape || g.polygon.length < 2) return 0;
  let best = Number.POSITIVE_INFINITY;
  const poly = g.polygon;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) best = Math.min(best, segmentDistance(p, poly[j]!, poly[i]!));
  return pointInShape(p, g.shape) ? best : -best;
}

/** Distance from `p` to the nearest entrance on `floor`, capped at FAR_M. */
export function doorDistanceM(g: StoreGeometry, floor: number, p: Point): number {
  let best = FAR_M;
  for (const d of g.doors.get(floor) ?? []) best = Math.min(best, Math.hypot(d.x - p.x, d.y - p.y));
  return best;
}

export function receiverGeometry(g: StoreGeometry, floor: number, p: Point): ReceiverGeometry {
  const onStoreFloor = g.floors.includes(floor);
  const depth = onStoreFloor ? depthM(g, p) : -FAR_M;
  return { inStore: onStoreFloor && depth >= 0, depthM: depth, doorM: doorDistanceM(g, floor, p) };
}

/** The fit area of one floor: the footprint's bounds grown by this much (window shoppers, passers-by). */
export const FIT_MARGIN_M = 8;
/** At most this many fit points per floor: the spacing grows with the store (cost per subject per tick). */
const MAX_FIT_POINTS = 480;
const MIN_SPACING_M = 1;
/** Depth inside the footprint counts up to this (m): beyond it, "well inside" is all it says. */
export const MAX_DEPTH_M = 3;

/** Candidate positions of one floor around the store, flat for speed. */
export interface PlaceGrid {
  floor: number;
  points: number;
  /** Per point: 1 inside the footprint; how many are. */
  inside: Uint8Array;
  insidePoints: number;
  /**
   * Per point: signed depth (m; inside capped at MAX_DEPTH_M, so a kiosk and a department store
   * read alike) and distance to the nearest door on this floor (m).
   */
  depth: Float32Array;
  door: Float32Array;
  /** Receivers of this floor (any role), and expected[point * receivers + receiver]: the log-distance level. */
  receiverIds: readonly string[];
  receiverIndex: ReadonlyMap<string, number>;
  expected: Float64Array;
}

export interface GridReceiver {
  id: string;
  floor: number;
  position: Point;
  refRssiAt1mDbm: number;
  pathLossExponent: number;
}

/** Lays the fit grid of `floor` (the store's bounds + FIT_MARGIN_M) with every receiver on that floor. */
export function placeGrid(g: StoreGeometry, floor: number, receivers: readonly GridReceiver[]): PlaceGrid | undefined {
  if (!g.shape) return undefined;
  const b = shapeBounds(g.shape);
  const minX = b.minX - FIT_MARGIN_M;
  const minY = b.minY - FIT_MARGIN_M;
  const w = b.maxX - b.minX + 2 * FIT_MARGIN_M;
  const h = b.maxY - b.minY + 2 * FIT_MARGIN_M;
  const spacing = Math.max(MIN_SPACING_M, Math.sqrt((w * h) / MAX_FIT_POINTS));
  const nx = Math.max(1, Math.floor(w / spacing));
  const ny = Math.max(1, Math.floor(h / spacing));
  const rxs = receivers.filter((r) => r.floor === floor);
  const n = nx * ny;
  const inside = new Uint8Array(n);
  const depth = new Float32Array(n);
  const door = new Float32Array(n);
  const expected = new Float64Array(n * rxs.length);
  const onStoreFloor = g.floors.includes(floor);
  let p = 0;
  let insidePoints = 0;
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++, p++) {
      const pt = { x: minX + (i + 0.5) * (w / nx), y: minY + (j + 0.5) * (h / ny) };
      const d = onStoreFloor ? depthM(g, pt) : -FAR_M;
      inside[p] = d >= 0 ? 1 : 0;
      insidePoints += inside[p]!;
      depth[p] = Math.min(MAX_DEPTH_M, d);
      door[p] = doorDistanceM(g, floor, pt);
      rxs.forEach((r, k) => {
        const dist = Math.max(0.5, Math.hypot(r.position.x - pt.x, r.position.y - pt.y));
        expected[p * rxs.length + k] = r.refRssiAt1mDbm - 10 * r.pathLossExponent * Math.log10(dist);
      });
    }
  }
  return {
    floor,
    points: n,
    inside,
    insidePoints,
    depth,
    door,
    receiverIds: rxs.map((r) => r.id),
    receiverIndex: new Map(rxs.map((r, k) => [r.id, k])),
    expected,
  };
}

function segmentDistance(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - a.x - t * dx, p.y - a.y - t * dy);
}
