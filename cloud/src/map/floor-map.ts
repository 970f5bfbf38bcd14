import type { Shape, Site } from '@storesense/firmware-config';
import type { GatewayStatus, OccupancySeries } from '../store/cloud-store.js';

/**
 * What the floor map draws of a site (decision 160): floors, store footprints, zones, entrances and
 * receivers with their positions, in the site frame (metres, x east, y north). Nothing else of the
 * site file: no calibration, terminals, gateway settings or member-token settings.
 */
export interface MapSite {
  id: string;
  name: string;
  timezone: string;
  floors: { level: number; name: string }[];
  stores: {
    id: string;
    name: string;
    floors: number[];
    shape: Shape;
    entrances: { id: string; floor: number; at: { x: number; y: number }; widthM: number }[];
  }[];
  zones: { id: string; name: string; kind: string; floor: number; storeId: string | undefined; shape: Shape }[];
  receivers: { id: string; kind: string; role: string; floor: number; position: { x: number; y: number }; storeId: string | undefined; gatewayIds: string[] }[];
}

export function mapSite(site: Site): MapSite {
  const zone = (z: Site['areas'][number], storeId: string | undefined) => ({ id: z.id, name: z.name, kind: z.kind, floor: z.floor, storeId, shape: z.shape });
  return {
    id: site.id,
    name: site.name,
    timezone: site.timezone,
    floors: site.floors.map((f) => ({ level: f.level, name: f.name })),
    stores: site.stores.map((s) => ({
      id: s.id,
      name: s.name,
      floors: [...s.floors],
      shape: s.shape,
      entrances: s.entrances.map((e) => ({ id: e.id, floor: e.floor, at: { x: e.at.x, y: e.at.y }, widthM: e.widthM })),
    })),
    zones: [...site.areas.map((z) => zone(z, undefined)), ...site.stores.flatMap((s) => s.zones.map((z) => zone(z, s.id)))],
    receivers: site.receivers.map((r) => ({
      id: r.id,
      kind: r.kind,
      role: r.role,
      floor: r.floor,
      position: { x: r.position.x, y: r.position.y },
      storeId: r.storeId,
      gatewayIds: site.gateways.filter((g) => g.receivers.includes(r.id)).map((g) => g.id),
    })),
  };
}

/** A gateway's health report older than this is stale (they publish every 10 s; the console's gateway verdict uses the same bound). */
export const RECEIVER_STALE_MS = 60_000;

export type ReceiverState = 'ok' | 'degraded' | 'stale' | 'offline' | 'unknown';
export interface ReceiverHealth {
  id: string;
  state: ReceiverState;
  /** Newest health report of its gateway(s), cloud receive time. */
  lastSeenAt: number | undefined;
}

/**
 * Receiver health from its gateways' status: the cloud has no per-receiver sighting time (gateway
 * health reports sources, not receivers), so a receiver is as healthy as the best gateway that
 * listens to it. offline: the gateway said so (or its last will); stale: no health report for
 * RECEIVER_STALE_MS; degraded: a source of the gateway is not ok; unknown: never heard of.
 */
export function receiverHealth(site: MapSite, gateways: readonly GatewayStatus[], now: number): ReceiverHealth[] {
  const rank: Record<ReceiverState, number> = { ok: 4, degraded: 3, stale: 2, offline: 1, unknown: 0 };
  const ofGateway = (g: GatewayStatus | undefined): { state: ReceiverState; at: number | undefined } => {
    if (!g || (!g.conn && !g.health)) return { state: 'unknown', at: undefined };
    const at = g.health?.receivedAt;
    if (g.conn?.state === 'offline') return { state: 'offline', at };
    if (at === undefined || now - at > RECEIVER_STALE_MS) return { state: 'stale', at };
    const degraded = Object.values(g.health!.value.sources).some((s) => s.state !== 'ok');
    return { state: degraded ? 'degraded' : 'ok', at };
  };
  const byId = new Map(gateways.filter((g) => g.siteId === site.id).map((g) => [g.gatewayId, g]));
  return site.receivers.map((r) => {
    let best: { state: ReceiverState; at: number | undefined } = { state: 'unknown', at: undefined };
    for (const id of r.gatewayIds) {
      const s = ofGateway(byId.get(id));
      if (rank[s.state] > rank[best.state] || (rank[s.state] === rank[best.state] && (s.at ?? 0) > (best.at ?? 0))) best = s;
    }
    return { id: r.id, state: best.state, lastSeenAt: best.at };
  });
}

export interface WifiOccupancy {
  storeId: string;
  /** People present (WiFi estimate), from the gateway's live health or the newest stored minute. */
  occupancy: number;
  /** The minute it counts (start), or the health report's time. */
  at: number;
  source: 'health' | 'minute';
}

/** A stored minute counts at T when it closed at or before T and is at most this old. */
export const WIFI_MINUTE_MAX_AGE_MS = 5 * 60_000;

/** The WiFi estimate of one store at `at` from its stored minutes (ascending): the newest minute closed by then. */
export function wifiAt(storeId: string, minutes: OccupancySeries['minutes'], at: number): WifiOccupancy | undefined {
  let found: OccupancySeries['minutes'][number] | undefined;
  for (const m of minutes) {
    if (m.start + 60_000 > at) break;
    found = m;
  }
  if (!found || at - (found.start + 60_000) > WIFI_MINUTE_MAX_AGE_MS) return undefined;
  return { storeId, occupancy: found.occupancy, at: found.start, source: 'minute' };
}

/** The live WiFi estimate of a store: a fresh gateway health report's figure, else the newest stored minute. */
export function liveWifi(
  storeId: string,
  gateways: readonly GatewayStatus[],
  siteId: string,
  minutes: OccupancySeries['minutes'],
  now: number,
): WifiOccupancy | undefined {
  let best: WifiOccupancy | undefined;
  for (const g of gateways) {
    if (g.siteId !== siteId || !g.health || now - g.health.receivedAt > RECEIVER_STALE_MS) continue;
    const o = g.health.value.occupancy?.find((x) => x.storeId === storeId);
    if (o && (!best || g.health.receivedAt > best.at)) best = { storeId, occupancy: o.occupancy, at: g.health.receivedAt, source: 'health' };
  }
  return best ?? wifiAt(storeId, minutes, now);
}
