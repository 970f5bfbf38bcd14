import type { Point, ZoneKind } from '@storesense/firmware-config';
import { add, along, edgeLengthM, inRect, inward, q, SIDES, type Rect, type Side, type SiteBuilder } from './site-builder.js';

/**
 * Zoning and receiver placement shared by the walled-store families (boutique, department store,
 * flagship, anchor, food court): a strip along every door wall (entrance zones at the doors, window
 * or front-table zones between them), the rest a grid of departments with checkout, fitting,
 * service and escalator cells; receivers at the doors, on the sales floor and in the mall.
 */

export interface Door {
  id: string;
  side: Side;
  floor: number;
  at: Point;
  widthM: number;
  zoneId: string | undefined;
}

export interface Cell {
  id: string;
  kind: ZoneKind;
  rect: Rect;
}

export interface FloorZones {
  floor: number;
  inner: Rect;
  cells: Cell[];
  escalatorZoneId: string | undefined;
}

/** Departments cells are named after (fashion-led, the usual mall mix). */
export const DEPARTMENTS = [
  'Womenswear',
  'Menswear',
  'Shoes',
  'Accessories',
  'Handbags',
  'Beauty',
  'Fragrance',
  'Jewellery',
  'Watches',
  'Kids',
  'Home',
  'Lingerie',
  'Sportswear',
  'Denim',
  'Outerwear',
  'Knitwear',
  'Tableware',
  'Electronics',
  'Toys',
  'Books',
  'Travel goods',
  'Eyewear',
  'Gifts',
  'New season',
  'Sale',
  'Tailoring',
  'Swimwear',
  'Stationery',
] as const;

/** Door-wall strips are 1.5-3 m deep: a window bay or a "landing zone" inside the door (Underhill, "Why We Buy", 1999, on the decompression zone). */
export function drawStripDepthM(b: SiteBuilder): number {
  return q(b.rng.uniform(1.5, 3));
}

export interface ZoningOptions {
  stripSides: readonly Side[];
  stripDepthM: number;
  /** Target department cell edge, metres. */
  cellM: number;
  /** Special cells on this floor (each one cell). */
  special: readonly ZoneKind[];
  /** Grid cell index (row-major) of the escalator, the same on every floor of a multi-floor store. */
  escalatorCell?: number;
  windowChance: number;
  names: string[];
  /** The part of the footprint to zone (default all of it). */
  within?: Rect;
}

/** The grid a footprint's inner rect is cut into (same on every floor of a store). */
export function innerGrid(
  b: SiteBuilder,
  stripSides: readonly Side[],
  stripDepthM: number,
  cellM: number,
  within?: Rect,
): { inner: Rect; cols: number; rows: number } {
  const f = within ?? b.footprint;
  const s = (side: Side) => (stripSides.includes(side) ? stripDepthM : 0);
  const inner = { x: f.x + s('west'), y: f.y + s('south'), w: f.w - s('west') - s('east'), h: f.h - s('south') - s('north') };
  return { inner, cols: Math.max(1, Math.round(inner.w / cellM)), rows: Math.max(1, Math.round(inner.h / cellM)) };
}

const DWELL_MS: Partial<Record<ZoneKind, number>> = { entrance: 20_000, checkout: 20_000, fitting: 60_000, escalator: 60_000 };
const SPECIAL_NAMES: Partial<Record<ZoneKind, string>> = {
  checkout: 'Checkout',
  fitting: 'Fitting rooms',
  service: 'Customer service',
  escalator: 'Escalators',
};

