import type { SiteInput, ZoneKind } from '@storesense/firmware-config';
import type { Rng } from '../random.js';
import { CORNERS, type Chamfer } from './chamfer.js';
import { drawCalibrationStyle, q, SiteBuilder, type Rect, type Side } from './site-builder.js';
import { finishSite } from './site-finish.js';
import {
  acrossReceiver,
  corridorAlong,
  corridorReceivers,
  DEPARTMENTS,
  doorDevices,
  drawStripDepthM,
  innerGrid,
  insideReceivers,
  serviceReceivers,
  tills,
  zoneFloor,
  type Door,
  type DoorKit,
  type FloorZones,
} from './store-plan.js';

/**
 * A store with walls, doors on one or more walls, a mall corridor or street outside each door wall,
 * departments inside: the common shape of the boutique, department-store, flagship and anchor
 * families. Each family draws a `WalledSpec`; this turns it into a site.
 */

export interface DoorSpec {
  side: Side;
  /** Metres along the wall from its west or south end. */
  t: number;
  floor: number;
  widthM: number;
}

export interface FrontSpec {
  side: Side;
  floor: number;
  name: string;
  widthM: number;
  /** Gap between the wall and the walkway (0 for a corridor that runs along the shopfronts). */
  gapM: number;
  /** Mall receivers (role corridor, no store) in this walkway, beyond the store's ends. */
  corridorReceivers: number;
  /** Chance of one more across the walkway, in front of the store. */
  acrossChance?: number;
}

export interface WalledSpec {
  siteId: string;
  siteName: string;
  storeId: string;
  storeName: string;
  widthM: number;
  depthM: number;
  floors: number[];
  doors: DoorSpec[];
  fronts: FrontSpec[];
  /** Target department cell edge, metres. */
  cellM: number;
  /** Special cells per floor (checkout, fitting, service). */
  special: (floor: number) => ZoneKind[];
  escalators: boolean;
  /** Sales-floor receiver spacing, metres; undefined = no `inside` receivers at all. */
  insideSpacingM: number | undefined;
  maxInsidePerFloor: number;
  doorKit: DoorKit;
  checkoutReceiverChance: number;
  escalatorReceiverChance: number;
  windowChance: number;
  /** Chance of a 45-degree cut corner (a pentagon footprint), where no door is near it. */
  chamferChance?: number;
  /** Mall escalator receivers (no store) in the mall corridors when the store faces two mall levels. */
  mallEscalators?: boolean;
  /** Wall loss per edge, dB (0 = open shopfront). */
  wallDb: Record<Side, number>;
}

export const TIMEZONES = [
  'Asia/Shanghai',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Europe/Prague',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Sao_Paulo',
  'Australia/Sydney',
  'Asia/Dubai',
] as const;

export function floorNames(levels: readonly number[]): { level: number; name: string }[] {
  return levels.map((level) => ({ level, name: level === 0 ? 'Ground floor' : level < 0 ? `Basement ${-level}` : `Level ${level}` }));
}

/**
 * Store-side receivers: every site needs at least one (an inside phone must be heard from inside),
 * so a draw that placed none gets an entrance receiver at its first door.
 */
export function ensureStoreSide(b: SiteBuilder, doors: readonly Door[]): void {
  if (b.receivers.some((r) => r.storeId !== undefined && r.role !== 'storefront')) return;
  const d = doors[0]!;
  const n = d.side === 'south' ? { x: 0, y: 1 } : d.side === 'north' ? { x: 0, y: -1 } : d.side === 'west' ? { x: 1, y: 0 } : { x: -1, y: 0 };
  const p = { x: d.at.x + n.x * 1.2, y: d.at.y + n.y * 1.2 };
  b.receiver('entrance', d.floor, p, b.zoneAt(d.floor, p));
}

/**
 * Outside evidence: without any storefront or corridor receiver, a phone in the corridor and one
 * inside differ only in level. Real installs do skip them, so a few sites keep none (`keepNoneChance`
 * of the draws that placed none); the rest get a storefront receiver outside the first door.
 */
export function ensureOutside(b: SiteBuilder, doors: readonly Door[], keepNoneChance: number): void {
  if (b.receivers.some((r) => r.role === 'storefront' || r.role === 'corridor') || b.rng.chance(keepNoneChance)) return;
  const d = doors[0]!;
  const n = d.side === 'south' ? { x: 0, y: -1 } : d.side === 'north' ? { x: 0, y: 1 } : d.side === 'west' ? { x: -1, y: 0 } : { x: 1, y: 0 };
  const p = { x: d.at.x + n.x * 1.5, y: d.at.y + n.y * 1.5 };
  b.receiver('storefront', d.floor, p, b.areaAt(d.floor, p));
}

