import { pointInShape, shapeAreaM2 } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { chamferEdges, chamferPolygon, clipRect, keepsPoint } from './chamfer.js';

const f = { x: 0, y: 0, w: 10, h: 8 };

describe('chamfered footprint', () => {
  it('replaces the cut corner by two vertices, anticlockwise, and names the edges in polygon order', () => {
    expect(chamferPolygon(f, { corner: 'sw', legM: 2 })).toEqual([
      { x: 0, y: 2 },
      { x: 2, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 8 },
      { x: 0, y: 8 },
    ]);
    expect(chamferPolygon(f, { corner: 'ne', legM: 3 })).toEqual([
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 5 },
      { x: 7, y: 8 },
      { x: 0, y: 8 },
    ]);
    expect(chamferEdges({ corner: 'sw', legM: 2 })).toEqual(['chamfer', 'south', 'east', 'north', 'west']);
    expect(chamferEdges({ corner: 'ne', legM: 2 })).toEqual(['south', 'east', 'chamfer', 'north', 'west']);
    expect(shapeAreaM2({ polygon: chamferPolygon(f, { corner: 'se', legM: 2 }) })).toBeCloseTo(80 - 2, 9);
  });

  it('clips rects: whole when the cut misses, a grid polygon when it crosses, nothing when under 1 m² is left', () => {
    const cut = { corner: 'sw' as const, legM: 3 };
    expect(clipRect(f, cut, { x: 4, y: 0, w: 2, h: 2 })).toBe('whole');
    const clipped = clipRect(f, cut, { x: 0, y: 0, w: 4, h: 4 });
    expect(clipped).toEqual([
      { x: 3, y: 0 },
      { x: 4, y: 0 },
      { x: 4, y: 4 },
      { x: 0, y: 4 },
      { x: 0, y: 3 },
    ]);
    expect(shapeAreaM2({ polygon: clipped as { x: number; y: number }[] })).toBeCloseTo(16 - 4.5, 9);
    expect(clipRect(f, cut, { x: 0, y: 0, w: 1.5, h: 1.25 })).toBeUndefined();
    // Every clipped vertex lies in the footprint polygon (the lint's vertex test).
    const footprint = { polygon: chamferPolygon(f, cut) };
    for (const p of clipped as { x: number; y: number }[]) expect(pointInShape(p, footprint)).toBe(true);
  });

  it('keeps points by their distance from the cut line', () => {
    const cut = { corner: 'nw' as const, legM: 2 };
    expect(keepsPoint(f, cut, { x: 0.5, y: 7.5 })).toBe(false);
    expect(keepsPoint(f, cut, { x: 2, y: 6 }, 0.5)).toBe(true);
    expect(keepsPoint(f, cut, { x: 1.2, y: 7 }, 0.5)).toBe(false);
  });
});
