/**
 * The floor map's arithmetic, kept free of the DOM so Node tests import the built module: the
 * site frame (metres, x east, y north) to SVG user units (y down), a floor's bounds, and the heat
 * scale. Types mirror GET /api/v1/map/site (cloud/src/map/floor-map.ts).
 */
export type Shape = { rect: { x: number; y: number; w: number; h: number } } | { polygon: { x: number; y: number }[] };
export interface Point {
  x: number;
  y: number;
}
export interface MapSite {
  id: string;
  name: string;
  timezone: string;
  floors: { level: number; name: string }[];
  stores: { id: string; name: string; floors: number[]; shape: Shape; entrances: { id: string; floor: number; at: Point; widthM: number }[] }[];
  zones: { id: string; name: string; kind: string; floor: number; storeId?: string; shape: Shape }[];
  receivers: { id: string; kind: string; role: string; floor: number; position: Point; storeId?: string; gatewayIds: string[] }[];
}

export function polygonOf(shape: Shape): Point[] {
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

export interface Frame {
  minX: number;
  maxY: number;
  width: number;
  height: number;
}

/** The box around everything drawn on `level`, with `padM` metres around it. */
export function floorFrame(site: MapSite, level: number, padM = 1.5): Frame {
  const pts: Point[] = [
    ...site.stores.filter((s) => s.floors.includes(level)).flatMap((s) => polygonOf(s.shape)),
    ...site.zones.filter((z) => z.floor === level).flatMap((z) => polygonOf(z.shape)),
    ...site.receivers.filter((r) => r.floor === level).map((r) => r.position),
    ...site.stores.flatMap((s) => s.entrances.filter((e) => e.floor === level).map((e) => e.at)),
  ];
  if (pts.length === 0) return { minX: 0, maxY: 10, width: 10, height: 10 };
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const minX = Math.min(...xs) - padM;
  const maxY = Math.max(...ys) + padM;
  return { minX, maxY, width: Math.max(...xs) + padM - minX, height: maxY - (Math.min(...ys) - padM) };
}

/** SVG coordinates of a site point (y flipped: north is up). */
export const toSvg = (f: Frame, p: Point): Point => ({ x: round(p.x - f.minX), y: round(f.maxY - p.y) });
export const pointsAttr = (f: Frame, shape: Shape): string =>
  polygonOf(shape)
    .map((p) => toSvg(f, p))
    .map((p) => `${p.x},${p.y}`)
    .join(' ');
const round = (n: number): number => Math.round(n * 100) / 100;

/** The centre of a shape's bounding box: where its label goes. */
export function labelPoint(shape: Shape): Point {
  const pts = polygonOf(shape);
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  return { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2 };
}

/**
 * Heat steps: upper bounds of people per zone, each with a fill. Absolute counts rather than a
 * scale relative to the busiest zone, so one colour means the same crowd on every floor and frame.
 * Light to dark orange-red (the labels carry a halo, so they stay legible on every step).
 */
export const HEAT_STEPS: readonly { max: number; fill: string }[] = [
  { max: 0, fill: 'none' },
  { max: 1, fill: '#fdd9b5' },
  { max: 3, fill: '#fbb07c' },
  { max: 6, fill: '#f57f4b' },
  { max: 10, fill: '#e0492b' },
  { max: Number.POSITIVE_INFINITY, fill: '#a81d16' },
];

/** The heat step index of a count (0 = empty). */
export function heatStep(count: number): number {
  const i = HEAT_STEPS.findIndex((s) => count <= s.max);
  return i < 0 ? HEAT_STEPS.length - 1 : i;
}

/** The legend's label of step `i`: "1", "2–3", "11+". */
export function heatLabel(i: number): string {
  const lo = i === 0 ? 0 : HEAT_STEPS[i - 1]!.max + 1;
  const hi = HEAT_STEPS[i]!.max;
  return hi === Number.POSITIVE_INFINITY ? `${lo}+` : lo === hi ? String(lo) : `${lo}–${hi}`;
}
