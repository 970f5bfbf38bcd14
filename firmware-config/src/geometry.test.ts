import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { distanceM, pointInShape, shapeAreaM2, shapeBounds, shapeCenter, shapePolygon, storeAt, zoneAt } from './geometry.js';
import { exampleSitePath } from './paths.js';
import { loadSiteFile } from './site.loader.js';
import { renderGatewayConfig } from './gateway-config.render.js';
import type { Shape } from './site.schema.js';

const rect: Shape = { rect: { x: 0, y: 0, w: 4, h: 2 } };
// An L: 4x4 square minus its north-east 2x2 quarter (concave, area 12).
const ell: Shape = {
  polygon: [
    { x: 0, y: 0 },
    { x: 4, y: 0 },
    { x: 4, y: 2 },
    { x: 2, y: 2 },
    { x: 2, y: 4 },
    { x: 0, y: 4 },
  ],
};
const triangleCw: Shape = {
  polygon: [
    { x: 0, y: 0 },
    { x: 0, y: 3 },
    { x: 3, y: 0 },
  ],
};

describe('pointInShape', () => {
  it.each([
    ['rect interior', rect, 1, 1, true],
    ['rect corner', rect, 0, 0, true],
    ['rect edge', rect, 4, 1, true],
    ['rect outside east', rect, 4.01, 1, false],
    ['rect outside south', rect, 2, -0.01, false],
    ['L interior (south-west arm)', ell, 1, 3, true],
    ['L interior (south-east arm)', ell, 3, 1, true],
    ['L notch (outside)', ell, 3, 3, false],
    ['L reflex vertex', ell, 2, 2, true],
    ['L inner edge', ell, 3, 2, true],
    ['L far outside', ell, -1, 1, false],
    ['triangle (clockwise) interior', triangleCw, 1, 1, true],
    ['triangle hypotenuse', triangleCw, 1.5, 1.5, true],
    ['triangle beyond hypotenuse', triangleCw, 2, 2, false],
  ] as const)('%s', (_name, shape, x, y, expected) => {
    expect(pointInShape({ x, y }, shape)).toBe(expected);
  });
});

describe('shape metrics', () => {
  it.each([
    ['rect', rect, { x: 2, y: 1 }, 8, { minX: 0, minY: 0, maxX: 4, maxY: 2 }],
    ['L', ell, { x: 5 / 3, y: 5 / 3 }, 12, { minX: 0, minY: 0, maxX: 4, maxY: 4 }],
    ['clockwise triangle', triangleCw, { x: 1, y: 1 }, 4.5, { minX: 0, minY: 0, maxX: 3, maxY: 3 }],
  ] as const)('%s: centre, area, bounds', (_name, shape, center, area, bounds) => {
    const c = shapeCenter(shape);
    expect(c.x).toBeCloseTo(center.x, 9);
    expect(c.y).toBeCloseTo(center.y, 9);
    expect(shapeAreaM2(shape)).toBeCloseTo(area, 9);
    expect(shapeBounds(shape)).toEqual(bounds);
  });

  it('falls back to the vertex mean for a degenerate polygon', () => {
    expect(
      shapeCenter({
        polygon: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
          { x: 2, y: 2 },
        ],
      }),
    ).toEqual({ x: 1, y: 1 });
  });

  it('measures distance in metres', () => {
    expect(distanceM({ x: 0, y: 0 }, { x: 3, y: 4 })).toBe(5);
  });
});

