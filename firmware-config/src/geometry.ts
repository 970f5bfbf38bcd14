import type { Point, Shape, Store, Zone } from './site.schema.js';

/** Axis-aligned bounds of a shape, metres in the site frame. */
export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** The polygon of a shape, rectangles as their four corners (counter-clockwise from south-west). */
export function shapePolygon(shape: Shape): Point[] {
  if ('rect' in shape) {
    const { x, y, w, h } = shape.rect;
    return [
      { x, y },
      { x: x + w, y },
      { x: x + w, y: y + h },
      { x, y: y + h },
    ];
  }
  return shape.polygon;
}

/**
 * True when `p` lies inside `shape` or on its boundary. Boundaries count as inside so a receiver
 * mounted on a wall or a zone edge still belongs to the zone.
 * @example pointInShape({ x: 1, y: 1 }, { rect: { x: 0, y: 0, w: 2, h: 2 } }) // true
 */
export function pointInShape(p: Point, shape: Shape): boolean {
  if ('rect' in shape) {
    const { x, y, w, h } = shape.rect;
    return p.x >= x && p.x <= x + w && p.y >= y && p.y <= y + h;
  }
  const poly = shape.polygon;
  if (onPolygonBoundary(p, poly)) return true;
  // Even-odd ray casting towards +x.
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i]!;
    const b = poly[j]!;
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

function onPolygonBoundary(p: Point, poly: readonly Point[]): boolean {
  const eps = 1e-9;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[j]!;
    const b = poly[i]!;
    const cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
    if (Math.abs(cross) > eps * Math.max(1, Math.hypot(b.x - a.x, b.y - a.y))) continue;
    if (p.x >= Math.min(a.x, b.x) - eps && p.x <= Math.max(a.x, b.x) + eps && p.y >= Math.min(a.y, b.y) - eps && p.y <= Math.max(a.y, b.y) + eps) return true;
  }
  return false;
}

/** Area in square metres (shoelace formula; orientation-independent). */
export function shapeAreaM2(shape: Shape): number {
  if ('rect' in shape) return shape.rect.w * shape.rect.h;
  return Math.abs(signedArea(shape.polygon));
}

function signedArea(poly: readonly Point[]): number {
  let sum = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) sum += poly[j]!.x * poly[i]!.y - poly[i]!.x * poly[j]!.y;
  return sum / 2;
}

/**
 * The centre of a shape: the centroid of its area (for a degenerate polygon with no area, the mean
 * of its vertices). Simulators walk agents to it; it may lie outside a concave polygon.
 * @example shapeCenter({ rect: { x: 0, y: 0, w: 4, h: 2 } }) // { x: 2, y: 1 }
 */
export function shapeCenter(shape: Shape): Point {
  if ('rect' in shape) return { x: shape.rect.x + shape.rect.w / 2, y: shape.rect.y + shape.rect.h / 2 };
  const poly = shape.polygon;
  const a = signedArea(poly);
  if (Math.abs(a) < 1e-12) {
    const n = poly.length;
    return { x: poly.reduce((s, q) => s + q.x, 0) / n, y: poly.reduce((s, q) => s + q.y, 0) / n };
  }
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const p = poly[j]!;
    const q = poly[i]!;
    const f = p.x * q.y - q.x * p.y;
    cx += (p.x + q.x) * f;
    cy += (p.y + q.y) * f;
  }
  return { x: cx / (6 * a), y: cy / (6 * a) };
}

/** Axis-aligned bounding box of a shape. */
export function shapeBounds(shape: Shape): Bounds {
  if ('rect' in shape) {
    const { x, y, w, h } = shape.rect;
    return { minX: x, minY: y, maxX: x + w, maxY: y + h };
  }
  const xs = shape.polygon.map((p) => p.x);
  const ys = shape.polygon.map((p) => p.y);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

/** Euclidean distance in metres (same floor). */
export function distanceM(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** Anything with the site's geometry: a `Site` or a rendered `GatewayConfig`. */
export interface SiteGeometry {
  stores: readonly Store[];
  areas: readonly Zone[];
}

/**
 * The innermost zone containing `p` on `floor`: among every store zone and mall area that contains
 * the point, the one with the smallest area (an entrance zone drawn inside a sales zone wins).
 * Ties keep declaration order, store zones before areas. Undefined when nothing contains it.
 * @example zoneAt(site, 0, { x: 6, y: 1 })?.id // 'entrance'
 */
export function zoneAt(geometry: SiteGeometry, floor: number, p: Point): Zone | undefined {
  let best: Zone | undefined;
  let bestArea = Infinity;
  const consider = (z: Zone) => {
    if (z.floor !== floor || !pointInShape(p, z.shape)) return;
    const area = shapeAreaM2(z.shape);
    if (area < bestArea) {
      best = z;
      bestArea = area;
    }
  };
  for (const s of geometry.stores) s.zones.forEach(consider);
  geometry.areas.forEach(consider);
  return best;
}

/** The store whose footprint contains `p` on `floor` (a store occupies its footprint on each of its floors). */
export function storeAt(geometry: SiteGeometry, floor: number, p: Point): Store | undefined {
  return geometry.stores.find((s) => s.floors.includes(floor) && pointInShape(p, s.shape));
}

/** A footprint edge from `a` to `b`, in polygon order (see shapeEdges). */
export interface ShapeEdge {
  a: Point;
  b: Point;
}

/**
 * The edges of a shape in polygon order: edge i runs from vertex i to vertex i + 1. A rect's edges
 * are south, east, north, west (its corners counter-clockwise from south-west).
 * @example shapeEdges({ rect: { x: 0, y: 0, w: 4, h: 2 } })[1] // east: { a: {x:4,y:0}, b: {x:4,y:2} }
 */
export function shapeEdges(shape: Shape): ShapeEdge[] {
  const pts = shapePolygon(shape);
  return pts.map((a, i) => ({ a, b: pts[(i + 1) % pts.length]! }));
}

/**
 * A store's wall loss per footprint edge (polygon order), dB: its `wallAttenuationDb` (one number
 * for all edges, or one per edge), else `defaultDb` on every edge.
 * @example storeWallAttenuationsDb({ ...store, wallAttenuationDb: 0 }, 3) // [0, 0, 0, 0] for a rect
 */
export function storeWallAttenuationsDb(store: Pick<Store, 'shape' | 'wallAttenuationDb'>, defaultDb: number): number[] {
  const n = shapePolygon(store.shape).length;
  const w = store.wallAttenuationDb;
  if (w === undefined) return new Array<number>(n).fill(defaultDb);
  if (typeof w === 'number') return new Array<number>(n).fill(w);
  if (w.length !== n) throw new RangeError(`wallAttenuationDb has ${w.length} values for ${n} edges`);
  return [...w];
}
