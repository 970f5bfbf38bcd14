import { pointInShape, shapeBounds, shapeEdges, type Point, type ShapeEdge, type Zone } from '@storesense/firmware-config';
import { outwardNormalAt, randomPointInShape } from './geometry.js';
import type { Rng } from './random.js';
import type { PlanParams, PlanWriter } from './shopper.plan.js';
import { CORRIDOR_BEYOND_M, corridorFor, storeAtPoint, type CorridorLine, type EntranceLayout, type SiteLayout, type StoreLayout } from './site-layout.js';

/**
 * Routes beyond "along the corridor to the door and back" (issue 10, item 1): leaving by another
 * door, stopping at any window, crossing a mall area in any direction, a long stay in a fitting
 * room. Each draws from the shopper's stream only when its share is above 0 and the site has what
 * it needs (several doors, a long-dwell zone), so sites and settings without them keep their
 * traces byte for byte. Pure functions of (layout, rng, params).
 */

/** The door a visitor leaves by: another one with probability throughShare (stores with several doors only). */
export function exitDoor(w: PlanWriter, params: PlanParams): EntranceLayout {
  const doors = w.store.entrances;
  if (doors.length < 2 || params.throughShare <= 0 || !w.rng.chance(params.throughShare)) return w.entrance;
  return w.rng.pick(doors.filter((d) => d !== w.entrance));
}

/** Another door of the store to cut through to, with probability shortcutShare; undefined otherwise. */
export function shortcutDoor(w: PlanWriter, params: PlanParams): EntranceLayout | undefined {
  const doors = w.store.entrances;
  if (doors.length < 2 || params.shortcutShare <= 0 || !w.rng.chance(params.shortcutShare)) return undefined;
  return w.rng.pick(doors.filter((d) => d !== w.entrance));
}

/** Clamped log-normal stay in a long-dwell zone (at least a minute, at most 45 min). */
export function longDwellMs(rng: Rng, params: PlanParams): number {
  return Math.min(45 * 60_000, Math.max(60_000, rng.logNormal(params.longDwellMedianMs, params.longDwellSigma)));
}

/**
 * With probability longDwellShare, a long stay in a long-dwell zone of the current floor (a
 * fitting cubicle: walk in, stay mostly still). Nothing is drawn when the share is 0 or the floor
 * has no such zone.
 */
export function maybeLongDwell(w: PlanWriter, params: PlanParams): void {
  if (params.longDwellShare <= 0) return;
  const zones = w.store.store.zones.filter((z) => z.floor === w.b.currentFloor && params.longDwellKinds.includes(z.kind));
  if (zones.length === 0 || !w.rng.chance(params.longDwellShare)) return;
  longStay(w, w.rng.pick(zones), longDwellMs(w.rng, params));
}

/** Walks into `zone` and stays `durationMs`, moving a little every minute or two. */
export function longStay(w: PlanWriter, zone: Zone, durationMs: number): void {
  const until = w.b.now + durationMs;
  w.b.walkTo(randomPointInShape(w.rng, zone.shape, 0.3), w.speedMps);
  while (w.b.now < until) {
    w.b.hold(Math.min(w.rng.uniform(45_000, 120_000), until - w.b.now));
    if (w.b.now >= until) break;
    w.b.walkTo(randomPointInShape(w.rng, zone.shape, 0.3), 0.5);
  }
}

export interface WindowSpot {
  /** Where the shopper stands, outside the footprint. */
  at: Point;
  /** The corridor the shopper walks along to get there. */
  corridor: CorridorLine;
}

/**
 * A spot 1-2.5 m outside a shop window: in front of a `window` zone of the store on `floor` (on
 * the storefront edge nearest to a point of the zone), or, without one, anywhere along a storefront edge (an edge facing a mall area; the door's edge when
 * the site has no areas). Never inside a store. Undefined when no spot is found in a few tries.
 */
