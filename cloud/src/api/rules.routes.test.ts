import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import { DEFAULT_RULES, type Rule } from '../rules/rules.js';
import type { CloudStore } from '../store/cloud-store.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { startTestCloud, type TestCloud } from '../testing/harness.js';
import { createApi } from './api.routes.js';

const vip: Rule = {
  id: 'vip-dwell',
  name: 'VIP lingering',
  enabled: true,
  eventTypes: ['dwell'],
  audience: 'member',
  memberTiers: ['platinum'],
  minDwellMs: 120_000,
  timeOfDay: { from: '10:00', to: '22:00' },
  cooldownMs: 600_000,
  actions: [
    { kind: 'staff_alert', message: '{name} lingers in {zone}' },
    { kind: 'offer', offerKind: 'vip', validForMs: 3_600_000, perMemberCapPerDay: 1, dailyBudgetPerStore: 20 },
  ],
};

describe('rules API (in-process, open mode)', () => {
  let store: CloudStore;
  let cleanup: () => void;
  let app: ReturnType<typeof createApi>;
  let changes: number;

  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    changes = 0;
    app = createApi({
      store,
      logger: createLogger({ level: 'silent' }),
      metrics: new Metrics(),
      broker: () => ({ kind: 'embedded', connected: true }),
      clock: { now: () => 42 },
      onRulesChanged: () => changes++,
    });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as Record<string, any>) };
  };

  it('lists the seeded rules, creates, reads, replaces and deletes one', async () => {
    expect((await call('GET', '/api/v1/rules')).body).toEqual({ rules: DEFAULT_RULES });
    expect(await call('POST', '/api/v1/rules', vip)).toEqual({ status: 201, body: { rule: vip, warnings: [] } }); // no site models in this test: nothing to check against
    expect(await call('POST', '/api/v1/rules', vip)).toMatchObject({ status: 409 });
    expect(await call('GET', '/api/v1/rules/vip-dwell')).toEqual({ status: 200, body: { rule: vip } });
    const { id: _id, ...withoutId } = { ...vip, enabled: false };
    expect(await call('PUT', '/api/v1/rules/vip-dwell', withoutId)).toEqual({ status: 200, body: { rule: { ...vip, enabled: false }, warnings: [] } });
    expect((await store.getRule('vip-dwell'))?.enabled).toBe(false);
    expect(await call('DELETE', '/api/v1/rules/vip-dwell')).toEqual({ status: 204, body: undefined });
    expect(await call('GET', '/api/v1/rules/vip-dwell')).toMatchObject({ status: 404 });
    expect(await call('DELETE', '/api/v1/rules/vip-dwell')).toMatchObject({ status: 404 });
    expect(await call('PUT', '/api/v1/rules/vip-dwell', withoutId)).toMatchObject({ status: 404 });
    expect(changes).toBe(3);
  });

  it('400 lists each error path', async () => {
    const bad = {
      ...vip,
      audience: 'everyone',
      actions: [
        { kind: 'offer', offerKind: 'x', validForMs: 'soon' },
        { kind: 'webhook', url: 'not a url' },
      ],
      timeOfDay: { from: '25:00', to: '10:00' },
    };
    const r = await call('POST', '/api/v1/rules', bad);
    expect(r.status).toBe(400);
    expect(r.body!.error).toBe('invalid body');
    const issues = r.body!.issues as string[];
    for (const prefix of ['audience: ', 'actions[0].validForMs: ', 'actions[1].url: ', 'timeOfDay.from: '])
      expect(
        issues.some((i) => i.startsWith(prefix)),
        prefix,
      ).toBe(true);
    expect(issues.find((i) => i.startsWith('actions[0].validForMs'))).toMatch(/expected number/);
    expect(await call('POST', '/api/v1/rules', '{nope')).toMatchObject({ status: 400, body: { issues: ['(root): malformed JSON'] } });
    expect(await call('PUT', '/api/v1/rules/welcome-offer', { ...vip })).toMatchObject({
      status: 400,
      body: { issues: ['id: must match the path (welcome-offer)'] },
    });
    expect(changes).toBe(0);
  });
});

describe('rules API (staff auth required, real server)', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud({
      staffAuth: 'required',
      staff: [
        { username: 'alice', password: 'alice-secret-1', displayName: 'Alice', role: 'staff', siteId: 'site1', storeIds: ['store1'] },
        { username: 'olga', password: 'olga-operator-4', displayName: 'Olga', role: 'operator', storeIds: [] },
        { username: 'ana', password: 'ana-analyst-55', displayName: 'Ana', role: 'analyst', storeIds: [] },
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const call = async (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${t.endpoints.httpUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const login = async (username: string, password: string) =>
    ((await (await call('POST', '/api/v1/auth/login', undefined, { username, password })).json()) as { token: string }).token;

  it('operators only: staff and analysts 403, no token 401', async () => {
    const [alice, olga, ana] = [await login('alice', 'alice-secret-1'), await login('olga', 'olga-operator-4'), await login('ana', 'ana-analyst-55')];
    for (const [method, path, body] of [
      ['GET', '/api/v1/rules'],
      ['POST', '/api/v1/rules', vip],
      ['GET', '/api/v1/rules/welcome-offer'],
      ['PUT', '/api/v1/rules/welcome-offer', DEFAULT_RULES[2]],
      ['DELETE', '/api/v1/rules/nope'],
    ] as const) {
      expect((await call(method, path, undefined, body)).status, `${method} ${path}`).toBe(401);
      expect((await call(method, path, alice, body)).status, `${method} ${path}`).toBe(403);
      expect((await call(method, path, ana, body)).status, `${method} ${path}`).toBe(403);
    }
    expect((await call('GET', '/api/v1/rules', olga)).status).toBe(200);
  });

  it('an edit through the API changes what the runner does on the next event', async () => {
    const olga = await login('olga', 'olga-operator-4');
    await t.cloud.store!.upsertMembers([{ memberId: 'M1', name: 'Ann', tier: 'gold', tags: [], consent: true, tokenKey: 'c'.repeat(32) }], 1);
    const at = Date.UTC(2026, 10, 23, 10);
    const approach = (i: number) => makeEvent({ at: at + i * 3_600_000, type: 'approach', subject: { id: 's', memberId: 'M1', signals: ['ble'] } });
    await t.cloud.ingestEvent(approach(0));
    expect((await t.cloud.store!.listAlerts({ limit: 10 })).length).toBe(1);
    const off = { ...DEFAULT_RULES[0]!, enabled: false };
    expect((await call('PUT', `/api/v1/rules/${off.id}`, olga, off)).status).toBe(200);
    await t.cloud.ingestEvent(approach(1));
    expect((await t.cloud.store!.listAlerts({ limit: 10 })).length).toBe(1);
    expect((await call('PUT', `/api/v1/rules/${off.id}`, olga, { ...off, enabled: true })).status).toBe(200);
    await t.cloud.ingestEvent(approach(2));
    expect((await t.cloud.store!.listAlerts({ limit: 10 })).length).toBe(2);
  });
});
