import { exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { registerSitesRoutes } from './sites.routes.js';

function site(name: 'dept-store' | 'boutique'): Site {
  const s = loadSiteFile(exampleSitePath(name));
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

describe('GET /api/v1/sites', () => {
  const dept = site('dept-store');
  const boutique = { ...site('boutique'), id: 'mall-sh-02', name: '静安嘉里中心' };
  const sites = new Map([
    [dept.id, dept],
    [boutique.id, boutique],
  ]);
  const app = () => {
    const a = new Hono();
    const open: MiddlewareHandler = async (_c, next) => next();
    registerSitesRoutes(a, sites, open);
    return a;
  };

  it('names every site with its time zone, floors, stores, zones and entrances, and nothing of its radios', async () => {
    const body = (await (await app().request('/api/v1/sites')).json()) as { sites: Record<string, unknown>[] };
    expect(body.sites.map((s) => [s.id, s.name, s.timezone])).toEqual(
      [
        [dept.id, dept.name, dept.timezone],
        [boutique.id, '静安嘉里中心', boutique.timezone],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const d = body.sites.find((s) => s.id === dept.id) as { stores: { zones: unknown[]; entrances: unknown[] }[]; floors: unknown[] };
    expect(d.floors).toEqual(dept.floors.map((f) => ({ level: f.level, name: f.name })));
    expect(d.stores[0]!.zones.length).toBe(dept.stores[0]!.zones.length);
    expect(d.stores[0]!.entrances.length).toBe(dept.stores[0]!.entrances.length);
    expect(JSON.stringify(body)).not.toMatch(/receivers|gateways|memberTokens/);
  });
});
