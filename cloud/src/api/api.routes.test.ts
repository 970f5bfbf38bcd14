import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { createApi } from './api.routes.js';

describe('HTTP API (in-process, app.request)', () => {
  let store: CloudStore;
  let cleanup: () => void;
  let connected: boolean;
  let app: ReturnType<typeof createApi>;

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    connected = true;
    app = createApi({ store, logger: createLogger({ level: 'silent' }), metrics: new Metrics(), broker: () => ({ kind: 'embedded', connected, clients: 0 }) });
    await store.insertEvent(makeEvent({ at: 1000, type: 'approach', siteId: 'a' }), 1);
    await store.insertEvent(makeEvent({ at: 2000, type: 'arrival', siteId: 'a' }), 2);
    await store.insertEvent(makeEvent({ at: 3000, type: 'arrival', siteId: 'b' }), 3);
    await store.upsertMembers([{ memberId: 'M1', name: 'Li Na', tier: 'gold', tags: [], consent: true, tokenKey: 'ab'.repeat(16) }], 1);
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  const get = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('health reports db, broker and counts; 503 when the broker is down', async () => {
    const ok = await get('/api/v1/health');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      ok: true,
      auth: 'open',
      db: { ok: true },
      broker: { kind: 'embedded', connected: true },
      counts: { events: 3, members: 1 },
    });
    connected = false;
    expect((await get('/api/v1/health')).status).toBe(503);
  });

  it.each([
    ['/api/v1/events', [3000, 2000, 1000]],
    ['/api/v1/events?siteId=a', [2000, 1000]],
    ['/api/v1/events?type=arrival', [3000, 2000]],
    ['/api/v1/events?since=2000', [3000, 2000]],
    ['/api/v1/events?limit=1', [3000]],
    ['/api/v1/events?siteId=a&type=approach&since=0&limit=1000', [1000]],
  ])('GET %s lists events newest first', async (path, ats) => {
    const { status, body } = await get(path);
    expect(status).toBe(200);
    expect(body.events.map((e: { at: number }) => e.at)).toEqual(ats);
  });

  it('answers 400 listing each invalid query parameter by path', async () => {
    const { status, body } = await get('/api/v1/events?limit=5000&type=teleport&since=-1&siteId=bad/id');
    expect(status).toBe(400);
    expect(body.error).toBe('invalid query parameters');
    const paths = (body.issues as string[]).map((i) => i.split(':')[0]).sort();
    expect(paths).toEqual(['limit', 'since', 'siteId', 'type']);
    expect((await get('/api/v1/alerts?limit=0')).body.issues[0]).toMatch(/^limit: /);
    expect((await get('/api/v1/members?offset=x')).status).toBe(400);
  });

  it('lists alerts newest first, after a seq', async () => {
    const base = {
      at: 1,
      eventAt: 1,
      eventId: 'e'.repeat(26),
      eventType: 'arrival' as const,
      siteId: 'a',
      memberId: 'M1',
      memberName: 'Li Na',
      tags: [],
      message: 'm',
      status: 'open' as const,
    };
    const a1 = await store.insertAlert({ ...base, id: 'x1' });
    await store.insertAlert({ ...base, id: 'x2' });
    const all = await get('/api/v1/alerts');
    expect(all.body.alerts.map((a: { id: string }) => a.id)).toEqual(['x2', 'x1']);
    expect(all.body.lastSeq).toBe(a1.seq + 1);
    expect((await get(`/api/v1/alerts?since=${a1.seq}`)).body.alerts.map((a: { id: string }) => a.id)).toEqual(['x2']);
  });

  it('never serves member token keys', async () => {
    const res = await app.request('/api/v1/members');
    const text = await res.text();
    expect(text).toContain('Li Na');
    expect(text).not.toContain('abab');
    expect(text).not.toMatch(/tokenKey|token_key/);
  });

  it('serves gateways, offers, the console page, and JSON 404s', async () => {
    await store.updateGatewayConn('a', 'gw', { v: 1, state: 'online', at: 1, version: '1' }, 2);
    expect((await get('/api/v1/gateways')).body.gateways).toMatchObject([{ siteId: 'a', gatewayId: 'gw', provisioned: false, conn: { state: 'online' } }]);
    expect((await get('/api/v1/offers')).body).toEqual({ offers: [] });
    const page = await app.request('/');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/assets/console/app.js'); // the console is ES modules (cloud/src/console)
    expect((await app.request('/assets/console/app.js')).headers.get('content-type')).toContain('javascript');
    const staff = await app.request('/staff');
    expect(staff.headers.get('content-security-policy')).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    expect(await staff.text()).toContain('/assets/console/staff.js');
    expect(await (await app.request('/assets/console/staff.js')).text()).toContain('/api/v1/alerts/ticket');
    const missing = await get('/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('/api/v1/nope');
  });
});
