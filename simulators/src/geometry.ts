import { pointInShape, shapeBounds, shapeCenter, shapePolygon, type Point, type Shape } from '@storesense/firmware-config';
import type { Rng } from './random.js';

/**
 * Plane geometry the world needs beyond firmware-config's helpers (pointInShape, shapeCenter,
 * zoneAt live there, so the simulator and the gateway agree on what "inside a zone" means).
 * Metres, x east, y north.
 */

/** Distance from p to the segment a-b. */
export function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/**
 * Unit normal of the shape edge nearest to p, pointing out of the shape: the direction from a door
 * towards the corridor.
 */
export function outwardNormalAt(shape: Shape, p: Point): Point {
  const pts = shapePolygon(shape);
  let best = Infinity;
  let normal: Point = { x: 0, y: -1 };
  for (let i = 0; i < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[(i + 1) % pts.length]!;
    const d = distanceToSegment(p, a, b);
    if (d < best) {
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      best = d;
      normal = { x: (b.y - a.y) / len, y: -(b.x - a.x) / len };
    }
  }
  // Orientation-independent: flip the normal if a small step along it lands inside the shape.
  const probe = 0.05;
  const edgePoint = nearestPointOnOutline(pts, p);
  if (pointInShape({ x: edgePoint.x + normal.x * probe, y: edgePoint.y + normal.y * probe }, shape)) normal = { x: -normal.x, y: -normal.y };
  return normal;
}

function nearestPointOnOutline(pts: Point[], p: Point): Point {
  let best = Infinity;
  let out = p;
  for (let i = 0; i < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[(i + 1) % pts.length]!;
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

/** A uniform random point inside the shape, kept `marginM` away from its bounding box edges. */
export function randomPointInShape(rng: Rng, shape: Shape, marginM = 0.5): Point {
  const b = shapeBounds(shape);
  const mx = Math.min(marginM, (b.maxX - b.minX) / 4);
  const my = Math.min(marginM, (b.maxY - b.minY) / 4);
  for (let i = 0; i < 64; i++) {
    const x = rng.uniform(b.minX + mx, b.maxX - mx);
    const y = rng.uniform(b.minY + my, b.maxY - my);
    const p = { x, y };
    if (pointInShape(p, shape)) return p;
  }
  return shapeCenter(shape);
}
