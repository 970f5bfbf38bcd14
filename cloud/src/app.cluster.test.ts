import { randomBytes } from 'node:crypto';
import { staffFrameSchema, type StaffFrame } from '@storesense/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeEvent } from './testing/fixtures.js';
import { startTestCloud, waitFor, type TestCloud } from './testing/harness.js';
import { dropSchema, freshSchemaName, pgQuery, postgresUnavailable, urlWithSchema } from './testing/postgres.fixture.js';
import { deleteRedisPrefix, freshRedisPrefix, REDIS_TEST_URL, redisUnavailable } from './testing/redis.fixture.js';

// Two cloud nodes in one process sharing one PostgreSQL schema and one Redis prefix (decisions
// 100-102): an alert raised on either reaches the sockets of both; a socket whose node stops
// resumes on the other with its last seq and gets exactly what it missed.
const unavailable = (await postgresUnavailable()) ?? (await redisUnavailable());

function openSocket(url: string) {
  const ws = new WebSocket(url);
  const frames: StaffFrame[] = [];
  let closed = false;
  ws.on('message', (data) => frames.push(staffFrameSchema.parse(JSON.parse(String(data)))));
  ws.on('close', () => {
    closed = true;
  });
  return { ws, frames, closed: () => closed, alerts: () => frames.flatMap((f) => (f.type === 'alert' ? [f.alert] : [])) };
}

describe.skipIf(unavailable !== undefined)('two cloud nodes on PostgreSQL + Redis', () => {
  const schema = freshSchemaName();
  const prefix = freshRedisPrefix();
  const masterKey = randomBytes(32);
  let a: TestCloud;
  let b: TestCloud;
  const at = Date.UTC(2026, 10, 23, 10);
  let n = 0;
  const arrival = (memberId: string) => makeEvent({ at: at + n++ * 1000, type: 'arrival', subject: { id: `s_${memberId}`, memberId, signals: ['ble'] } });
  const wsUrl = (t: TestCloud, since?: number) =>
    `${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws${since === undefined ? '' : `?since=${since}`}`;

  beforeAll(async () => {
    await pgQuery(`CREATE SCHEMA ${schema}`);
    const options = { databaseUrl: urlWithSchema(schema), masterKey, redisUrl: REDIS_TEST_URL, redisPrefix: prefix };
    a = await startTestCloud(options);
    b = await startTestCloud(options);
    const members = Array.from({ length: 8 }, (_, i) => ({
      memberId: `M${i}`,
      name: `Member ${i}`,
      tier: 'gold',
      tags: [],
      consent: true,
      tokenKey: 'c'.repeat(32),
    }));
    await a.cloud.store!.upsertMembers(members, 1);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop().catch(() => undefined);
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
  });

  it('fans an alert raised on either node out to the sockets of both, once', async () => {
    const onA = openSocket(wsUrl(a));
    const onB = openSocket(wsUrl(b));
    await waitFor(() => onA.frames.length > 0 && onB.frames.length > 0, 5000, 'hellos');
    expect((await a.cloud.ingestEvent(arrival('M0'))).status).toBe('stored');
    expect((await b.cloud.ingestEvent(arrival('M1'))).status).toBe('stored');
    await Promise.all([a.cloud.ingestEvent(arrival('M2')), b.cloud.ingestEvent(arrival('M3'))]);
    for (const s of [onA, onB]) await waitFor(() => s.alerts().length === 4, 5000, 'four alerts');
    for (const s of [onA, onB]) {
      expect(
        s
          .alerts()
          .map((x) => x.memberId)
          .sort(),
      ).toEqual(['M0', 'M1', 'M2', 'M3']);
      const seqs = s.alerts().map((x) => x.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y)); // in seq order
    }
    // The same event ingested on the other node (a redelivery) stores nothing and raises nothing.
    const again = arrival('M4');
    await Promise.all([a.cloud.ingestEvent(again), b.cloud.ingestEvent(again)]);
    for (const s of [onA, onB]) await waitFor(() => s.alerts().length === 5, 5000, 'the fifth alert');
    expect((await a.cloud.store!.listAlerts({ limit: 100 })).length).toBe(5);
    onA.ws.close();
    onB.ws.close();
  });

  it('a socket whose node stops resumes on the other node with exactly what it missed', async () => {
    const s1 = openSocket(wsUrl(b, 0));
    await waitFor(() => s1.frames.some((f) => f.type === 'hello'), 5000, 'hello on B');
    const before = s1.alerts();
    expect(before).toHaveLength(5);
    await b.stop(); // node B goes away; its sockets drop
    await waitFor(() => s1.closed(), 5000, 'socket closed by the stop');
    const lastSeq = before.at(-1)!.seq;
    const missed = [arrival('M5'), arrival('M6')];
    for (const e of missed) await a.cloud.ingestEvent(e);
    const s2 = openSocket(wsUrl(a, lastSeq));
    await waitFor(() => s2.frames.some((f) => f.type === 'hello'), 5000, 'hello on A');
    expect(
      s2
        .alerts()
        .map((x) => x.eventId)
        .sort(),
    ).toEqual(missed.map((e) => e.id).sort());
    expect(s2.alerts().map((x) => x.seq)).toEqual([lastSeq + 1, lastSeq + 2]);
    expect(s2.frames.at(-1)).toEqual({ type: 'hello', lastSeq: s2.alerts().at(-1)!.seq });
    await a.cloud.ingestEvent(arrival('M7'));
    await waitFor(() => s2.alerts().length === 3, 5000, 'live alert after resume');
    expect(new Set([...before, ...s2.alerts()].map((x) => x.seq)).size).toBe(8); // none twice
    s2.ws.close();
  });
});