/** Zones for one floor; doors on this floor get their entrance zones. */
export function zoneFloor(b: SiteBuilder, floor: number, doors: Door[], o: ZoningOptions): FloorZones {
  const f = o.within ?? b.footprint;
  const s = (side: Side) => (o.stripSides.includes(side) ? o.stripDepthM : 0);
  const cells: Cell[] = [];
  for (const side of SIDES) {
    if (!o.stripSides.includes(side)) continue;
    const d = o.stripDepthM;
    // South and north strips run the full width; west and east ones fit between them.
    const lo = side === 'south' || side === 'north' ? 0 : s('south');
    const hi = side === 'south' || side === 'north' ? f.w : f.h - s('north');
    const stripRect = (t0: number, t1: number): Rect => {
      if (side === 'south') return { x: f.x + t0, y: f.y, w: t1 - t0, h: d };
      if (side === 'north') return { x: f.x + t0, y: f.y + f.h - d, w: t1 - t0, h: d };
      if (side === 'west') return { x: f.x, y: f.y + t0, w: d, h: t1 - t0 };
      return { x: f.x + f.w - d, y: f.y + t0, w: d, h: t1 - t0 };
    };
    const here = doors.filter((x) => x.side === side && x.floor === floor);
    const spans = here
      .map((x) => {
        const t = side === 'south' || side === 'north' ? x.at.x - f.x : x.at.y - f.y;
        return { door: x, t0: Math.max(lo, t - x.widthM / 2 - 0.75), t1: Math.min(hi, t + x.widthM / 2 + 0.75) };
      })
      .sort((a, c) => a.t0 - c.t0);
    let cursor = lo;
    const gap = (t0: number, t1: number) => {
      if (t1 - t0 < 1) return;
      const window = b.rng.chance(here.length > 0 ? o.windowChance : o.windowChance / 2);
      const id = window ? b.zoneIn('window', 'Window display', floor, stripRect(t0, t1)) : b.zoneIn('sales', 'Front tables', floor, stripRect(t0, t1));
      if (id !== undefined) cells.push({ id, kind: window ? 'window' : 'sales', rect: stripRect(t0, t1) });
    };
    for (const sp of spans) {
      const t0 = Math.max(cursor, sp.t0);
      gap(cursor, t0);
      const id = b.zoneIn('entrance', 'Entrance', floor, stripRect(t0, sp.t1), DWELL_MS.entrance);
      sp.door.zoneId = id;
      if (id !== undefined) cells.push({ id, kind: 'entrance', rect: stripRect(t0, sp.t1) });
      cursor = sp.t1;
    }
    gap(cursor, hi);
  }
  const { inner, cols, rows } = innerGrid(b, o.stripSides, o.stripDepthM, o.cellM, o.within);
  const cw = inner.w / cols;
  const ch = inner.h / rows;
  const kinds: (ZoneKind | undefined)[] = new Array<ZoneKind | undefined>(cols * rows).fill(undefined);
  if (o.escalatorCell !== undefined) kinds[o.escalatorCell % kinds.length] = 'escalator';
  for (const k of o.special) {
    const free = kinds.map((x, i) => (x === undefined ? i : -1)).filter((i) => i >= 0);
    // Keep at least one department on the floor.
    if (free.length <= 1) break;
    kinds[b.rng.pick(free)] = k;
  }
  let escalatorZoneId: string | undefined;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const kind = kinds[r * cols + c] ?? 'sales';
      const rect = { x: inner.x + c * cw, y: inner.y + r * ch, w: cw, h: ch };
      const name = kind === 'sales' ? (o.names.length > 0 ? o.names.splice(b.rng.int(o.names.length), 1)[0]! : 'Sales floor') : SPECIAL_NAMES[kind]!;
      const id = b.zoneIn(kind, name, floor, rect, DWELL_MS[kind]);
      if (id === undefined) continue;
      if (kind === 'escalator') escalatorZoneId = id;
      cells.push({ id, kind, rect });
    }
  }
  return { floor, inner, cells, escalatorZoneId };
}

export const centre = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

/** A random point in r, `marginM` from its edges (less where r is small), inside the footprint. */
export function pointIn(b: SiteBuilder, r: Rect, marginM = 0.5): Point {
  return b.pointIn(r, marginM);
}

/**
 * Sales-floor receivers at one per spacing² of floor (BLE scanners 5-15 m apart: ArcGIS IPS beacon
 * deployment guide, at most 15 m between beacons; Aruba Meridian, ~9 m for wayfinding), spread over
 * distinct cells, at most `max`.
 */
export function insideReceivers(b: SiteBuilder, fz: FloorZones, spacingM: number, max: number): void {
  const area = fz.inner.w * fz.inner.h;
  const n = Math.min(max, Math.max(1, Math.round(area / (spacingM * spacingM))));
  const cells = fz.cells.filter((c) => c.kind === 'sales' || c.kind === 'fitting' || c.kind === 'service').filter((c) => inRect(centre(c.rect), fz.inner));
  const pool = cells.length > 0 ? [...cells] : [{ id: '', kind: 'sales' as const, rect: fz.inner }];
  for (let i = 0; i < n; i++) {
    if (pool.length === 0) pool.push(...cells);
    const cell = pool.splice(b.rng.int(pool.length), 1)[0]!;
    const p = pointIn(b, cell.rect, 1);
    b.receiver('inside', fz.floor, p, b.zoneAt(fz.floor, p));
  }
}

/** Checkout and escalator receivers over their zones (each with probability `chance`). */
export function serviceReceivers(b: SiteBuilder, fz: FloorZones, checkoutChance: number, escalatorChance: number): void {
  for (const c of fz.cells) {
    if (c.kind === 'checkout' && b.rng.chance(checkoutChance)) b.receiver('checkout', fz.floor, pointIn(b, c.rect, 1), c.id);
    if (c.kind === 'escalator' && b.rng.chance(escalatorChance)) b.receiver('escalator', fz.floor, pointIn(b, c.rect, 1), c.id);
  }
}

/** One or two tills per checkout zone. */
export function tills(b: SiteBuilder, fz: FloorZones): void {
  for (const c of fz.cells) {
    if (c.kind !== 'checkout') continue;
    const n = b.rng.intBetween(1, 2);
    for (let i = 0; i < n; i++) b.pos(fz.floor, pointIn(b, c.rect, 0.5), c.id);
  }
}

export interface DoorKit {
  entranceChance: number;
  storefrontChance: number;
  cameraChance: number;
  /** How far outside the wall a storefront receiver may hang (corridor ceiling or façade), metres. */
  storefrontOutM: number;
}

