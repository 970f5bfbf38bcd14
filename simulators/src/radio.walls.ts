import { pointInShape, shapeBounds, shapeEdges, storeWallAttenuationsDb, type Point, type Shape, type Site } from '@storesense/firmware-config';

/**
 * Store walls between a phone and a receiver on the same floor. The straight path from phone to
 * receiver loses the attenuation of every footprint edge it crosses (a path through a store that
 * crosses two walls loses both), each edge's loss taken from the store's `wallAttenuationDb` (one
 * number or one value per edge; 0 = open storefront or kiosk) or the radio default (3 dB,
 * radio.model.ts). This is the multi-wall model of COST 231 (Damosso & Correia, "Digital Mobile
 * Radio Towards Future Generation Systems", COST 231 Final Report, 1999, ch. 4, indoor multi-wall model: path loss plus the
 * sum of the losses of the walls the direct path crosses).
 *
 * A phone or receiver on the outline counts as inside (as pointInShape): when the crossings found
 * disagree with the inside/outside of the two ends (an end on the outline, or a path through a
 * vertex), the edge nearest to the end on the outline is counted instead.
 */
export interface StoreWalls {
  storeId: string;
  shape: Shape;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  /** Per edge: ax, ay, bx, by, lossDb. */
  edges: Float64Array;
  /** True when the receiver these walls were built for is inside (or on) the footprint. */
  receiverInside: boolean;
}

/** The walls of every store occupying `floor`, seen from a receiver at `at`. */
export function wallsAround(site: Site, floor: number, at: Point, defaultDb: number): StoreWalls[] {
  const out: StoreWalls[] = [];
  for (const store of site.stores) {
    if (!store.floors.includes(floor)) continue;
    const losses = storeWallAttenuationsDb(store, defaultDb);
    const edges = shapeEdges(store.shape);
    const flat = new Float64Array(edges.length * 5);
    edges.forEach((e, i) => flat.set([e.a.x, e.a.y, e.b.x, e.b.y, losses[i]!], i * 5));
    const b = shapeBounds(store.shape);
    out.push({ storeId: store.id, shape: store.shape, ...b, edges: flat, receiverInside: pointInShape(at, store.shape) });
  }
  return out;
}

const EPS = 1e-9;

/**
 * Total wall loss, dB, on the straight path from a phone at (px, py) to a receiver at (rx, ry)
 * through `walls` (built for that receiver by wallsAround).
 */
export function wallLossDb(walls: readonly StoreWalls[], rx: number, ry: number, px: number, py: number): number {
  let total = 0;
  const loX = Math.min(px, rx);
  const hiX = Math.max(px, rx);
  const loY = Math.min(py, ry);
  const hiY = Math.max(py, ry);
  const dx = rx - px;
  const dy = ry - py;
  for (let w = 0; w < walls.length; w++) {
    const s = walls[w]!;
    // A path whose bounding box misses the footprint's has both ends outside it and crosses nothing.
    if (hiX < s.minX || loX > s.maxX || hiY < s.minY || loY > s.maxY) continue;
    const e = s.edges;
    let crossings = 0;
    let loss = 0;
    for (let i = 0; i < e.length; i += 5) {
      const ex = e[i + 2]! - e[i]!;
      const ey = e[i + 3]! - e[i + 1]!;
      const denom = dx * ey - dy * ex;
      if (Math.abs(denom) < 1e-12) continue; // parallel: grazing along a wall is not crossing it
      const ax = e[i]! - px;
      const ay = e[i + 1]! - py;
      const t = (ax * ey - ay * ex) / denom; // along the path, 0 = phone, 1 = receiver
      const u = (ax * dy - ay * dx) / denom; // along the edge, half-open so a vertex counts once
      if (t > EPS && t < 1 - EPS && u >= 0 && u < 1) {
        crossings++;
        loss += e[i + 4]!;
      }
    }
    const phoneInside = pointInShape({ x: px, y: py }, s.shape);
    if ((crossings % 2 === 1) !== (phoneInside !== s.receiverInside)) {
      // An end sits on the outline (or the path grazes a vertex): count the wall that end is on.
      loss = nearestEdgeLossDb(e, px, py, rx, ry);
    }
    total += loss;
  }
  return total;
}

/** The loss of the edge nearest to whichever end of the path lies closer to the outline. */
function nearestEdgeLossDb(e: Float64Array, px: number, py: number, rx: number, ry: number): number {
  let best = Infinity;
  let loss = 0;
  for (const [x, y] of [
    [px, py],
    [rx, ry],
  ] as const) {
    for (let i = 0; i < e.length; i += 5) {
      const d = segmentDistance(x, y, e[i]!, e[i + 1]!, e[i + 2]!, e[i + 3]!);
      if (d < best) {
        best = d;
        loss = e[i + 4]!;
      }
    }
  }
  return loss;
}

function segmentDistance(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}
