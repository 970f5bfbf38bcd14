import { pointInShape, shapeAreaM2, type Point, type ReceiverRole, type Shape, type ZoneKind } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import { clipRect, farCorner, keepsPoint, type Chamfer } from './chamfer.js';

/**
 * The shared part of every random-site family: a store drawn in a canonical frame (footprint
 * [0, w] x [0, d], x east, y north, the mall edge usually south), mall areas around it, receivers,
 * terminals and one gateway, turned into a site file at the end by a random quarter-turn and shift
 * (so corridors run east-west or north-south and stores face any way). Pure given the Rng.
 */

/** Footprint edges in the order a rect's polygon walks them (shapePolygon: south, east, north, west). */
export const SIDES = ['south', 'east', 'north', 'west'] as const;
export type Side = (typeof SIDES)[number];

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Metres to 0.1 m: a site file is hand-edited, and 10 cm is below any receiver's resolution. */
export const m = (v: number): number => Math.round(v * 10) / 10;
/**
 * Shapes snap to a 0.25 m grid: quarter metres are exact binary fractions, so a zone edge computed
 * as x + w lands exactly on the footprint edge it shares (with 0.1 m steps, 12.3 + 7.1 overshoots
 * 19.4 in floating point and the zone pokes 2e-15 m out of its store).
 */
export const q = (v: number): number => Math.round(v * 4) / 4;

export function snapRect(r: Rect): Rect {
  const x0 = q(r.x);
  const y0 = q(r.y);
  return { x: x0, y: y0, w: q(r.x + r.w) - x0, h: q(r.y + r.h) - y0 };
}

/** dB to 0.5 dB: the resolution installers write calibrations with (the example sites do). */
export const halfDb = (v: number): number => Math.round(v * 2) / 2;

/** Inward unit normal of a canonical footprint edge. */
export function inward(side: Side): Point {
  return side === 'south' ? { x: 0, y: 1 } : side === 'north' ? { x: 0, y: -1 } : side === 'west' ? { x: 1, y: 0 } : { x: -1, y: 0 };
}

/** Length of an edge of a w x d footprint. */
export function edgeLengthM(side: Side, w: number, d: number): number {
  return side === 'south' || side === 'north' ? w : d;
}

/** The point `t` metres along an edge (from its west or south end) of a footprint at `r`. */
export function edgePoint(r: Rect, side: Side, t: number): Point {
  if (side === 'south') return { x: r.x + t, y: r.y };
  if (side === 'north') return { x: r.x + t, y: r.y + r.h };
  if (side === 'west') return { x: r.x, y: r.y + t };
  return { x: r.x + r.w, y: r.y + t };
}

export const add = (p: Point, v: Point, k: number): Point => ({ x: p.x + v.x * k, y: p.y + v.y * k });
/** Unit vector along an edge (towards growing t). */
export const along = (side: Side): Point => (side === 'south' || side === 'north' ? { x: 1, y: 0 } : { x: 0, y: 1 });

export interface ZoneDraft {
  id: string;
  name: string;
  kind: ZoneKind;
  floor: number;
  /** Bounds; the zone itself when `polygon` is absent. */
  rect: Rect;
  /** The zone clipped by a chamfered footprint corner. */
  polygon?: Point[];
  dwellThresholdMs?: number;
}

interface ReceiverDraft {
  id: string;
  role: ReceiverRole;
  floor: number;
  position: Point;
  storeId?: string;
  zoneId?: string;
  calibration: { rssiOffsetDb: number; refRssiAt1mDbm: number; pathLossExponent: number };
}

interface TerminalDraft {
  id: string;
  kind: 'pos' | 'entrance_camera';
  floor: number;
  position: Point;
  zoneId?: string;
  recall: number;
}

/**
 * Per-site calibration style. Installers rarely measure every node: the 1-m level of cheap ESP32
 * and beacon scanners spreads by several dB between units (the flagship: −54 to −66 dBm),
 * and reporting offsets of ±1-3 dB are common (ESPresense nodes carry a per-node `rx_adj_rssi`
 * receive adjustment and a `tx_ref_rssi` for exactly this). Some sites are tightly calibrated,
 * others not at all.
 */
