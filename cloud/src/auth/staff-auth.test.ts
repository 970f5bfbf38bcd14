import { demoMembersPath, exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { staffFrameSchema, type StaffAlert, type StaffFrame } from '@storesense/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeEvent } from '../testing/fixtures.js';
import { startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import type { StaffSeedInput } from './staff.seed.js';

// Real server on an ephemeral port, real ws clients; staff auth 'required' (the CLI default).
const SITE = 'mall-bj-01';
const PW = { alice: 'alice-secret-1', bob: 'bob-secret-22', carol: 'carol-secret-333', olga: 'olga-operator-4', ana: 'ana-analyst-55' };
const STAFF: StaffSeedInput[] = [
  { username: 'alice', password: PW.alice, displayName: 'Alice Wu', role: 'staff', siteId: SITE, storeIds: ['boutique'] },
  { username: 'bob', password: PW.bob, displayName: 'Bob Li', role: 'staff', siteId: SITE, storeIds: ['boutique'] },
  { username: 'carol', password: PW.carol, displayName: 'Carol Ma', role: 'staff', siteId: SITE, storeIds: ['annex'] },
  { username: 'olga', password: PW.olga, displayName: 'Olga Operator', role: 'operator', storeIds: [] },
  { username: 'ana', password: PW.ana, displayName: 'Ana Analyst', role: 'analyst', storeIds: [] },
];

interface Sock {
  ws: WebSocket;
  frames: StaffFrame[];
  closed: Promise<{ code: number; reason: string }>;
  alerts(): StaffAlert[];
  updates(): StaffAlert[];
  hello(): Promise<void>;
}

describe('staff auth: login, tickets, scoped sockets, claim and ack', () => {
  let t: TestCloud;
  let skewMs = 0;
  let http: string;
  let wsBase: string;
  let at = Date.UTC(2026, 10, 23, 2, 0, 0);

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('boutique'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({
      sites: [site.value],
      membersCsvPath: demoMembersPath,
      staff: STAFF,
      staffAuth: 'required',
      allowedOrigins: ['https://staff.example.com'],
      loginThrottle: { maxFailures: 3, windowMs: 60_000 },
      // A clock the test can move: tickets expire without sleeping.
      clock: { now: () => Date.now() + skewMs },
    });
    http = t.endpoints.httpUrl;
    wsBase = `${http.replace(/^http/, 'ws')}/api/v1/alerts/ws`;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${http}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any>, headers: res.headers };
  };
  const login = async (username: keyof typeof PW) => {
    const res = await call('POST', '/api/v1/auth/login', undefined, { username, password: PW[username] });
    expect(res.status).toBe(200);
    return res.body.token as string;
  };
  const ticket = async (token: string) => {
    const res = await call('POST', '/api/v1/alerts/ticket', token);
    expect(res.status).toBe(200);
    return res.body.ticket as string;
  };
  const open = (query: string, headers: Record<string, string> = {}): Sock => {
    const ws = new WebSocket(`${wsBase}?${query}`, { headers });
    const frames: StaffFrame[] = [];
    ws.on('message', (d) => frames.push(staffFrameSchema.parse(JSON.parse(String(d)))));
    ws.on('error', () => undefined);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    const pick = (type: 'alert' | 'alert_update') => frames.flatMap((f) => (f.type === type ? [f.alert] : []));
    return {
      ws,
      frames,
      closed,
      alerts: () => pick('alert'),
      updates: () => pick('alert_update'),
      hello: async () => void (await waitFor(() => frames.some((f) => f.type === 'hello'), 5000, 'hello')),
    };
  };
  const arrival = async (memberId: string, storeId: string) => {
    at += 60_000;
    const e = makeEvent({
      siteId: SITE,
      gatewayId: 'gw-boutique-1',
      storeId,
      type: 'arrival',
      at,
      subject: { id: `s_${memberId}_${at}`, signals: ['ble'], memberId },
    });
    expect((await t.cloud.ingestEvent(e)).status).toBe('stored');
    return e;
  };

  it('login: a wrong password and an unknown user get the same 401; a right one a session', async () => {
    const wrong = await call('POST', '/api/v1/auth/login', undefined, { username: 'alice', password: 'nope-nope' });
    const unknown = await call('POST', '/api/v1/auth/login', undefined, { username: 'mallory', password: 'nope-nope' });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid username or password' } });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'alice' })).status).toBe(400);

    const token = await login('alice');
    const me = await call('GET', '/api/v1/auth/me', token);
    expect(me.body.user).toEqual({ username: 'alice', displayName: 'Alice Wu', role: 'staff', siteId: SITE, storeIds: ['boutique'] });
    expect((await call('GET', '/api/v1/auth/me', 'sst_forged')).status).toBe(401);
    // Never a password or a token in the logs.
    expect(t.logs.text).not.toContain(PW.alice);
    expect(t.logs.text).not.toContain(token);
  });

  it('throttles repeated failed logins for a username (429 with Retry-After)', async () => {
    for (let i = 0; i < 3; i++) expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'ana', password: `wrong-${i}-xx` })).status).toBe(401);
    const throttled = await call('POST', '/api/v1/auth/login', undefined, { username: 'ana', password: PW.ana });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    skewMs += 61_000; // the window passes
    expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'ana', password: PW.ana })).status).toBe(200);
  });

  it('bounds concurrent guesses too: of 100 wrong logins at once for one user, at most the limit get a password check', async () => {
    skewMs += 61_000;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => call('POST', '/api/v1/auth/login', undefined, { username: 'carol', password: `guess-${i}-xx` })),
    );
    const statuses = answers.map((r) => r.status);
    // Before: all 100 were checked (401), the 10-per-user limit notwithstanding.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(97);
    skewMs += 61_000;
    expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'carol', password: PW.carol })).status).toBe(200);
  });

  it('refuses a socket without a ticket, with an expired one, with a reused one, and from a foreign Origin', async () => {
    const token = await login('alice');
    const none = open('since=0');
    expect(await none.closed).toEqual({ code: 4401, reason: 'ticket required' });

    const stale = await ticket(token);
    skewMs += 31_000;
    const expired = open(`ticket=${stale}`);
    expect(await expired.closed).toEqual({ code: 4401, reason: 'ticket expired' });

    const once = await ticket(token);
    const first = open(`ticket=${once}`);
    await first.hello();
    const again = open(`ticket=${once}`);
    expect(await again.closed).toEqual({ code: 4401, reason: 'ticket unknown or already used' });
    first.ws.close();

    const forged = open('ticket=stk_not-a-real-ticket');
    expect((await forged.closed).code).toBe(4401);

    const foreign = open(`ticket=${await ticket(token)}`, { origin: 'https://evil.example.net' });
    expect(await foreign.closed).toEqual({ code: 4403, reason: 'origin not allowed' });
    for (const s of [none, expired, again, forged, foreign]) expect(s.frames).toEqual([]);

    // The cloud's own origin and a configured one are fine.
    const own = open(`ticket=${await ticket(token)}`, { origin: http });
    await own.hello();
    own.ws.close();
    const configured = open(`ticket=${await ticket(token)}`, { origin: 'https://staff.example.com' });
    await configured.hello();
    configured.ws.close();
    expect(t.cloud.metrics.get('alerts_ws.refused')).toBe(5);
  });

  it('scopes sockets and listings to the staff member’s stores', async () => {
    const [alice, carol, olga] = [await login('alice'), await login('carol'), await login('olga')];
    const a = open(`ticket=${await ticket(alice)}`);
    const c = open(`ticket=${await ticket(carol)}`);
    const o = open(`ticket=${await ticket(olga)}`);
    await Promise.all([a.hello(), c.hello(), o.hello()]);
    expect(a.frames.find((f) => f.type === 'hello')).toMatchObject({ storeIds: ['boutique'] });

    await arrival('M0001', 'boutique');
    await arrival('M0002', 'annex');
    await waitFor(() => o.alerts().length === 2, 5000, 'operator gets both');
    await waitFor(() => a.alerts().length === 1 && c.alerts().length === 1, 5000, 'one each');
    expect(a.alerts().map((x) => [x.memberId, x.storeId])).toEqual([['M0001', 'boutique']]);
    expect(c.alerts().map((x) => [x.memberId, x.storeId])).toEqual([['M0002', 'annex']]);

    const listed = await call('GET', '/api/v1/alerts', carol);
    expect(listed.body.alerts.every((x: StaffAlert) => x.storeId === 'annex')).toBe(true);
    expect((await call('GET', '/api/v1/alerts')).status).toBe(401);
    // Carol cannot claim an alert of a store she does not work in (it does not exist for her).
    const boutiqueAlert = a.alerts()[0]!;
    expect(await call('POST', `/api/v1/alerts/${boutiqueAlert.id}/claim`, carol)).toMatchObject({ status: 404, body: { error: 'no such alert' } });
    for (const s of [a, c, o]) s.ws.close();
  });

  it('role checks: operator-only endpoints refuse staff (403), analysts get no tickets', async () => {
    const [alice, olga, ana] = [await login('alice'), await login('olga'), await login('ana')];
    expect(await call('GET', '/api/v1/staff', alice)).toMatchObject({ status: 403, body: { error: 'forbidden: needs role operator, token has staff' } });
    expect((await call('GET', '/api/v1/staff')).status).toBe(401);
    const staff = await call('GET', '/api/v1/staff', olga);
    expect(staff.status).toBe(200);
    expect(staff.body.staff.map((s: { username: string }) => s.username)).toEqual(['alice', 'ana', 'bob', 'carol', 'olga']);
    expect(JSON.stringify(staff.body)).not.toMatch(/passwordHash|salt|secret/);
    expect((await call('POST', '/api/v1/alerts/ticket', ana)).status).toBe(403);

    for (const path of ['/api/v1/events', '/api/v1/members', '/api/v1/offers', '/api/v1/gateways']) {
      expect((await call('GET', path)).status).toBe(401);
      expect((await call('GET', path, alice)).status).toBe(403);
      // Member profiles are operator-only (issue 6: analysts read aggregates).
      expect((await call('GET', path, ana)).status).toBe(path === '/api/v1/members' ? 403 : 200);
      expect((await call('GET', path, olga)).status).toBe(200);
    }
    const health = await call('GET', '/api/v1/health');
    expect(health.status).toBe(200); // monitoring stays open
    expect(health.body).toMatchObject({ auth: 'required' }); // consoles ask for a sign-in without probing
    const api = await t.cloud.createApiToken({ name: 'reporting', role: 'analyst' });
    expect((await call('GET', '/api/v1/alerts', api.token)).status).toBe(200);
    expect((await call('GET', '/api/v1/staff', api.token)).status).toBe(403);
    // Re-seeding the same password keeps sessions; a new password signs the person out.
    const carol = await login('carol');
    const carolSocket = open(`ticket=${await ticket(carol)}`);
    await carolSocket.hello();
    await t.cloud.seedStaff([STAFF[2]!]);
    expect((await call('GET', '/api/v1/auth/me', carol)).status).toBe(200);
    await t.cloud.seedStaff([{ ...STAFF[2]!, password: 'carol-new-secret' }]);
    expect((await call('GET', '/api/v1/auth/me', carol)).status).toBe(401);
    expect(await carolSocket.closed).toEqual({ code: 4401, reason: 'signed out' });
    await t.cloud.seedStaff([STAFF[2]!]);
    const loggedOut = await login('bob');
    expect((await call('POST', '/api/v1/auth/logout', loggedOut)).status).toBe(204);
    expect((await call('GET', '/api/v1/auth/me', loggedOut)).status).toBe(401);
  });

  it('a claim is broadcast to the store; a second claimant gets 409; a reconnect catches up', async () => {
    const [alice, bob] = [await login('alice'), await login('bob')];
    const a = open(`ticket=${await ticket(alice)}`);
    const b = open(`ticket=${await ticket(bob)}`);
    await Promise.all([a.hello(), b.hello()]);
    await arrival('M0003', 'boutique');
    const alert = (await waitFor(() => b.alerts()[0], 5000, 'alert at bob'))!;
    await waitFor(() => a.alerts().length === 1, 5000, 'alert at alice');

    const claimed = await call('POST', `/api/v1/alerts/${alert.id}/claim`, alice);
    expect(claimed).toMatchObject({ status: 200, body: { alert: { id: alert.id, status: 'claimed', claimedBy: 'Alice Wu' } } });
    expect((await call('POST', `/api/v1/alerts/${alert.id}/claim`, alice)).status).toBe(200); // a double tap
    for (const s of [a, b]) await waitFor(() => s.updates().some((u) => u.id === alert.id && u.claimedBy === 'Alice Wu'), 5000, 'update');

    const second = await call('POST', `/api/v1/alerts/${alert.id}/claim`, bob);
    expect(second).toMatchObject({ status: 409, body: { error: 'already claimed by Alice Wu', alert: { status: 'claimed' } } });
    expect((await call('POST', `/api/v1/alerts/${alert.id}/ack`, bob)).status).toBe(409);

    // Bob goes offline; Alice finishes, and another member arrives.
    const bobSeq = b.alerts().at(-1)!.seq;
    b.ws.close();
    await b.closed;
    expect(await call('POST', `/api/v1/alerts/${alert.id}/ack`, alice)).toMatchObject({
      status: 200,
      body: { alert: { status: 'acked', claimedBy: 'Alice Wu' } },
    });
    const missed = await arrival('M0004', 'boutique');
    await waitFor(() => a.alerts().some((x) => x.eventId === missed.id), 5000, 'missed alert live at alice');

    const back = open(`since=${bobSeq}&ticket=${await ticket(bob)}`);
    await back.hello();
    expect(back.updates()).toContainEqual(expect.objectContaining({ id: alert.id, status: 'acked', claimedBy: 'Alice Wu' }));
    expect(back.alerts().map((x) => x.eventId)).toEqual([missed.id]);
    expect((await call('GET', '/api/v1/alerts', bob)).body.alerts.find((x: StaffAlert) => x.id === alert.id)).toMatchObject({ status: 'acked' });
    expect(t.cloud.metrics.get('alerts.claim_conflict')).toBe(1);
    for (const s of [a, back]) s.ws.close();
  });
});
