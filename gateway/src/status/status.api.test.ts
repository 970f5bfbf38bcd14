import { describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { silentLogger } from '../log.js';
import { createHttpObservationSource } from '../sources/http-observations/http-observations.source.js';
import { ble } from '../testing/fixtures.js';
import { createStatusApp } from './status.api.js';

function setup() {
  const got: Observation[] = [];
  const source = createHttpObservationSource({ logger: silentLogger() });
  source.start((obs) => got.push(...obs));
  const app = createStatusApp({
    health: () => ({ v: 1, at: 1, version: 't', sources: { http_observations: source.health() }, outbox: { depth: 0, dropped: 0 }, model: { name: 'rules', version: '1' }, subjects: 0 }),
    observations: source,
    logger: silentLogger(),
  });
  return { app, got, source };
}

describe('status API (in-process)', () => {
  it('GET /api/v1/health', async () => {
    const { app } = setup();
    const res = await app.request('/api/v1/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ v: 1, model: { name: 'rules' } });
  });

  it('accepts NDJSON and a JSON array', async () => {
    const { app, got } = setup();
    const nd = [ble(1, 'rx-a', 's1', -60), ble(2, 'rx-a', 's1', -61)].map((o) => JSON.stringify(o)).join('\n');
    expect((await app.request('/api/v1/observations', { method: 'POST', body: nd })).status).toBe(200);
    const arr = await app.request('/api/v1/observations', { method: 'POST', body: JSON.stringify([ble(3, 'rx-a', 's2', -70)]), headers: { 'content-type': 'application/json' } });
    expect(await arr.json()).toEqual({ accepted: 1 });
    expect(got.map((o) => o.at)).toEqual([1, 2, 3]);
  });

  it('answers 400 with reasons for malformed lines and keeps the good ones', async () => {
    const { app, got, source } = setup();
    const body = [JSON.stringify(ble(1, 'rx-a', 's1', -60)), '{not json', JSON.stringify({ ...ble(2, 'rx-a', 's1', -60), rssiDbm: 99 }), '', JSON.stringify(ble(3, 'rx a', 's1', -60)), JSON.stringify(ble(4, 'rx-a', 's1', -60))].join('\n');
    const res = await app.request('/api/v1/observations', { method: 'POST', body });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { accepted: number; rejected: { at: string; error: string }[] };
    expect(json.accepted).toBe(2);
    expect(json.rejected.map((r) => r.at)).toEqual(['line 2', 'line 3', 'line 5']);
    expect(json.rejected[0]!.error).toMatch(/malformed JSON/);
    expect(json.rejected[1]!.error).toMatch(/rssiDbm/);
    expect(json.rejected[2]!.error).toMatch(/receiverId/);
    expect(got.map((o) => o.at)).toEqual([1, 4]);
    expect(source.health()).toMatchObject({ observations: 2, rejected: 3 });
  });

  it('rejects a malformed array body as a whole with a reason', async () => {
    const { app } = setup();
    const res = await app.request('/api/v1/observations', { method: 'POST', body: '[{"v":1,' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { rejected: unknown[] }).rejected).toHaveLength(1);
  });

  it('404 for observations when the source is not configured', async () => {
    const app = createStatusApp({ health: () => { throw new Error('unused'); }, logger: silentLogger() });
    expect((await app.request('/api/v1/observations', { method: 'POST', body: '' })).status).toBe(404);
    expect((await app.request('/api/v1/health')).status).toBe(500);
  });
});
