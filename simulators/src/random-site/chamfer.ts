import type { Point } from '@storesense/firmware-config';
import { q, SIDES, type Rect, type Side } from './site-builder.js';

/**
 * A footprint with one corner cut at 45 degrees (a splayed corner unit, or a store wrapped round a
 * column or a service core): the footprint becomes a convex pentagon, zones crossing the cut are
 * clipped to polygons. The cut is at 45 degrees with legs on the 0.25 m grid, so every clipped
 * vertex lands on the grid too (x + y = leg), and shapes stay exact.
 */
export const CORNERS = ['sw', 'se', 'ne', 'nw'] as const;
export type Corner = (typeof CORNERS)[number];

export interface Chamfer {
  corner: Corner;
  legM: number;
}

function cornerPoint(r: Rect, c: Corner): Point {
  return { x: c === 'sw' || c === 'nw' ? r.x : r.x + r.w, y: c === 'sw' || c === 'se' ? r.y : r.y + r.h };
}

/** How far p is inside the cut line, in "leg" units (>= 0 is kept): sx (x - cx) + sy (y - cy) - leg. */
function keep(r: Rect, c: Chamfer, p: Point): number {
  const v = cornerPoint(r, c.corner);
  const sx = c.corner === 'sw' || c.corner === 'nw' ? 1 : -1;
  const sy = c.corner === 'sw' || c.corner === 'se' ? 1 : -1;
  return sx * (p.x - v.x) + sy * (p.y - v.y) - c.legM;
}

/** True when p is in the kept part, at least `marginM` from the cut line. */
export function keepsPoint(r: Rect, c: Chamfer, p: Point, marginM = 0): boolean {
  return keep(r, c, p) / Math.SQRT2 >= marginM;
}

/** The corner of `rect` farthest from the cut (always kept when anything of rect is). */
export function farCorner(footprint: Rect, c: Chamfer, rect: Rect): Point {
  const corners = rectCorners(rect);
  return corners.reduce((best, p) => (keep(footprint, c, p) > keep(footprint, c, best) ? p : best), corners[0]!);
}

function rectCorners(r: Rect): Point[] {
  return [
    { x: r.x, y: r.y },
    { x: r.x + r.w, y: r.y },
    { x: r.x + r.w, y: r.y + r.h },
    { x: r.x, y: r.y + r.h },
  ];
}

/** The footprint polygon, anticlockwise from the south-west (the cut corner replaced by two vertices). */
export function chamferPolygon(r: Rect, c: Chamfer): Point[] {
  const i = CORNERS.indexOf(c.corner);
  const v = rectCorners(r);
  // Edge directions of the rect's polygon: south east-bound, east north-bound, north west-bound, west south-bound.
  const dirs = [
    { x: 1, y: 0 },
    { x: 0, y: 1 },
    { x: -1, y: 0 },
    { x: 0, y: -1 },
  ];
  const before = dirs[(i + 3) % 4]!;
  const after = dirs[i]!;
  const corner = v[i]!;
  const pin = { x: corner.x - before.x * c.legM, y: corner.y - before.y * c.legM };
  const pout = { x: corner.x + after.x * c.legM, y: corner.y + after.y * c.legM };
  return [...v.slice(0, i), pin, pout, ...v.slice(i + 1)];
}

/** The wall each polygon edge is, in polygon order: the rect's sides with 'chamfer' at the cut corner. */
export function chamferEdges(c: Chamfer): (Side | 'chamfer')[] {
  const i = CORNERS.indexOf(c.corner);
  return [...SIDES.slice(0, i), 'chamfer', ...SIDES.slice(i)];
}

/**
 * `rect` clipped to the kept part (Sutherland-Hodgman against the cut line): 'whole' when the cut
 * misses it, a polygon when it crosses it, undefined when less than 1 m² is left.
 */
export function clipRect(footprint: Rect, c: Chamfer, rect: Rect): 'whole' | Point[] | undefined {
  const pts = rectCorners(rect);
  const f = pts.map((p) => keep(footprint, c, p));
  if (f.every((x) => x >= 0)) return 'whole';
  const out: Point[] = [];
  for (let i = 0; i < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[(i + 1) % pts.length]!;
    const fa = f[i]!;
    const fb = f[(i + 1) % pts.length]!;
    if (fa >= 0) out.push(a);
    if (fa >= 0 !== fb >= 0) {
      const t = fa / (fa - fb);
      out.push({ x: q(a.x + (b.x - a.x) * t), y: q(a.y + (b.y - a.y) * t) });
    }
  }
  const poly: Point[] = [];
  for (const p of out) {
    const last = poly[poly.length - 1];
    if (last === undefined || last.x !== p.x || last.y !== p.y) poly.push(p);
  }
  while (poly.length > 1 && poly[0]!.x === poly[poly.length - 1]!.x && poly[0]!.y === poly[poly.length - 1]!.y) poly.pop();
  if (poly.length < 3) return undefined;
  let twice = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return Math.abs(twice) / 2 < 1 ? undefined : poly;
}
