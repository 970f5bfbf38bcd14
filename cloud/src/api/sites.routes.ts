import type { Site } from '@storesense/firmware-config';
import type { Hono, MiddlewareHandler } from 'hono';
import { seesSite } from './scope.js';

/** What a console or staff page needs to name places and read times: no receivers, gateways or keys. */
export interface SiteSummary {
  id: string;
  name: string;
  timezone: string;
  floors: { level: number; name: string }[];
  stores: {
    id: string;
    name: string;
    floors: number[];
    zones: { id: string; name: string; kind: string; floor: number }[];
    entrances: { id: string; floor: number }[];
  }[];
  areas: { id: string; name: string; kind: string; floor: number }[];
}

export function siteSummary(site: Site): SiteSummary {
  const zone = (z: Site['areas'][number]) => ({ id: z.id, name: z.name, kind: z.kind, floor: z.floor });
  return {
    id: site.id,
    name: site.name,
    timezone: site.timezone,
    floors: site.floors.map((f) => ({ level: f.level, name: f.name })),
    stores: site.stores.map((s) => ({
      id: s.id,
      name: s.name,
      floors: [...s.floors],
      zones: s.zones.map(zone),
      entrances: s.entrances.map((e) => ({ id: e.id, floor: e.floor })),
    })),
    areas: site.areas.map(zone),
  };
}

/**
 * `GET /api/v1/sites`: the known sites' names, time zones, floors, stores and zones, so pages show
 * "Orient Department Store, 2F · 丝巾专柜" and times in the site's zone rather than ids and the
 * browser's clock. Readable by every role that sees alerts (staff name places too), limited to the
 * principal's site.
 */
export function registerSitesRoutes(app: Hono, sites: ReadonlyMap<string, Site>, auth: MiddlewareHandler): void {
  app.get('/api/v1/sites', auth, (c) =>
    c.json({
      sites: [...sites.values()]
        .filter((s) => seesSite(c, s.id))
        .sort((a, b) => a.id.localeCompare(b.id))
        .map(siteSummary),
    }),
  );
}
