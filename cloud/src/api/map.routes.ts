import type { Site } from '@storesense/firmware-config';
import { idSchema } from '@storesense/protocol';
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { liveWifi, mapSite, receiverHealth, wifiAt } from '../map/floor-map.js';
import { liveQueries, lookbackMs, OCCUPANCY_EVENT_TYPES, occupancySeries, occupancySettings } from '../map/zone-occupancy.js';
import type { CloudStore } from '../store/cloud-store.js';
import { HttpError, parseQuery } from './http-error.js';

/** The longest playback one request replays (one shopping day and then some). */
export const MAX_PLAYBACK_MS = 26 * 3_600_000;
export const MAX_PLAYBACK_STEPS = 1_440;
/** Live answers younger than this are served again (the console polls every second). */
export const LIVE_SHARE_MS = 500;

const msSchema = z.coerce.number().int().nonnegative();
export const mapSiteQuery = z.object({ siteId: idSchema });
export const mapPlaybackQuery = z
  .object({
    siteId: idSchema,
    from: msSchema.describe('inclusive, ms since epoch'),
    to: msSchema.describe('inclusive, ms since epoch: the last frame'),
    steps: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PLAYBACK_STEPS)
      .default(300)
      .describe('frames after the first: the heat is counted at from + i·(to − from)/steps'),
  })
  .superRefine((q, ctx) => {
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (q.to - q.from > MAX_PLAYBACK_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: `range longer than ${MAX_PLAYBACK_MS / 3_600_000} hours` });
  });

/**
 * The floor map (decision 160): `GET /api/v1/map/site` (geometry without secrets), `/map/live`
 * (occupancy per zone and store now, WiFi estimate, receiver health; the console polls it every
 * second) and `/map/playback` (the same counts at evenly spaced times of a stored range). Counts
 * of pseudonymous visits only: no subject, visit or member id leaves these routes.
 */
export function registerMapRoutes(app: Hono, o: { store: CloudStore; sites: ReadonlyMap<string, Site>; clock: Clock; auth: MiddlewareHandler }): void {
  const siteOf = (siteId: string): Site => {
    const site = o.sites.get(siteId);
    if (!site) throw new HttpError(404, { error: `no site ${siteId}` });
    return site;
  };
  app.get('/api/v1/map/site', o.auth, (c) => {
    const q = parseQuery(mapSiteQuery, c.req.query());
    return c.json({ site: mapSite(siteOf(q.siteId)) });
  });

  // One answer per site and LIVE_SHARE_MS, shared by every console polling it (counts only, so
  // any principal allowed to see the site may get the same answer).
  const shared = new Map<string, { at: number; body: Promise<unknown> }>();
  app.get('/api/v1/map/live', o.auth, async (c) => {
    const q = parseQuery(mapSiteQuery, c.req.query());
    const site = siteOf(q.siteId);
    const now = o.clock.now();
    let hit = shared.get(site.id);
    if (!hit || now - hit.at >= LIVE_SHARE_MS || now < hit.at) {
      const entry = { at: now, body: liveAnswer(site, now) };
      shared.set(site.id, entry);
      entry.body.catch(() => shared.get(site.id) === entry && shared.delete(site.id)); // a failed read is not served again
      hit = entry;
    }
    return c.json(await hit.body);
  });

  async function liveAnswer(site: Site, now: number): Promise<unknown> {
    const settings = occupancySettings(site);
    const events = [];
    for (const q of liveQueries(settings, now)) events.push(...(await o.store.listEventsInRange({ siteId: site.id, ...q })));
    const [counts] = occupancySeries(events, [now], settings);
    const gateways = (await o.store.listGateways()).filter((g) => g.siteId === site.id);
    const wifi = [];
    for (const s of site.stores) {
      const minutes = (await o.store.occupancySeries({ siteId: site.id, storeId: s.id, from: now - 10 * 60_000, to: now + 1 })).minutes;
      const w = liveWifi(s.id, gateways, site.id, minutes, now);
      if (w) wifi.push(w);
    }
    return { siteId: site.id, at: now, ...counts!, wifi, receivers: receiverHealth(mapSite(site), gateways, now) };
  }

  app.get('/api/v1/map/playback', o.auth, async (c) => {
    const q = parseQuery(mapPlaybackQuery, c.req.query());
    const site = siteOf(q.siteId);
    const settings = occupancySettings(site);
    const times = Array.from({ length: q.steps + 1 }, (_, i) => q.from + Math.round((i * (q.to - q.from)) / q.steps));
    const events = await o.store.listEventsInRange({ siteId: site.id, from: q.from - lookbackMs(settings), to: q.to + 1, types: OCCUPANCY_EVENT_TYPES });
    const series = occupancySeries(events, times, settings);
    const column = (pick: (i: number) => Record<string, number>, ids: Iterable<string>) => {
      const out: Record<string, number[]> = {};
      for (const id of ids) out[id] = times.map((_, i) => pick(i)[id] ?? 0);
      return out;
    };
    const zoneIds = new Set([
      ...site.areas.map((z) => z.id),
      ...site.stores.flatMap((s) => s.zones.map((z) => z.id)),
      ...series.flatMap((x) => Object.keys(x.zones)),
    ]);
    const storeIds = new Set([...site.stores.map((s) => s.id), ...series.flatMap((x) => Object.keys(x.stores))]);
    const wifi: Record<string, (number | null)[]> = {};
    for (const s of site.stores) {
      const minutes = (await o.store.occupancySeries({ siteId: site.id, storeId: s.id, from: q.from - 10 * 60_000, to: q.to + 1 })).minutes;
      if (minutes.length > 0) wifi[s.id] = times.map((t) => wifiAt(s.id, minutes, t)?.occupancy ?? null);
    }
    return c.json({
      siteId: site.id,
      from: q.from,
      to: q.to,
      times,
      zones: column((i) => series[i]!.zones, zoneIds),
      stores: column((i) => series[i]!.stores, storeIds),
      wifi,
    });
  });
}