/** Receivers and cameras at each door: entrance 0.3-2 m inside (over the door to the first fixture), storefront 1-2.5 m outside. */
export function doorDevices(b: SiteBuilder, doors: Door[], kit: DoorKit): void {
  for (const d of doors) {
    const n = inward(d.side);
    const a = along(d.side);
    if (b.rng.chance(kit.entranceChance)) {
      const p = add(add(d.at, n, b.rng.uniform(0.3, 2)), a, b.rng.uniform(-0.5, 0.5) * d.widthM);
      b.receiver('entrance', d.floor, p, b.zoneAt(d.floor, p));
    }
    if (b.rng.chance(kit.storefrontChance)) {
      const p = add(add(d.at, n, -b.rng.uniform(1, kit.storefrontOutM)), a, b.rng.uniform(-2, 2));
      b.receiver('storefront', d.floor, p, b.areaAt(d.floor, p));
    }
    if (b.rng.chance(kit.cameraChance)) {
      const p = add(d.at, n, 1.5);
      b.camera(d.floor, p, b.zoneAt(d.floor, p));
    }
  }
}

/**
 * A mall corridor (or street pavement) along one wall: `widthM` wide, `gapM` off the wall, running
 * `extM` past each end of the footprint. Mallway widths run from ~4 m in small centres to 13-21 m
 * in regional malls (Graham's 44 ft Northgate mallway against Gruen's up to 70 ft, Mall Hall of
 * Fame); pavements 2-6 m.
 */
export function corridorAlong(
  b: SiteBuilder,
  side: Side,
  floor: number,
  name: string,
  widthM: number,
  gapM: number,
  extM: readonly [number, number],
): { id: string; rect: Rect } {
  const f = b.footprint;
  const len = edgeLengthM(side, f.w, f.h) + extM[0] + extM[1];
  let rect: Rect;
  if (side === 'south') rect = { x: f.x - extM[0], y: f.y - gapM - widthM, w: len, h: widthM };
  else if (side === 'north') rect = { x: f.x - extM[0], y: f.y + f.h + gapM, w: len, h: widthM };
  else if (side === 'west') rect = { x: f.x - gapM - widthM, y: f.y - extM[0], w: widthM, h: len };
  else rect = { x: f.x + f.w + gapM, y: f.y - extM[0], w: widthM, h: len };
  const id = b.area(name, floor, rect);
  return { id, rect: b.areas.find((a) => a.id === id)!.rect };
}

/** `count` mall receivers (no store) in a corridor, at least `minFromStoreM` beyond the footprint's ends along it. */
export function corridorReceivers(b: SiteBuilder, corridor: { id: string; rect: Rect }, floor: number, side: Side, count: number, minFromStoreM: number): void {
  const f = b.footprint;
  const r = corridor.rect;
  const horizontal = side === 'south' || side === 'north';
  for (let i = 0; i < count; i++) {
    const before = b.rng.chance(0.5);
    const lateral = horizontal ? b.rng.uniform(r.y + 0.5, r.y + r.h - 0.5) : b.rng.uniform(r.x + 0.5, r.x + r.w - 0.5);
    const [lo, hi] = horizontal ? [r.x, r.x + r.w] : [r.y, r.y + r.h];
    const [s0, s1] = horizontal ? [f.x, f.x + f.w] : [f.y, f.y + f.h];
    const t = before ? b.rng.uniform(lo + 1, Math.max(lo + 1, s0 - minFromStoreM)) : b.rng.uniform(Math.min(hi - 1, s1 + minFromStoreM), hi - 1);
    const p = horizontal ? { x: t, y: lateral } : { x: lateral, y: t };
    b.receiver('corridor', floor, p, corridor.id, true);
  }
}

/**
 * A mall receiver across the corridor from the store (mall operators hang theirs along the
 * mallway, not only far from any shop): the far half of the walkway, within the store's frontage.
 */
export function acrossReceiver(
  b: SiteBuilder,
  corridor: { id: string; rect: Rect },
  floor: number,
  side: Side,
  role: 'corridor' | 'escalator' = 'corridor',
): void {
  const f = b.footprint;
  const r = corridor.rect;
  let p: Point;
  if (side === 'south') p = { x: b.rng.uniform(f.x, f.x + f.w), y: b.rng.uniform(r.y + 0.5, r.y + r.h / 2) };
  else if (side === 'north') p = { x: b.rng.uniform(f.x, f.x + f.w), y: b.rng.uniform(r.y + r.h / 2, r.y + r.h - 0.5) };
  else if (side === 'west') p = { x: b.rng.uniform(r.x + 0.5, r.x + r.w / 2), y: b.rng.uniform(f.y, f.y + f.h) };
  else p = { x: b.rng.uniform(r.x + r.w / 2, r.x + r.w - 0.5), y: b.rng.uniform(f.y, f.y + f.h) };
  b.receiver(role, floor, p, corridor.id, true);
}
