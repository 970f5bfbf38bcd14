import { join } from 'node:path';
import { exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { createApi } from '../api/api.routes.js';
import { LIVE_SHARE_MS } from '../api/map.routes.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { GatewayStatus } from '../store/cloud-store.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { liveWifi, mapSite, RECEIVER_STALE_MS, receiverHealth, wifiAt } from './floor-map.js';

const NOW = Date.UTC(2026, 10, 23, 4, 0);
function site(name: 'dept-store' | 'boutique'): Site {
  const s = loadSiteFile(exampleSitePath(name));
  if (!s.ok) throw new Error(s.error);
  return s.value;
}
const health = (receivedAt: number, sourceState: 'ok' | 'degraded' = 'ok', occupancy?: number) => ({
  value: {
    v: 1 as const,
    at: receivedAt,
    version: '1',
    subjects: 0,
    model: { name: 'rules', version: '1' },
    sources: { ble: { state: sourceState, observations: 1, rejected: 0 } },
    outbox: { depth: 0, dropped: 0 },
    ...(occupancy !== undefined ? { occupancy: [{ storeId: 'boutique', occupancy, fixedDevices: 0 }] } : {}),
  },
  receivedAt,
});
const gw = (over: Partial<GatewayStatus>): GatewayStatus => ({ siteId: 'mall-bj-01', gatewayId: 'gw-boutique-1', provisioned: true, ...over });
const conn = (state: 'online' | 'offline') => ({ state, at: NOW, version: '1', receivedAt: NOW });

describe('floor map model', () => {
  it('carries geometry and receiver positions, nothing of calibration, terminals, gateway settings or member tokens', () => {
    const s = site('dept-store');
    const m = mapSite(s);
    expect(m.zones.length).toBe(s.areas.length + s.stores.flatMap((x) => x.zones).length);
    expect(m.receivers.map((r) => r.id)).toEqual(s.receivers.map((r) => r.id));
    expect(m.receivers.every((r) => r.gatewayIds.length > 0)).toBe(true);
    expect(JSON.stringify(m)).not.toMatch(/calibration|rssiOffsetDb|memberTokens|terminals|tickMs|wallAttenuationDb|journey/);
  });

  it.each([
    ['never heard of', [], 'unknown', undefined],
    ['online with fresh health', [gw({ conn: conn('online'), health: health(NOW - 5_000) })], 'ok', NOW - 5_000],
    ['fresh health, a source degraded', [gw({ conn: conn('online'), health: health(NOW - 5_000, 'degraded') })], 'degraded', NOW - 5_000],
    ['health exactly at the bound', [gw({ conn: conn('online'), health: health(NOW - RECEIVER_STALE_MS) })], 'ok', NOW - RECEIVER_STALE_MS],
    ['health past the bound', [gw({ conn: conn('online'), health: health(NOW - RECEIVER_STALE_MS - 1) })], 'stale', NOW - RECEIVER_STALE_MS - 1],
    ['offline (last will)', [gw({ conn: conn('offline'), health: health(NOW - 1_000) })], 'offline', NOW - 1_000],
    ['another site gateway of the same id', [gw({ siteId: 'elsewhere', conn: conn('online'), health: health(NOW) })], 'unknown', undefined],
  ] as const)('receiver health: %s', (_name, gateways, state, lastSeenAt) => {
    const rx = receiverHealth(mapSite(site('boutique')), gateways, NOW);
    expect(rx.map((r) => r.state)).toEqual(rx.map(() => state));
    expect(rx[0]!.lastSeenAt).toBe(lastSeenAt);
  });

  it('WiFi estimate: a fresh health figure, else the newest closed stored minute no older than 5 min', () => {
    const minutes = [0, 1, 2].map((i) => ({ start: NOW - (3 - i) * 60_000, occupancy: 10 + i, addresses: 20, fixed: 1 }));
    expect(wifiAt('boutique', minutes, NOW)).toEqual({ storeId: 'boutique', occupancy: 12, at: NOW - 60_000, source: 'minute' });
    expect(wifiAt('boutique', minutes, NOW - 1)?.occupancy).toBe(11); // the newest minute has not closed yet
    expect(wifiAt('boutique', minutes, NOW + 5 * 60_000)?.occupancy).toBe(12);
    expect(wifiAt('boutique', minutes, NOW + 5 * 60_000 + 1)).toBeUndefined();
    expect(liveWifi('boutique', [gw({ health: health(NOW - 2_000, 'ok', 4.5) })], 'mall-bj-01', minutes, NOW)).toMatchObject({
      occupancy: 4.5,
      source: 'health',
    });
    expect(liveWifi('boutique', [gw({ health: health(NOW - RECEIVER_STALE_MS - 1, 'ok', 4.5) })], 'mall-bj-01', minutes, NOW)).toMatchObject({
      occupancy: 12,
      source: 'minute',
    });
  });

  it('routes: 404 for a site the cloud does not know, 400 naming the parameter for a reversed or too long playback range or too many frames', async () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    const b = site('boutique');
    const app = createApi({
      store,
      logger: createLogger({ level: 'silent' }),
      metrics: new Metrics(),
      broker: () => ({ kind: 'embedded', connected: true }),
      sites: new Map([[b.id, b]]),
    });
    expect((await app.request('/api/v1/map/site?siteId=nowhere')).status).toBe(404);
    expect((await app.request('/api/v1/map/live?siteId=nowhere')).status).toBe(404);
    for (const q of [`from=${NOW}&to=${NOW - 1}`, `from=${NOW}&to=${NOW + 27 * 3_600_000}`, `from=${NOW}&to=${NOW + 1000}&steps=5000`]) {
      const res = await app.request(`/api/v1/map/playback?siteId=${b.id}&${q}`);
      expect(res.status, q).toBe(400);
      expect(JSON.stringify(await res.json()), q).toMatch(q.includes('steps') ? /steps/ : /\bto\b.*(after from|longer than 26 hours)/);
    }
    const ok = (await (await app.request(`/api/v1/map/playback?siteId=${b.id}&from=${NOW}&to=${NOW + 60_000}&steps=6`)).json()) as {
      times: number[];
      zones: Record<string, number[]>;
    };
    expect(ok.times).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => NOW + i * 10_000));
    expect(ok.zones.handbags).toEqual([0, 0, 0, 0, 0, 0, 0]);
    await store.close();
    t.cleanup();
  });

  it('live: one answer per site and 500 ms, shared by every poller; the next one sees the new event', async () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    const b = site('boutique');
    let now = NOW;
    const app = createApi({
      store,
      clock: { now: () => now },
      logger: createLogger({ level: 'silent' }),
      metrics: new Metrics(),
      broker: () => ({ kind: 'embedded', connected: true }),
      sites: new Map([[b.id, b]]),
    });
    const live = async () => (await (await app.request(`/api/v1/map/live?siteId=${b.id}`)).json()) as { at: number; zones: Record<string, number> };
    expect((await live()).zones).toEqual({});
    const e = makeEvent({
      siteId: b.id,
      gatewayId: 'gw-boutique-1',
      storeId: 'boutique',
      type: 'dwell',
      phase: 'start',
      zoneId: 'handbags',
      dwellMs: 30_000,
      at: NOW + 100,
    });
    await store.insertEvent(e, NOW + 100);
    now = NOW + LIVE_SHARE_MS - 1;
    expect(await live()).toMatchObject({ at: NOW, zones: {} });
    now = NOW + LIVE_SHARE_MS;
    expect(await live()).toMatchObject({ at: NOW + LIVE_SHARE_MS, zones: { handbags: 1 } });
    await store.close();
    t.cleanup();
  });
});