describe.skipIf(unavailable !== undefined)('two cloud nodes with sign-in required', () => {
  const schema = freshSchemaName();
  const prefix = freshRedisPrefix();
  let a: TestCloud;
  let b: TestCloud;
  const staff = [
    { username: 'wang', password: 'first-password', displayName: 'Wang Fang', role: 'staff' as const, siteId: 'site1', storeIds: ['st1'] },
    { username: 'ops', password: 'operator-password', displayName: 'Ops', role: 'operator' as const },
  ];
  beforeAll(async () => {
    await pgQuery(`CREATE SCHEMA ${schema}`);
    const options = {
      databaseUrl: urlWithSchema(schema),
      masterKey: randomBytes(32),
      redisUrl: REDIS_TEST_URL,
      redisPrefix: prefix,
      staffAuth: 'required' as const,
    };
    a = await startTestCloud({ ...options, staff });
    b = await startTestCloud(options);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
  });

  it('a password change on node A closes the account’s socket on node B; a rule deleted on A stops alerting on B', async () => {
    const login = await fetch(`${a.endpoints.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ username: 'wang', password: 'first-password' }),
    });
    const { token } = (await login.json()) as { token: string };
    const { ticket } = (await (
      await fetch(`${a.endpoints.httpUrl}/api/v1/alerts/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      ticket: string;
    };
    const ws = new WebSocket(`${b.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws?ticket=${ticket}`);
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(String(d)));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    await waitFor(() => frames.length > 0, 5000, 'hello on B');
    await a.cloud.seedStaff([{ ...staff[0]!, password: 'second-password' }]);
    expect(await closed).toEqual({ code: 4401, reason: 'signed out' });

    // Rules: B has loaded and cached them (an alert), A deletes the arrival rule, B drops its cache.
    await a.cloud.store!.upsertMembers(
      ['M1', 'M2'].map((memberId) => ({ memberId, name: memberId, tier: 'gold', tags: [], consent: true, tokenKey: 'c'.repeat(32) })),
      1,
    );
    const at = Date.UTC(2026, 10, 23, 10);
    const arrival = (memberId: string, i: number) => makeEvent({ at: at + i, type: 'arrival', subject: { id: `s_${memberId}`, memberId, signals: ['ble'] } });
    await b.cloud.ingestEvent(arrival('M1', 0));
    expect(await b.cloud.store!.listAlerts({ limit: 10 })).toHaveLength(1);
    const api = await a.cloud.createApiToken({ name: 'ops-tool', role: 'operator' });
    const del = await fetch(`${a.endpoints.httpUrl}/api/v1/rules/member-arrival-alert`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${api.token}` },
    });
    expect(del.status).toBe(204);
    await waitFor(() => b.cloud.metrics.get('rules.invalidated_by_broadcast') >= 1, 5000, 'B told');
    await b.cloud.ingestEvent(arrival('M2', 1));
    expect(await b.cloud.store!.listAlerts({ limit: 10 })).toHaveLength(1); // no new alert: B reloaded the rules
  });
});
