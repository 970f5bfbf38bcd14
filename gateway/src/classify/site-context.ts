import type { GatewayConfig, Point, ReceiverRole, Zone } from '@storesense/firmware-config';
import { placeGrid, receiverGeometry, storeGeometry, type PlaceGrid, type ReceiverGeometry, type StoreGeometry } from './place-geometry.js';

/** What features need to know about a receiver, precomputed once from the config. */
export interface ReceiverInfo {
  id: string;
  role: ReceiverRole;
  floor: number;
  zoneId: string | undefined;
  /** True for receivers that hear the store from inside (entrance/inside/checkout, store escalators). */
  storeSide: boolean;
  position: Point;
  refRssiAt1mDbm: number;
  pathLossExponent: number;
  /** Where it sits relative to the served store, by geometry (place-geometry.ts), whatever its role. */
  geometry: ReceiverGeometry;
}

export interface SiteContext {
  siteId: string;
  gatewayId: string;
  storeId: string | undefined;
  receivers: ReadonlyMap<string, ReceiverInfo>;
  /** The store this gateway serves spans several floors (floor_change applies). */
  multiFloor: boolean;
  storeFloors: readonly number[];
  zoneFloor: ReadonlyMap<string, number>;
  /** The served stores' zones per floor (dwell happens in these). */
  storeZonesByFloor: ReadonlyMap<number, readonly Zone[]>;
  /** Zones where floors connect: escalator zones and the zones of escalator receivers. */
  floorLinkZones: ReadonlySet<string>;
  /** Per-zone dwell threshold overrides. */
  zoneDwellThresholdMs: ReadonlyMap<string, number>;
  /**
   * Added to every reported RSSI: −calibration.rssiOffsetDb. The site's offset is the receiver's
   * reporting bias (readings include it; simulators/src/radio.model.ts models it that way), so the
   * gateway subtracts it to get comparable levels across receivers.
   */
  rssiCorrectionDb: ReadonlyMap<string, number>;
  /**
   * Per entrance receiver: the (corrected) RSSI of a phone DOOR_RADIUS_M away by its calibration.
   * Crossing a door passes close to its entrance receiver; arrival and exit require it.
   */
  doorNearDbm: ReadonlyMap<string, number>;
  /**
   * Per storefront/entrance receiver: the RSSI its calibration predicts for a phone
   * APPROACH_RADIUS_M from the nearest entrance (never below journey.approachRssiDbm). Stronger
   * means "approaching the store" in the brief's sense (within ~8 m of an entrance).
   */
  approachLevelDbm: ReadonlyMap<string, number>;
  /** journey.approachRssiDbm: the floor of every approach level, and the presence level inside. */
  approachRssiDbm: number;
  terminalZone: ReadonlyMap<string, string | undefined>;
  /** The served store's footprint and doors, and the position-fit grid of each of its floors (features v4). */
  store: StoreGeometry;
  placeGrids: ReadonlyMap<number, PlaceGrid>;
  /** The floor of the store's first entrance (where a fit goes when no store floor's receiver hears the subject). */
  entranceFloor: number | undefined;
}

/** Someone crossing a door passes within this distance of the door's entrance receiver. */
export const DOOR_RADIUS_M = 4;
/** The brief's approach: within ~8 m of a store entrance, outside. */
export const APPROACH_RADIUS_M = 8;

const STORE_SIDE_ROLES: ReadonlySet<ReceiverRole> = new Set(['entrance', 'inside', 'checkout', 'escalator']);

export function siteContext(config: GatewayConfig): SiteContext {
  const store = config.stores.find((s) => s.id === config.storeId) ?? config.stores[0];
  const receivers = new Map<string, ReceiverInfo>();
  const rssiCorrectionDb = new Map<string, number>();
  const approachLevelDbm = new Map<string, number>();
  const entrances = config.stores.flatMap((s) => s.entrances);
  const doorNearDbm = new Map<string, number>();
  const geo = storeGeometry(config);
  for (const r of config.receivers) {
    // A mall escalator (no storeId) is outside the store; a store's own escalator is inside.
    const storeSide = STORE_SIDE_ROLES.has(r.role) && (r.role !== 'escalator' || r.storeId !== undefined);
    receivers.set(r.id, {
      id: r.id,
      role: r.role,
      floor: r.floor,
      zoneId: r.zoneId,
      storeSide,
      position: r.position,
      refRssiAt1mDbm: r.calibration.refRssiAt1mDbm,
      pathLossExponent: r.calibration.pathLossExponent,
      geometry: receiverGeometry(geo, r.floor, r.position),
    });
    rssiCorrectionDb.set(r.id, -r.calibration.rssiOffsetDb);
    if (r.role === 'storefront' || r.role === 'entrance') {
      const sameFloor = entrances.filter((e) => e.floor === r.floor);
      const toDoorM = sameFloor.length === 0 ? 0 : Math.min(...sameFloor.map((e) => Math.hypot(e.at.x - r.position.x, e.at.y - r.position.y)));
      const level = r.calibration.refRssiAt1mDbm - 10 * r.calibration.pathLossExponent * Math.log10(APPROACH_RADIUS_M + toDoorM);
      approachLevelDbm.set(r.id, Math.max(config.journey.approachRssiDbm, level));
    }
    if (r.role === 'entrance') {
      doorNearDbm.set(r.id, r.calibration.refRssiAt1mDbm - 10 * r.calibration.pathLossExponent * Math.log10(DOOR_RADIUS_M));
    }
  }
  const zoneFloor = new Map<string, number>();
  const zoneDwellThresholdMs = new Map<string, number>();
  for (const z of [...config.areas, ...config.stores.flatMap((s) => s.zones)]) {
    zoneFloor.set(z.id, z.floor);
    if (z.dwellThresholdMs !== undefined) zoneDwellThresholdMs.set(z.id, z.dwellThresholdMs);
  }
  const storeZonesByFloor = new Map<number, Zone[]>();
  for (const z of config.stores.flatMap((s) => s.zones)) storeZonesByFloor.set(z.floor, [...(storeZonesByFloor.get(z.floor) ?? []), z]);
  const floorLinkZones = new Set<string>();
  for (const z of [...config.areas, ...config.stores.flatMap((s) => s.zones)]) if (z.kind === 'escalator') floorLinkZones.add(z.id);
  for (const r of config.receivers) if (r.role === 'escalator' && r.zoneId !== undefined) floorLinkZones.add(r.zoneId);
  const storeFloors = store?.floors ?? config.floors.map((f) => f.level);
  const placeGrids = new Map<number, PlaceGrid>();
  for (const f of geo.floors) {
    const g = placeGrid(geo, f, [...receivers.values()]);
    if (g && g.receiverIds.length > 0) placeGrids.set(f, g);
  }
  return {
    siteId: config.siteId,
    gatewayId: config.gatewayId,
    storeId: config.storeId ?? store?.id,
    receivers,
    multiFloor: storeFloors.length > 1,
    storeFloors,
    zoneFloor,
    floorLinkZones,
    storeZonesByFloor,
    zoneDwellThresholdMs,
    rssiCorrectionDb,
    doorNearDbm,
    approachLevelDbm,
    approachRssiDbm: config.journey.approachRssiDbm,
    terminalZone: new Map(config.terminals.map((t) => [t.id, t.zoneId])),
    store: geo,
    placeGrids,
    entranceFloor: store?.entrances[0]?.floor,
  };
}
