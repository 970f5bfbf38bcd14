import type { Point, ReceiverRole, SiteInput } from '@storesense/firmware-config';
import { chamferEdges, chamferPolygon } from './chamfer.js';
import { m, SIDES, type Rect, type SiteBuilder, type ZoneDraft } from './site-builder.js';

/**
 * The last step of every family: the canonical drawing turned and shifted into a site file, with
 * the receiver kind and role vocabulary of the installer drawn last (so they never shift the
 * geometry drawn before them).
 */

export interface SiteMeta {
  id: string;
  name: string;
  storeName: string;
  timezone: string;
  floorNames: readonly { level: number; name: string }[];
  /** False for families whose role set is their point (a kiosk never gets an `inside` receiver). */
  coarseRolesAllowed?: boolean;
}

/**
 * The finished site: the canonical drawing turned by `quarterTurns` x 90 degrees anticlockwise and
 * shifted by `shift`, coordinates rounded to 0.1 m, one gateway serving the store and hearing every
 * receiver and terminal.
 */
export function finishSite(b: SiteBuilder, meta: SiteMeta, quarterTurns: number, shiftM: Point): SiteInput {
  const shift = { x: Math.round(shiftM.x), y: Math.round(shiftM.y) };
  const k = ((quarterTurns % 4) + 4) % 4;
  const turn = (p: Point): Point => {
    let { x, y } = p;
    for (let i = 0; i < k; i++) [x, y] = [-y, x];
    return { x: x + shift.x + 0, y: y + shift.y + 0 };
  };
  const pt = (p: Point): Point => {
    const t = turn(p);
    return { x: m(t.x), y: m(t.y) };
  };
  const rect = (r: Rect) => {
    // Rects are on the 0.25 m grid, the shift is whole metres and quarter turns are exact: no rounding.
    const a = turn({ x: r.x, y: r.y });
    const c = turn({ x: r.x + r.w, y: r.y + r.h });
    return { rect: { x: Math.min(a.x, c.x), y: Math.min(a.y, c.y), w: Math.abs(c.x - a.x), h: Math.abs(c.y - a.y) } };
  };
  const polygon = (ps: readonly Point[]) => ({ polygon: ps.map(turn) });
  // Turning a polygon keeps its vertex order, so a cut footprint's edges keep their canonical
  // order; a rect's polygon always starts at its (new) south-west corner, so its sides move round.
  // One store in ten runs ESPresense ESP32 nodes instead of plain BLE scanners (the mall's own stay
  // BLE). Drawn last, so it never shifts the geometry drawn before it.
  const storeKind = b.rng.chance(0.1) ? ('espresense' as const) : ('ble' as const);
  const receivers = b.rng.chance(COARSE_ROLES_SHARE) && meta.coarseRolesAllowed !== false ? coarsen(b.receivers) : b.receivers;
  const walls = b.cut !== undefined ? chamferEdges(b.cut).map((e) => b.wallDb[e]) : SIDES.map((_, j) => b.wallDb[SIDES[(j - k + 4) % 4]!]);
  const zone = (z: ZoneDraft) => ({
    id: z.id,
    name: z.name,
    kind: z.kind,
    floor: z.floor,
    shape: z.polygon !== undefined ? polygon(z.polygon) : rect(z.rect),
    ...(z.dwellThresholdMs !== undefined ? { dwellThresholdMs: z.dwellThresholdMs } : {}),
  });
  return {
    version: 1,
    id: meta.id,
    name: meta.name,
    timezone: meta.timezone,
    floors: meta.floorNames.map((f) => ({ level: f.level, name: f.name })),
    areas: b.areas.map(zone),
    stores: [
      {
        id: b.storeId,
        name: meta.storeName,
        floors: [...b.floors],
        shape: b.cut !== undefined ? polygon(chamferPolygon(b.footprint, b.cut)) : rect(b.footprint),
        entrances: b.entrances.map((e) => ({ id: e.id, floor: e.floor, at: pt(e.at), widthM: e.widthM })),
        zones: b.zones.map(zone),
        wallAttenuationDb: walls.every((v) => v === walls[0]) ? walls[0]! : walls,
      },
    ],
    receivers: receivers.map((r) => ({
      id: r.id,
      kind: r.storeId !== undefined ? storeKind : ('ble' as const),
      role: r.role,
      floor: r.floor,
      position: pt(r.position),
      ...(r.storeId !== undefined ? { storeId: r.storeId } : {}),
      ...(r.zoneId !== undefined ? { zoneId: r.zoneId } : {}),
      calibration: r.calibration,
    })),
    terminals: b.terminals.map((t) => ({
      id: t.id,
      kind: t.kind,
      storeId: b.storeId,
      floor: t.floor,
      position: pt(t.position),
      ...(t.zoneId !== undefined ? { zoneId: t.zoneId } : {}),
      recall: t.recall,
    })),
    gateways: [{ id: `gw-${b.storeId}`, storeId: b.storeId, receivers: receivers.map((r) => r.id), terminals: b.terminals.map((t) => t.id), tickMs: 250 }],
    journey: { dwellThresholdMs: 30_000, dwellUpdateMs: 60_000, exitAbsenceMs: 12_000, approachRssiDbm: -85 },
    memberTokens: { periodMs: 900_000 },
  };
}

/**
 * Share of sites whose installer used only two words, inside and outside: many never tell a door
 * node from a sales-floor one. Entrance and checkout receivers become `inside`, storefront ones
 * mall-style `corridor` receivers (no store); escalators keep their role (they mark floor links).
 * Ids follow the new roles, so no id hints at the old one.
 */
export const COARSE_ROLES_SHARE = 0.125;

const COARSE: Readonly<Record<ReceiverRole, ReceiverRole>> = {
  entrance: 'inside',
  checkout: 'inside',
  inside: 'inside',
  storefront: 'corridor',
  corridor: 'corridor',
  escalator: 'escalator',
};

function coarsen(receivers: SiteBuilder['receivers']): SiteBuilder['receivers'] {
  const counters = new Map<ReceiverRole, number>();
  return receivers.map((r) => {
    const role = COARSE[r.role];
    const n = (counters.get(role) ?? 0) + 1;
    counters.set(role, n);
    const { storeId, ...rest } = r;
    return { ...rest, id: `rx-${role}-${n}`, role, ...(role !== 'corridor' && storeId !== undefined ? { storeId } : {}) };
  });
}
