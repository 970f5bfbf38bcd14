import { join } from 'node:path';
import { exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { startTestCloud, type TestCloud } from '../testing/harness.js';
import { createApi } from './api.routes.js';

const T = Date.UTC(2026, 10, 22, 15, 0); // 23:00 in Asia/Shanghai
const MIN = 60_000;
const DAY = 86_400_000;

function boutique(): Site {
  const site = loadSiteFile(exampleSitePath('boutique'));
  if (!site.ok) throw new Error(site.error);
  return site.value;
}

describe('analytics API (in-process)', () => {
  let store: CloudStore;
  let cleanup: () => void;
  let app: ReturnType<typeof createApi>;
  const siteId = 'mall';

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    const sites = new Map([[siteId, { ...boutique(), id: siteId }]]);
    app = createApi({ store, logger: createLogger({ level: 'silent' }), metrics: new Metrics(), broker: () => ({ kind: 'embedded', connected: true }), sites });
    const e = (type: 'approach' | 'arrival', minutes: number, s: string) =>
      makeEvent({ type, at: T + minutes * MIN, siteId, storeId: 'st1', visitId: `v_${s}`, subject: { id: s, signals: ['ble'] } });
    for (const ev of [e('approach', 30, 'a'), e('arrival', 31, 'a'), e('approach', 70, 'b'), e('approach', 75, 'c'), e('arrival', 76, 'c')]) {
      await store.insertEvent(ev, ev.at);
    }
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  const get = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const range = `siteId=${siteId}&from=${T}&to=${T + DAY}`;

  it('footfall by site-local day and hour', async () => {
    const day = await get(`/api/v1/analytics/footfall?${range}&bucket=day`);
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ siteId, bucket: 'day', timeZone: 'Asia/Shanghai' });
    expect(day.body.rows).toEqual([
      { bucket: '2026-11-22', storeId: 'st1', approaches: 1, arrivals: 1, captureRate: 1 },
      { bucket: '2026-11-23', storeId: 'st1', approaches: 2, arrivals: 1, captureRate: 0.5 },
    ]);
    const hour = await get(`/api/v1/analytics/footfall?${range}&storeId=st1`);
    expect(hour.body.rows.map((r: { bucket: string }) => r.bucket)).toEqual(['2026-11-22T23', '2026-11-23T00']);
    expect((await get(`/api/v1/analytics/footfall?${range}&storeId=nope`)).body.rows).toEqual([]);
  });

  it.each(['dwell', 'floors', 'returning', 'offers', 'summary', 'funnel'])('GET /analytics/%s answers 200', async (name) => {
    const r = await get(`/api/v1/analytics/${name}?${range}`);
    expect(r.status).toBe(200);
  });

  it('summary headline figures', async () => {
    const r = await get(`/api/v1/analytics/summary?${range}`);
    expect(r.body).toMatchObject({ siteId, footfall: { approaches: 3, arrivals: 2, captureRate: 2 / 3 }, returning: { arrivals: 2, subjects: 2 } });
  });

  it('occupancy of one store as its gateway published it: minutes, hours and the peak, counts only', async () => {
    const minute = (i: number, occupancy: number) => ({ start: T + i * MIN, occupancy, addresses: 20, fixed: 4 });
    await store.putOccupancy(
      siteId,
      'gw1',
      { v: 1, at: T, storeId: 'st1', minutes: [minute(0, 3), minute(1, 7.5), minute(2, 4)], hours: [{ start: T, uniqueVisitors: 12 }] },
      T,
    );
    await store.putOccupancy(siteId, 'gw1', { v: 1, at: T, storeId: 'st2', minutes: [minute(1, 40)], hours: [] }, T);
    const r = await get(`/api/v1/analytics/occupancy?${range}&storeId=st1`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      siteId,
      from: T,
      to: T + DAY,
      storeId: 'st1',
      peakOccupancy: 7.5,
      minutes: [
        { start: T, occupancy: 3 },
        { start: T + MIN, occupancy: 7.5 },
        { start: T + 2 * MIN, occupancy: 4 },
      ],
      hours: [{ start: T, uniqueVisitors: 12 }],
    });
    const missing = await get(`/api/v1/analytics/occupancy?${range}`);
    expect(missing.status).toBe(400);
    expect(missing.body.issues.some((i: string) => i.startsWith('storeId: '))).toBe(true);
  });

  it.each([
    ['/api/v1/analytics/footfall', ['siteId: Invalid input: expected string, received undefined', 'from: Invalid input: expected number, received NaN']],
    [`/api/v1/analytics/footfall?siteId=${siteId}&from=${T}&to=${T}`, ['to: must be after from']],
    [`/api/v1/analytics/footfall?siteId=${siteId}&from=${T}&to=${T + 100 * DAY}`, ['to: range longer than 93 days']],
    [`/api/v1/analytics/footfall?${range}&bucket=week`, ['bucket: ']],
    [`/api/v1/analytics/dwell?${range}&zoneId=bad/zone`, ['zoneId: ']],
    [`/api/v1/analytics/summary?siteId=${siteId}&from=-5&to=x`, ['from: ', 'to: ']],
    [`/api/v1/analytics/funnel?siteId=${siteId}&from=${T + 1}&to=${T + DAY}`, ['from: must be a whole UTC hour']],
  ])('400 with paths: %s', async (path, issues) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid query parameters');
    for (const prefix of issues) expect(r.body.issues.some((i: string) => i.startsWith(prefix))).toBe(true);
  });
});

describe('analytics API roles (staff auth required, real server)', () => {
  let t: TestCloud;
  beforeAll(async () => {
    const site = boutique();
    t = await startTestCloud({
      sites: [site],
      staffAuth: 'required',
      staff: [
        { username: 'alice', password: 'alice-secret-1', displayName: 'Alice', role: 'staff', siteId: site.id, storeIds: ['boutique'] },
        { username: 'olga', password: 'olga-operator-4', displayName: 'Olga', role: 'operator', storeIds: [] },
        { username: 'ana', password: 'ana-analyst-55', displayName: 'Ana', role: 'analyst', storeIds: [] },
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const call = async (path: string, token?: string) =>
    (await fetch(`${t.endpoints.httpUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })).status;
  const login = async (username: string, password: string) => {
    const res = await fetch(`${t.endpoints.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return ((await res.json()) as { token: string }).token;
  };

  it('operators and analysts read analytics; staff get 403; no token 401', async () => {
    const [alice, olga, ana] = [await login('alice', 'alice-secret-1'), await login('olga', 'olga-operator-4'), await login('ana', 'ana-analyst-55')];
    const range = `siteId=${boutique().id}&from=${T}&to=${T + DAY}`;
    for (const name of ['footfall', 'dwell', 'floors', 'returning', 'offers', 'summary', 'occupancy']) {
      const path = `/api/v1/analytics/${name}?${range}${name === 'occupancy' ? '&storeId=st1' : ''}`;
      expect(await call(path)).toBe(401);
      expect(await call(path, alice)).toBe(403);
      expect(await call(path, olga)).toBe(200);
      expect(await call(path, ana)).toBe(200);
    }
  });
});