describe('zoneAt / storeAt on the dept-store example', () => {
  const r = loadSiteFile(exampleSitePath('dept-store'));
  if (!r.ok) throw new Error(r.error);
  const site = r.value;
  const config = renderGatewayConfig(site, 'gw-dept-1');

  it.each([
    ['just inside the door', 0, 24, 1, 'entrance'],
    ['corridor in front of the door', 0, 24, -3, 'corridor-g'],
    ['far corridor', 0, -22, -4, 'corridor-g'],
    ['cosmetics', 0, 5, 5, 'cosmetics'],
    ['ground floor escalators', 0, 24, 27, 'escalator-0'],
    ['level 1 escalators (same x, y, other floor)', 1, 24, 27, 'escalator-1'],
    ['level 2 menswear', 2, 10, 10, 'menswear'],
    ['level 1 checkout', 1, 45, 30, 'checkout-1'],
    ['aisle between zones', 0, 24, 19, undefined],
    ['outside everything', 0, 100, 100, undefined],
    ['corridor has no level 1 counterpart', 1, 24, -3, undefined],
  ] as const)('%s', (_name, floor, x, y, expected) => {
    expect(zoneAt(site, floor, { x, y })?.id).toBe(expected);
    expect(zoneAt(config, floor, { x, y })?.id).toBe(expected);
  });

  it('prefers the smaller zone where zones nest', () => {
    const nested = {
      stores: [
        {
          ...site.stores[0]!,
          zones: [
            { id: 'big', name: 'Big', kind: 'sales' as const, floor: 0, shape: { rect: { x: 0, y: 0, w: 10, h: 10 } } },
            { id: 'small', name: 'Small', kind: 'sales' as const, floor: 0, shape: { rect: { x: 2, y: 2, w: 2, h: 2 } } },
          ],
        },
      ],
      areas: [],
    };
    expect(zoneAt(nested, 0, { x: 3, y: 3 })?.id).toBe('small');
    expect(zoneAt(nested, 0, { x: 8, y: 8 })?.id).toBe('big');
  });

  it('finds the store by footprint on the floors it occupies', () => {
    expect(storeAt(site, 2, { x: 10, y: 10 })?.id).toBe('dept-store');
    expect(storeAt(site, 3, { x: 10, y: 10 })).toBeUndefined();
    expect(storeAt(site, 0, { x: 24, y: -3 })).toBeUndefined();
  });
});

describe('geometry properties', () => {
  const coord = fc.double({ min: -1000, max: 1000, noNaN: true });
  const size = fc.double({ min: 0.01, max: 500, noNaN: true });
  const rectArb = fc.record({ x: coord, y: coord, w: size, h: size });

  it('a rect and the polygon of its corners agree on containment, area and centre', () => {
    fc.assert(
      fc.property(rectArb, coord, coord, (r, px, py) => {
        const asRect: Shape = { rect: r };
        const asPoly: Shape = { polygon: shapePolygon(asRect) };
        const p = { x: px, y: py };
        // Points within 1e-9 of an edge may round either way; skip that sliver.
        const nearEdge = Math.min(Math.abs(px - r.x), Math.abs(px - r.x - r.w), Math.abs(py - r.y), Math.abs(py - r.y - r.h)) < 1e-6;
        if (!nearEdge) expect(pointInShape(p, asPoly)).toBe(pointInShape(p, asRect));
        expect(shapeAreaM2(asPoly)).toBeCloseTo(shapeAreaM2(asRect), 3);
        const c = shapeCenter(asPoly);
        expect(c.x).toBeCloseTo(shapeCenter(asRect).x, 3);
        expect(c.y).toBeCloseTo(shapeCenter(asRect).y, 3);
        expect(pointInShape(shapeCenter(asRect), asRect)).toBe(true);
      }),
    );
  });

  it('a point is inside a shape only if it is inside its bounds (within tolerance)', () => {
    const poly = fc.array(fc.record({ x: coord, y: coord }), { minLength: 3, maxLength: 8 });
    fc.assert(
      fc.property(poly, coord, coord, (pts, px, py) => {
        const shape: Shape = { polygon: pts };
        const b = shapeBounds(shape);
        // Boundary tests carry a 1e-9 m tolerance, so allow that much outside the bounds.
        const tol = 1e-6;
        if (pointInShape({ x: px, y: py }, shape)) expect(px >= b.minX - tol && px <= b.maxX + tol && py >= b.minY - tol && py <= b.maxY + tol).toBe(true);
      }),
    );
  });
});