export interface CalibrationStyle {
  refCentreDbm: number;
  refSpreadDb: number;
  offsetSigmaDb: number;
}

export function drawCalibrationStyle(rng: Rng): CalibrationStyle {
  const loose = rng.chance(0.5);
  return {
    refCentreDbm: rng.uniform(-61, -57),
    refSpreadDb: loose ? rng.uniform(3, 6) : rng.uniform(0, 1.5),
    offsetSigmaDb: loose ? rng.uniform(1, 2.5) : rng.uniform(0, 1),
  };
}

/**
 * Path-loss exponents by where a receiver hangs: ~2 in open corridors (free space), 2.2-2.8 among
 * shelving and racks, up to 3 in fitting rooms and by escalator machinery (indoor n of 1.6-3.3 in
 * Rappaport, "Wireless Communications", 2nd ed., table 4.2, for retail and office buildings).
 */
const EXPONENT_RANGE: Readonly<Record<ReceiverRole, readonly [number, number]>> = {
  corridor: [1.8, 2.2],
  storefront: [1.9, 2.3],
  entrance: [2.0, 2.5],
  inside: [2.2, 2.8],
  checkout: [2.3, 2.7],
  escalator: [2.4, 3.0],
};

export class SiteBuilder {
  readonly zones: ZoneDraft[] = [];
  readonly areas: ZoneDraft[] = [];
  readonly receivers: ReceiverDraft[] = [];
  readonly terminals: TerminalDraft[] = [];
  readonly entrances: { id: string; floor: number; at: Point; widthM: number; side: Side }[] = [];
  /**
   * Wall loss per canonical edge (and the cut corner's edge), dB: 0 for an open front or kiosk,
   * 2-6 dB for glass and plasterboard shopfronts (ITU-R P.2040 order of magnitude at 2.4 GHz).
   */
  readonly wallDb: Record<Side | 'chamfer', number> = { south: 3, east: 3, north: 3, west: 3, chamfer: 3 };
  private readonly counters = new Map<string, number>();
  /** Footprint bounds (the footprint itself unless `cut` chamfers a corner). */
  readonly footprint: Rect;
  /** A chamfered corner; set before any zone is drawn. */
  cut: Chamfer | undefined;

  constructor(
    readonly rng: Rng,
    readonly storeId: string,
    footprint: Rect,
    readonly floors: readonly number[],
    readonly calibration: CalibrationStyle,
  ) {
    this.footprint = snapRect(footprint);
  }

