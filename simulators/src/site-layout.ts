import { pointInShape, shapeAreaM2, shapeBounds, shapeCenter, type Point, type Site, type Store, type Terminal, type Zone } from '@storesense/firmware-config';
import { outwardNormalAt } from './geometry.js';

/**
 * What the world derives once from a site: where the corridor runs in front of each entrance, the
 * points a shopper walks through to get in and out, the zones worth browsing per floor, escalator
 * landings, checkouts and entrance cameras. Pure; no randomness.
 */

/** "Within ~8 m of a store entrance outside the store" (journey semantics: approach). */
export const APPROACH_RADIUS_M = 8;
/** An approach episode ends once the subject is this much farther away (hysteresis against flicker). */
export const APPROACH_HYSTERESIS_M = 2;

/** A straight corridor: shoppers walk from `a` to `b` (or back) at a lateral offset within ±halfWidthM. */
export interface CorridorLine {
  floor: number;
  a: Point;
  b: Point;
  halfWidthM: number;
  /** Unit vector from a to b. */
  axis: Point;
  /** Unit vector across the corridor (left of axis). */
  across: Point;
  areaId?: string;
}

export interface EntranceLayout {
  id: string;
  storeId: string;
  floor: number;
  at: Point;
  /** Unit normal pointing from the store into the corridor. */
  outward: Point;
  /** 2 m outside the door, 2.5 m inside it: the points a shopper walks through. */
  outside: Point;
  inside: Point;
  corridor: CorridorLine;
}

export interface CheckoutLayout {
  terminal: Terminal;
  floor: number;
  /** Where the customer stands to pay. */
  standAt: Point;
}

export interface StoreLayout {
  store: Store;
  entrances: EntranceLayout[];
  /** Zones a shopper browses (sales, fitting, service), per floor. */
  browseZones: Map<number, Zone[]>;
  /** Escalator landing points per floor (zone centres of kind 'escalator', else the footprint centre). */
  escalators: Map<number, Point>;
  checkouts: CheckoutLayout[];
  cameras: Terminal[];
  multiFloor: boolean;
}

export interface SiteLayout {
  site: Site;
  stores: StoreLayout[];
  /** Store zones per floor, smallest area first (firmware-config zoneAt's precedence). */
  storeZonesByFloor: Map<number, { zone: Zone; storeId: string }[]>;
  /** Store footprints per floor. */
  storesByFloor: Map<number, Store[]>;
}

const BROWSE_KINDS = new Set(['sales', 'fitting', 'service']);