export function buildWalledSite(rng: Rng, s: WalledSpec): SiteInput {
  const b = new SiteBuilder(rng, s.storeId, { x: 0, y: 0, w: s.widthM, h: s.depthM }, s.floors, drawCalibrationStyle(rng));
  Object.assign(b.wallDb, s.wallDb);
  const fronts = s.fronts.map((f) => ({ spec: f, ...corridorAlong(b, f.side, f.floor, f.name, f.widthM, f.gapM, [rng.uniform(15, 45), rng.uniform(15, 45)]) }));
  const doors: Door[] = s.doors.map((d) => ({
    ...b.entrance(d.side, d.t, d.floor, d.widthM),
    side: d.side,
    floor: d.floor,
    widthM: d.widthM,
    zoneId: undefined,
  }));
  const stripSides = [...new Set(s.doors.map((d) => d.side))];
  const stripDepthM = drawStripDepthM(b);
  const grid = innerGrid(b, stripSides, stripDepthM, s.cellM);
  if (rng.chance(s.chamferChance ?? 0)) {
    b.cut = drawChamfer(rng, b.footprint, s.doors, Math.min(grid.inner.w / grid.cols, grid.inner.h / grid.rows));
    b.wallDb.chamfer = walledDb(rng);
  }
  const escalatorCell = s.escalators ? rng.int(grid.cols * grid.rows) : undefined;
  const names = [...DEPARTMENTS];
  const zoned: FloorZones[] = s.floors.map((floor) =>
    zoneFloor(b, floor, doors, {
      stripSides,
      stripDepthM,
      cellM: s.cellM,
      special: s.special(floor),
      ...(escalatorCell !== undefined ? { escalatorCell } : {}),
      windowChance: s.windowChance,
      names,
    }),
  );
  doorDevices(b, doors, s.doorKit);
  for (const fz of zoned) {
    if (s.insideSpacingM !== undefined) insideReceivers(b, fz, s.insideSpacingM, s.maxInsidePerFloor);
    serviceReceivers(b, fz, s.checkoutReceiverChance, s.escalatorReceiverChance);
    tills(b, fz);
  }
  ensureStoreSide(b, doors);
  for (const f of fronts) {
    corridorReceivers(b, f, f.spec.floor, f.spec.side, f.spec.corridorReceivers, rng.uniform(6, 20));
    if (rng.chance(f.spec.acrossChance ?? 0)) acrossReceiver(b, f, f.spec.floor, f.spec.side);
  }
  if (s.mallEscalators === true) {
    // A mall escalator pair links the corridors of two levels: one receiver at each landing, no store.
    const mallFloors = fronts.filter((f) => f.spec.side === 'south');
    if (mallFloors.length >= 2) for (const f of mallFloors) acrossReceiver(b, f, f.spec.floor, 'south', 'escalator');
  }
  ensureOutside(b, doors, 0.2);
  return finishSite(
    b,
    { id: s.siteId, name: s.siteName, storeName: s.storeName, timezone: rng.pick(TIMEZONES), floorNames: floorNames(s.floors) },
    rng.int(4),
    { x: Math.round(rng.uniform(-40, 40)), y: Math.round(rng.uniform(-40, 40)) },
  );
}

/**
 * A cut corner with legs of 2 m up to 60 % of a department cell (so no cell disappears and every
 * cell keeps its centre) and a third of the footprint, at a corner with no door within the leg plus
 * a metre; undefined when no corner is free.
 */
export function drawChamfer(rng: Rng, f: Rect, doors: readonly DoorSpec[], cellM: number): Chamfer | undefined {
  const maxLeg = Math.min(6, 0.6 * cellM, f.w / 3, f.h / 3);
  if (maxLeg < 2) return undefined;
  const legM = q(rng.uniform(2, maxLeg));
  const free = CORNERS.filter((c) => {
    const west = c === 'sw' || c === 'nw';
    const south = c === 'sw' || c === 'se';
    const horizontal: Side = south ? 'south' : 'north';
    const vertical: Side = west ? 'west' : 'east';
    return doors.every((d) => {
      if (d.side !== horizontal && d.side !== vertical) return true;
      const fromCornerM = d.side === horizontal ? (west ? d.t : f.w - d.t) : south ? d.t : f.h - d.t;
      return fromCornerM - d.widthM / 2 > legM + 1;
    });
  });
  return free.length === 0 ? undefined : { corner: rng.pick(free), legM };
}

/** A door position along a wall of length `lengthM`, kept `marginM` plus half the door from the corners. */
export function doorAlong(rng: Rng, lengthM: number, widthM: number, marginM = 1): number {
  const lo = widthM / 2 + marginM;
  const hi = lengthM - widthM / 2 - marginM;
  return hi <= lo ? lengthM / 2 : rng.uniform(lo, hi);
}

/** Wall loss for a walled edge: glass or plasterboard shopfronts 2-6 dB at 2.4 GHz (ITU-R P.2040 order of magnitude). */
export function walledDb(rng: Rng): number {
  return Math.round(rng.uniform(2, 6) * 2) / 2;
}