  /** `prefix-1`, `prefix-2`, ... unique per prefix. */
  nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}-${n}`;
  }

  /** A zone clipped to the footprint; undefined when a chamfered corner leaves less than 1 m² of it. */
  zoneIn(kind: ZoneKind, name: string, floor: number, rect: Rect, dwellThresholdMs?: number): string | undefined {
    const snapped = snapRect(rect);
    const clipped = this.cut === undefined ? 'whole' : clipRect(this.footprint, this.cut, snapped);
    if (clipped === undefined) return undefined;
    const id = this.nextId(`${kind}-f${floor}`);
    this.zones.push({
      id,
      name,
      kind,
      floor,
      rect: snapped,
      ...(clipped !== 'whole' ? { polygon: clipped } : {}),
      ...(dwellThresholdMs !== undefined ? { dwellThresholdMs } : {}),
    });
    return id;
  }

  /** A zone that no cut can remove (stores without a chamfer). */
  zone(kind: ZoneKind, name: string, floor: number, rect: Rect, dwellThresholdMs?: number): string {
    const id = this.zoneIn(kind, name, floor, rect, dwellThresholdMs);
    if (id === undefined) throw new Error(`zone ${name} lies in the cut corner`);
    return id;
  }

  /** True when p is inside the footprint, `marginM` clear of a chamfered corner. */
  inside(p: Point, marginM = 0): boolean {
    return inRect(p, this.footprint) && (this.cut === undefined || keepsPoint(this.footprint, this.cut, p, marginM));
  }

  /** A random point in r that is inside the footprint (margins as pointIn's), for devices. */
  pointIn(r: Rect, marginM = 0.5): Point {
    const mx = Math.min(marginM, r.w / 4);
    const my = Math.min(marginM, r.h / 4);
    for (let i = 0; i < 32; i++) {
      const p = { x: this.rng.uniform(r.x + mx, r.x + r.w - mx), y: this.rng.uniform(r.y + my, r.y + r.h - my) };
      if (this.inside(p, marginM)) return p;
    }
    // The corner farthest from the cut, pulled in: inside whenever anything of r is.
    const c = this.cut === undefined ? { x: r.x, y: r.y } : farCorner(this.footprint, this.cut, r);
    return { x: c.x + (c.x > r.x ? -mx : mx), y: c.y + (c.y > r.y ? -my : my) };
  }

  area(name: string, floor: number, rect: Rect): string {
    const id = this.nextId(`corridor-f${floor}`);
    this.areas.push({ id, name, kind: 'corridor', floor, rect: snapRect(rect) });
    return id;
  }

  entrance(side: Side, t: number, floor: number, widthM: number): { id: string; at: Point } {
    const id = this.nextId(`door-${side}`);
    const at = edgePoint(this.footprint, side, t);
    this.entrances.push({ id, floor, at, widthM: m(widthM), side });
    return { id, at };
  }

  /** A receiver with this site's calibration style; store-side and storefront receivers belong to the store. */
  receiver(role: ReceiverRole, floor: number, position: Point, zoneId: string | undefined, mall = false): string {
    const c = this.calibration;
    const [lo, hi] = EXPONENT_RANGE[role];
    const id = this.nextId(`rx-${role}`);
    this.receivers.push({
      id,
      role,
      floor,
      position,
      ...(mall ? {} : { storeId: this.storeId }),
      ...(zoneId !== undefined ? { zoneId } : {}),
      calibration: {
        rssiOffsetDb: halfDb(Math.max(-6, Math.min(6, this.rng.normal(0, c.offsetSigmaDb)))),
        refRssiAt1mDbm: halfDb(c.refCentreDbm + this.rng.uniform(-c.refSpreadDb, c.refSpreadDb)),
        pathLossExponent: m(this.rng.uniform(lo, hi)),
      },
    });
    return id;
  }

  /** POS tills: the brief's terminals report most true sales; recall 0.9-0.995. */
  pos(floor: number, position: Point, zoneId: string): void {
    this.terminals.push({ id: this.nextId('pos'), kind: 'pos', floor, position, zoneId, recall: Math.round(this.rng.uniform(0.9, 0.995) * 200) / 200 });
  }

  /** Entrance people counters miss some crossings in crowds: recall 0.85-0.97. */
  camera(floor: number, position: Point, zoneId: string | undefined): void {
    this.terminals.push({
      id: this.nextId('cam'),
      kind: 'entrance_camera',
      floor,
      position,
      ...(zoneId !== undefined ? { zoneId } : {}),
      recall: Math.round(this.rng.uniform(0.85, 0.97) * 100) / 100,
    });
  }

  /** The zone of this store containing p on `floor` (smallest first), if any. */
  zoneAt(floor: number, p: Point): string | undefined {
    let best: { id: string; areaM2: number } | undefined;
    for (const z of this.zones) {
      if (z.floor !== floor || !pointInShape(p, zoneShape(z))) continue;
      const areaM2 = shapeAreaM2(zoneShape(z));
      if (best === undefined || areaM2 < best.areaM2) best = { id: z.id, areaM2 };
    }
    return best?.id;
  }

  /** The mall area containing p on `floor`, if any. */
  areaAt(floor: number, p: Point): string | undefined {
    return this.areas.find((a) => a.floor === floor && inRect(p, a.rect))?.id;
  }
}

function zoneShape(z: ZoneDraft): Shape {
  return z.polygon !== undefined ? { polygon: z.polygon } : { rect: z.rect };
}

export function inRect(p: Point, r: Rect): boolean {
  return p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h;
}