export function buildLayout(site: Site): SiteLayout {
  const storeZonesByFloor = new Map<number, { zone: Zone; storeId: string; area: number; order: number }[]>();
  const storesByFloor = new Map<number, Store[]>();
  let order = 0;
  for (const store of site.stores) {
    for (const f of store.floors) push(storesByFloor, f, store);
    for (const zone of store.zones) push(storeZonesByFloor, zone.floor, { zone, storeId: store.id, area: shapeAreaM2(zone.shape), order: order++ });
  }
  for (const list of storeZonesByFloor.values()) list.sort((x, y) => x.area - y.area || x.order - y.order);
  return {
    site,
    stores: site.stores.map((s) => buildStoreLayout(site, s)),
    storeZonesByFloor: new Map([...storeZonesByFloor].map(([f, l]) => [f, l.map(({ zone, storeId }) => ({ zone, storeId }))])),
    storesByFloor,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function buildStoreLayout(site: Site, store: Store): StoreLayout {
  const entrances = store.entrances.map((e): EntranceLayout => {
    const outward = outwardNormalAt(store.shape, e.at);
    const outside = { x: e.at.x + outward.x * 2, y: e.at.y + outward.y * 2 };
    return {
      id: e.id,
      storeId: store.id,
      floor: e.floor,
      at: e.at,
      outward,
      outside,
      inside: { x: e.at.x - outward.x * 2.5, y: e.at.y - outward.y * 2.5 },
      corridor: corridorFor(site, e.floor, outside, outward),
    };
  });
  const browseZones = new Map<number, Zone[]>();
  const escalators = new Map<number, Point>();
  for (const f of store.floors) {
    browseZones.set(
      f,
      store.zones.filter((z) => z.floor === f && BROWSE_KINDS.has(z.kind)),
    );
    const esc = store.zones.find((z) => z.floor === f && z.kind === 'escalator');
    escalators.set(f, esc ? shapeCenter(esc.shape) : shapeCenter(store.shape));
  }
  const centre = shapeCenter(store.shape);
  const checkouts = site.terminals
    .filter((t) => t.storeId === store.id && t.kind === 'pos')
    .map((terminal): CheckoutLayout => {
      // The customer stands about a metre in front of the till, towards the sales floor.
      const dx = centre.x - terminal.position.x;
      const dy = centre.y - terminal.position.y;
      const len = Math.hypot(dx, dy) || 1;
      return { terminal, floor: terminal.floor, standAt: { x: terminal.position.x + (dx / len) * 1, y: terminal.position.y + (dy / len) * 1 } };
    });
  return {
    store,
    entrances,
    browseZones,
    escalators,
    checkouts,
    cameras: site.terminals.filter((t) => t.storeId === store.id && t.kind === 'entrance_camera'),
    multiFloor: store.floors.length > 1,
  };
}

/**
 * The corridor a shopper uses to reach an entrance: the mall 'corridor' area on that floor nearest
 * to the point just outside the door, walked along its long axis; without one, a virtual 80 m
 * corridor 5 m out from the storefront (a stand-alone shop on a street).
 */
export function corridorFor(site: Site, floor: number, outside: Point, outward: Point): CorridorLine {
  const areas = site.areas.filter((a) => a.floor === floor && a.kind === 'corridor');
  let best: Zone | undefined;
  let bestD = Infinity;
  for (const a of areas) {
    const b = shapeBounds(a.shape);
    const dx = Math.max(b.minX - outside.x, 0, outside.x - b.maxX);
    const dy = Math.max(b.minY - outside.y, 0, outside.y - b.maxY);
    const d = pointInShape(outside, a.shape) ? 0 : Math.hypot(dx, dy);
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  if (best !== undefined && bestD < 15) {
    const b = shapeBounds(best.shape);
    const w = b.maxX - b.minX;
    const h = b.maxY - b.minY;
    const line =
      w >= h
        ? { a: { x: b.minX, y: (b.minY + b.maxY) / 2 }, b: { x: b.maxX, y: (b.minY + b.maxY) / 2 }, halfWidthM: h / 2 }
        : { a: { x: (b.minX + b.maxX) / 2, y: b.minY }, b: { x: (b.minX + b.maxX) / 2, y: b.maxY }, halfWidthM: w / 2 };
    return withAxes({ floor, ...line, areaId: best.id });
  }
  const centre = { x: outside.x + outward.x * 3, y: outside.y + outward.y * 3 };
  const along = { x: -outward.y, y: outward.x };
  return withAxes({
    floor,
    a: { x: centre.x - along.x * 40, y: centre.y - along.y * 40 },
    b: { x: centre.x + along.x * 40, y: centre.y + along.y * 40 },
    halfWidthM: 3,
  });
}

function withAxes(c: Omit<CorridorLine, 'axis' | 'across'>): CorridorLine {
  const len = Math.hypot(c.b.x - c.a.x, c.b.y - c.a.y) || 1;
  const axis = { x: (c.b.x - c.a.x) / len, y: (c.b.y - c.a.y) / len };
  return { ...c, axis, across: { x: -axis.y, y: axis.x } };
}

/** The point on the corridor line (at a lateral offset) nearest to `p`. */
export function corridorPointNear(c: CorridorLine, p: Point, offsetM: number): Point {
  const len = Math.hypot(c.b.x - c.a.x, c.b.y - c.a.y);
  const t = Math.max(0, Math.min(len, (p.x - c.a.x) * c.axis.x + (p.y - c.a.y) * c.axis.y));
  return { x: c.a.x + c.axis.x * t + c.across.x * offsetM, y: c.a.y + c.axis.y * t + c.across.y * offsetM };
}

/**
 * Where shoppers come from and go to: `beyondM` past one end of the corridor (0 = a, 1 = b), at a
 * lateral offset, so their signal fades in and out instead of starting at full strength.
 */
export function corridorEnd(c: CorridorLine, end: 0 | 1, offsetM: number, beyondM = CORRIDOR_BEYOND_M): Point {
  const p = end === 0 ? c.a : c.b;
  const s = end === 0 ? -beyondM : beyondM;
  return { x: p.x + c.axis.x * s + c.across.x * offsetM, y: p.y + c.axis.y * s + c.across.y * offsetM };
}

/** How far past a corridor's end shoppers appear and vanish. */
export const CORRIDOR_BEYOND_M = 20;

/** The smallest store zone containing p on `floor` (mall areas never count for dwell). */
export function storeZoneAt(layout: SiteLayout, floor: number, p: Point): { zone: Zone; storeId: string } | undefined {
  const list = layout.storeZonesByFloor.get(floor);
  if (list === undefined) return undefined;
  for (const entry of list) if (pointInShape(p, entry.zone.shape)) return entry;
  return undefined;
}

/** The store whose footprint contains p on `floor`. */
export function storeAtPoint(layout: SiteLayout, floor: number, p: Point): Store | undefined {
  const list = layout.storesByFloor.get(floor);
  if (list === undefined) return undefined;
  for (const s of list) if (pointInShape(p, s.shape)) return s;
  return undefined;
}
