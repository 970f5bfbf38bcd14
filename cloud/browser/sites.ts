/**
 * The known sites (GET /api/v1/sites): names of stores, zones and floors for people, and each
 * site's time zone. When every visible site shares one zone (one mall), clock times are shown in
 * it; with several, each view passes the record's own site zone.
 */
import { setTimeZone } from './format.js';

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

let known: SiteSummary[] = [];

export function setSites(sites: SiteSummary[]): void {
  known = sites;
  const zones = new Set(sites.map((s) => s.timezone));
  setTimeZone(zones.size === 1 ? [...zones][0] : undefined);
}
export const sites = (): readonly SiteSummary[] => known;
export const siteOf = (siteId: string): SiteSummary | undefined => known.find((s) => s.id === siteId);
export const siteZone = (siteId: string): string | undefined => siteOf(siteId)?.timezone;
export const storeName = (siteId: string, storeId: string | undefined): string | undefined =>
  storeId === undefined ? undefined : siteOf(siteId)?.stores.find((s) => s.id === storeId)?.name;

/** A zone's name and floor, in a store or the mall's common areas. */
export function zoneOf(siteId: string, zoneId: string | undefined): { name: string; floor: number } | undefined {
  if (zoneId === undefined) return undefined;
  const site = siteOf(siteId);
  for (const z of [...(site?.stores.flatMap((s) => s.zones) ?? []), ...(site?.areas ?? [])]) if (z.id === zoneId) return z;
  return undefined;
}

/** "2F" style floor label: the site's own floor name when it has one. */
export function floorName(siteId: string, level: number | undefined): string | undefined {
  if (level === undefined) return undefined;
  return siteOf(siteId)?.floors.find((f) => f.level === level)?.name ?? `F${level}`;
}