export function windowSpot(layout: SiteLayout, store: StoreLayout, floor: number, rng: Rng): WindowSpot | undefined {
  const shape = store.store.shape;
  const windows = store.store.zones.filter((z) => z.kind === 'window' && z.floor === floor);
  const areas = layout.site.areas.filter((a) => a.floor === floor);
  const edges = shapeEdges(shape).filter((e) => {
    const mid = { x: (e.a.x + e.b.x) / 2, y: (e.a.y + e.b.y) / 2 };
    const n = outwardNormalAt(shape, mid);
    const out = { x: mid.x + n.x * 2, y: mid.y + n.y * 2 };
    if (areas.length > 0) return areas.some((a) => pointInShape(out, a.shape));
    return store.entrances.some((d) => d.floor === floor && Math.abs((d.at.x - mid.x) * n.x + (d.at.y - mid.y) * n.y) < 0.5);
  });
  for (let attempt = 0; attempt < 6; attempt++) {
    let onOutline: Point;
    if (windows.length > 0) {
      // Displays face the mall: project onto a storefront edge (any edge if none faces an area).
      onOutline = nearestPointOn(edges.length > 0 ? edges : shapeEdges(shape), randomPointInShape(rng, rng.pick(windows).shape, 0.3));
    } else {
      if (edges.length === 0) return undefined;
      const e = rng.pick(edges);
      const t = rng.uniform(0.1, 0.9);
      onOutline = { x: e.a.x + (e.b.x - e.a.x) * t, y: e.a.y + (e.b.y - e.a.y) * t };
    }
    const n = outwardNormalAt(shape, onOutline);
    const outM = rng.uniform(1, 2.5);
    const at = { x: onOutline.x + n.x * outM, y: onOutline.y + n.y * outM };
    if (storeAtPoint(layout, floor, at) !== undefined) continue;
    return { at, corridor: corridorFor(layout.site, floor, at, n) };
  }
  return undefined;
}

function nearestPointOn(edges: readonly ShapeEdge[], p: Point): Point {
  let best = Infinity;
  let out = p;
  for (const { a, b } of edges) {
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
    const q = { x: a.x + t * dx, y: a.y + t * dy };
    const d = Math.hypot(p.x - q.x, p.y - q.y);
    if (d < best) {
      best = d;
      out = q;
    }
  }
  return out;
}

/**
 * A walk across a mall area of `floor` in a random direction: in from beyond one side of its
 * bounding box, through a random point inside it, out beyond another side (up to
 * CORRIDOR_BEYOND_M past the edge, so the signal fades in and out). No leg enters a store
 * footprint (a passer-by never arrives). Undefined when the floor has no area or no clear route is
 * found in a few tries.
 */
export function crossRoute(layout: SiteLayout, floor: number, rng: Rng): Point[] | undefined {
  const areas = layout.site.areas.filter((a) => a.floor === floor);
  if (areas.length === 0) return undefined;
  const clear = (p: Point, q: Point) => {
    const n = Math.max(1, Math.ceil(Math.hypot(q.x - p.x, q.y - p.y) / 0.5));
    for (let k = 0; k <= n; k++)
      if (storeAtPoint(layout, floor, { x: p.x + ((q.x - p.x) * k) / n, y: p.y + ((q.y - p.y) * k) / n }) !== undefined) return false;
    return true;
  };
  for (let attempt = 0; attempt < 6; attempt++) {
    const area = rng.pick(areas);
    const b = shapeBounds(area.shape);
    const sideA = rng.int(4);
    const sideB = (sideA + 1 + rng.int(3)) % 4;
    const a = sidePoint(b, sideA, rng.uniform(0.05, 0.95));
    const z = sidePoint(b, sideB, rng.uniform(0.05, 0.95));
    const mid = randomPointInShape(rng, area.shape, 0.5);
    if (!clear(a.p, mid) || !clear(mid, z.p)) continue;
    const beyond = (s: { p: Point; n: Point }) => {
      for (const ext of [CORRIDOR_BEYOND_M, CORRIDOR_BEYOND_M / 2, 0]) {
        const e = { x: s.p.x + s.n.x * ext, y: s.p.y + s.n.y * ext };
        if (clear(e, s.p)) return e;
      }
      return s.p;
    };
    return [beyond(a), a.p, mid, z.p, beyond(z)];
  }
  return undefined;
}

/** A point on side 0-3 (south, east, north, west) of a bounding box, with the side's outward normal. */
function sidePoint(b: ReturnType<typeof shapeBounds>, side: number, t: number): { p: Point; n: Point } {
  switch (side) {
    case 0:
      return { p: { x: b.minX + (b.maxX - b.minX) * t, y: b.minY }, n: { x: 0, y: -1 } };
    case 1:
      return { p: { x: b.maxX, y: b.minY + (b.maxY - b.minY) * t }, n: { x: 1, y: 0 } };
    case 2:
      return { p: { x: b.minX + (b.maxX - b.minX) * t, y: b.maxY }, n: { x: 0, y: 1 } };
    default:
      return { p: { x: b.minX, y: b.minY + (b.maxY - b.minY) * t }, n: { x: -1, y: 0 } };
  }
}
