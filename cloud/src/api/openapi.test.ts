import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { tempDir } from '../testing/fixtures.js';
import { AuthService } from '../auth/auth.service.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { AlertHub } from '../alerts/alert-hub.js';
import { AlertService } from '../alerts/alert.service.js';
import { createApi } from './api.routes.js';
import { CommandsService } from '../fleet/commands.service.js';
import { FleetService } from '../fleet/fleet.service.js';
import { MemoryLink } from '../testing/memory.link.js';

describe('GET /api/v1/openapi.json', () => {
  it('is OpenAPI 3.1.0 JSON and lists every /api/v1 route registered on the Hono app', async () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    const logger = createLogger({ level: 'silent' });
    const metrics = new Metrics();
    const clock = { now: () => 1 };
    const auth = new AuthService({ store, clock, logger, metrics });
    const alerts = new AlertService({ store, hub: new AlertHub(), clock, logger, metrics });
    // Every optional part wired, so every route is registered.
    const app = createApi({
      store,
      logger,
      metrics,
      broker: () => ({ kind: 'embedded', connected: true }),
      staff: { auth, alerts, mode: 'required', throttle: new LoginThrottle(clock) },
      alertSocket: { hub: new AlertHub() },
      fleet: {
        fleet: new FleetService({
          store,
          link: new MemoryLink(),
          sites: new Map(),
          clock,
          logger,
          metrics,
          mqttUrl: 'mqtt://127.0.0.1:1883',
          accounts: { changed: async () => {}, revoked: async () => {} },
        }),
        commands: new CommandsService({ link: new MemoryLink(), logger, metrics }),
        throttle: new LoginThrottle(clock),
      },
    });
    const res = await app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = JSON.parse(await res.text()) as { openapi: string; paths: Record<string, Record<string, any>>; components: any };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));

    const registered = app.routes
      .filter((r) => r.path.startsWith('/api/v1/') && r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(registered.length).toBeGreaterThan(20);
    for (const route of new Set(registered)) expect(documented, route).toContain(route);
    for (const route of documented) expect(registered, route).toContain(route);

    // Schemas come from the zod schemas: query parameters, request bodies, path parameters.
    const events = doc.paths['/api/v1/events']!.get;
    expect(events.parameters.map((p: any) => p.name)).toEqual(['siteId', 'type', 'since', 'limit']);
    expect(events.parameters.find((p: any) => p.name === 'limit').schema).toMatchObject({ maximum: 1000, default: 100 });
    const footfall = doc.paths['/api/v1/analytics/footfall']!.get;
    expect(footfall.parameters.filter((p: any) => p.required).map((p: any) => p.name)).toEqual(['siteId', 'from', 'to']);
    const post = doc.paths['/api/v1/rules']!.post;
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Rule' });
    expect(doc.components.schemas.Rule.required).toEqual(expect.arrayContaining(['id', 'audience', 'actions']));
    expect(JSON.stringify(doc)).not.toContain('$schema');
    expect(post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/rules/{id}']!.put.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(doc.paths['/api/v1/health']!.get.security).toEqual([]);
    // Members and offers (issue 6).
    expect(Object.keys(doc.paths['/api/v1/members/import']!.post.requestBody.content)).toEqual(['text/csv']);
    expect(doc.paths['/api/v1/members']!.get.parameters.map((p: any) => p.name)).toEqual(['q', 'tier', 'limit', 'offset']);
    const putMember = doc.paths['/api/v1/members/{id}']!.put;
    expect(putMember.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['name', 'tier', 'consent']));
    expect(Object.keys(putMember.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '401', '403']));
    expect(doc.paths['/api/v1/offers']!.get.parameters.map((p: any) => p.name)).toEqual(['storeId', 'siteId', 'status', 'memberId', 'limit']);
    expect(doc.paths['/api/v1/offers']!.get.parameters.find((p: any) => p.name === 'status').schema.enum).toEqual([
      'issued',
      'delivered',
      'failed',
      'redeemed',
      'expired',
    ]);
    for (const [path, method] of [
      ['/api/v1/members/{id}', 'get'],
      ['/api/v1/members/{id}', 'delete'],
      ['/api/v1/offers/{id}', 'get'],
    ] as const) {
      expect(doc.paths[path]![method].responses['404'], `${method} ${path}`).toBeDefined();
    }
    await store.close();
    t.cleanup();
  });
});
