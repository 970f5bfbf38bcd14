import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '@storesense/protocol';
import { hashPassword } from '../broker/credentials.js';
import { AuthService, hashToken } from '../auth/auth.service.js';
import type { Rule } from '../rules/rule.schema.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import type { CloudStore, StaffRole } from '../store/cloud-store.js';
import { makeEvent } from '../testing/fixtures.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';

/**
 * Two sites' worth of data for the authorisation table (authz.routes.test.ts): site A (stores a1,
 * a2) and site B (store b1), each with events, a gateway, a gap, alerts, offers, rules, staff and
 * API tokens. Written once into a template database that each mutating request gets a copy of.
 */
export const A = 'site-a';
export const B = 'site-b';
export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
export const MASTER_KEY = Buffer.alloc(32, 7);
export const LOGIN = { username: 'login-a', password: 'login-a-secret-1' };

export type RoleName = 'opAll' | 'opA' | 'staffA1' | 'anAll' | 'anA' | 'none';
export const ROLES: readonly RoleName[] = ['opAll', 'opA', 'staffA1', 'anAll', 'anA', 'none'];
/** Roles limited to site A (and, for staff, to store a1): the ones that must never see `OUT_OF_SCOPE`. */
export const SCOPED: ReadonlySet<RoleName> = new Set(['opA', 'staffA1', 'anA']);

const ACCOUNTS: Record<Exclude<RoleName, 'none'>, { username: string; role: StaffRole; siteId?: string; storeIds: string[] }> = {
  opAll: { username: 'op-all', role: 'operator', storeIds: [] },
  opA: { username: 'op-a', role: 'operator', siteId: A, storeIds: [] },
  staffA1: { username: 'staff-a1', role: 'staff', siteId: A, storeIds: ['a1'] },
  anAll: { username: 'an-all', role: 'analyst', storeIds: [] },
  anA: { username: 'an-a', role: 'analyst', siteId: A, storeIds: [] },
};
const OTHER_ACCOUNTS = [
  { username: 'staff-b1', role: 'staff' as const, siteId: B, storeIds: ['b1'] },
  { username: 'op-b', role: 'operator' as const, siteId: B, storeIds: [] },
];

export const rule = (id: string, siteIds?: string[]): Rule => ({
  id,
  name: `rule ${id}`,
  enabled: true,
  eventTypes: ['arrival'],
  audience: 'member',
  cooldownMs: 60_000,
  actions: [{ kind: 'staff_alert' }],
  ...(siteIds ? { siteIds } : {}),
});

export interface Fixture {
  dir: string;
  /** Bearer token of each role (session tokens of the accounts above). */
  tokens: Record<RoleName, string | undefined>;
  ids: { eventB: string; purchaseB: string; offerA: string; offerB: string; gapB: string; tokenA: string; tokenB: string; tokenAll: string };
  /** Strings of data outside site A (or store a1, for staff): none may appear in a scoped answer. */
  outOfScope: (role: RoleName) => string[];
  /** A fresh copy of the template database (for requests that change it). */
  copy(name: string): string;
}

/** Writes the template database into `dir` and returns what the table needs to address it. */
export async function buildFixture(dir: string): Promise<Fixture> {
  const path = join(dir, 'template.db');
  const store: CloudStore = openSqliteStore({ path, masterKey: MASTER_KEY });
  const logger = createLogger({ level: 'silent' });
  const auth = new AuthService({ store, clock: { now: () => T0 }, logger, metrics: new Metrics() });

  const key = (n: number) => n.toString(16).padStart(32, '0');
  await store.upsertMembers(
    ['m-both', 'm-aonly', 'm-bonly', 'm-none'].map((memberId, i) => ({
      memberId,
      name: `Name ${memberId}`,
      tier: 'gold',
      tags: [],
      consent: true,
      tokenKey: key(i + 1),
    })),
    T0,
  );
  const ev = (siteId: string, gatewayId: string, memberId: string, type: 'arrival' | 'purchase', storeId: string, extra: Record<string, unknown> = {}) =>
    makeEvent({
      siteId,
      gatewayId,
      storeId,
      type,
      at: T0 + 60_000,
      subject: { id: `s_${memberId.replace(/-/g, '')}0000`, memberId, signals: ['ble'] },
      ...extra,
    });
  const eventB = ev(B, 'gw-b1', 'm-bonly', 'arrival', 'b1');
  const purchaseB = ev(B, 'gw-b1', 'm-both', 'purchase', 'b1', { amount: 7777.77, currency: 'CNY' });
  for (const e of [
    ev(A, 'gw-a1', 'm-both', 'arrival', 'a1'),
    ev(A, 'gw-a1', 'm-aonly', 'arrival', 'a2'),
    ev(A, 'gw-a1', 'm-aonly', 'purchase', 'a1', { amount: 12, currency: 'CNY' }),
    eventB,
    purchaseB,
  ]) {
    await store.insertEvent(e, T0 + 61_000);
  }
  for (const [siteId, gatewayId] of [
    [A, 'gw-a1'],
    [B, 'gw-b1'],
  ] as const) {
    await store.updateGatewayConn(siteId, gatewayId, { v: 1, state: 'online', at: T0, version: '1.0.0' }, T0);
    // Enrolled into the fleet (decision 130): registered, credentials, a config published.
    if (siteId === A) await store.putModel({ version: 'm1', sha256: '0'.repeat(64), size: 1, createdAt: T0, body: Buffer.from([1]) });
    await store.registerGateway(siteId, gatewayId, T0);
    await store.upsertGatewayCredential({ siteId, gatewayId, username: `${siteId}.${gatewayId}`, passwordHash: '00', salt: '00', provisionedAt: T0 });
    await store.setGatewayConfig(siteId, gatewayId, { version: 1, sha256: '0'.repeat(64), body: { gatewayId }, overrides: {}, publishedAt: T0 });
  }
  const gap = (siteId: string, gatewayId: string) => ({
    v: 1 as const,
    id: newId(T0),
    siteId,
    gatewayId,
    at: T0,
    reason: 'max_rows' as const,
    count: 5,
    fromSeq: 1,
    toSeq: 5,
    fromAt: T0,
    toAt: T0,
  });
  const gapB = gap(B, 'gw-b1');
  await store.insertGap(gap(A, 'gw-a1'), T0);
  await store.insertGap(gapB, T0);

  // WiFi occupancy of one store per site; site B's figure is distinctive so a leak is visible.
  const occupancy = (storeId: string, value: number) => ({
    v: 1 as const,
    at: T0,
    storeId,
    minutes: [{ start: T0, occupancy: value, addresses: 20, fixed: 4 }],
    hours: [{ start: T0, uniqueVisitors: 9 }],
  });
  await store.putOccupancy(A, 'gw-a1', occupancy('a1', 3), T0);
  await store.putOccupancy(B, 'gw-b1', occupancy('b1', 4242.5), T0);

  const alert = (id: string, siteId: string, storeId: string) => ({
    id,
    at: T0,
    eventAt: T0,
    eventId: newId(T0),
    eventType: 'arrival' as const,
    siteId,
    storeId,
    memberId: 'm-both',
    memberName: 'Name m-both',
    tags: [],
    message: `arrival ${id}`,
    status: 'open' as const,
  });
  for (const a of [alert('alert-a1', A, 'a1'), alert('alert-a2', A, 'a2'), alert('alert-b1', B, 'b1')]) await store.insertAlert(a);

  const offer = (siteId: string, storeId: string) => ({
    id: newId(T0),
    kind: 'welcome',
    memberId: 'm-both',
    siteId,
    storeId,
    day: '2026-11-20',
    issuedAt: T0,
    expiresAt: T0 + 365 * 86_400_000,
    status: 'issued' as const,
    eventId: newId(T0),
    title: `offer at ${siteId}`,
  });
  const offerA = offer(A, 'a1');
  const offerB = offer(B, 'b1');
  await store.insertOffer(offerA);
  await store.insertOffer(offerB);

  for (const r of [rule('rule-a', [A]), rule('rule-b', [B]), rule('rule-ab', [A, B]), rule('rule-global')]) await store.putRule(r, T0);

  const { passwordHash, salt } = await hashPassword(LOGIN.password);
  await store.upsertStaff({ username: LOGIN.username, displayName: 'Login A', role: 'staff', siteId: A, storeIds: ['a1'], passwordHash, salt, updatedAt: T0 });
  const tokens = { none: undefined } as Record<RoleName, string | undefined>;
  for (const [role, acc] of Object.entries(ACCOUNTS) as [Exclude<RoleName, 'none'>, (typeof ACCOUNTS)['opAll']][]) {
    await store.upsertStaff({ ...acc, displayName: `Display ${acc.username}`, passwordHash: 'x', salt: 'x', updatedAt: T0 });
    const token = `sst_fixture_${role}`;
    await store.insertAuthToken({
      tokenHash: hashToken(token),
      kind: 'session',
      username: acc.username,
      name: acc.username,
      role: acc.role,
      siteId: acc.siteId,
      storeIds: acc.storeIds,
      createdAt: T0,
      expiresAt: T0 + 86_400_000,
    });
    tokens[role] = token;
  }
  for (const acc of OTHER_ACCOUNTS) await store.upsertStaff({ ...acc, displayName: `Display ${acc.username}`, passwordHash: 'x', salt: 'x', updatedAt: T0 });
  const tokenA = (await auth.createApiToken({ name: 'bi-site-a', role: 'analyst', siteId: A })).id;
  const tokenB = (await auth.createApiToken({ name: 'bi-site-b', role: 'analyst', siteId: B })).id;
  const tokenAll = (await auth.createApiToken({ name: 'bi-everywhere', role: 'analyst' })).id;
  await store.close();

  const siteB = [
    B,
    'gw-b1',
    'm-bonly',
    eventB.id,
    purchaseB.id,
    '7777.77',
    '4242.5',
    gapB.id,
    'alert-b1',
    offerB.id,
    'rule-b',
    'rule-ab',
    tokenB,
    'bi-site-b',
    'staff-b1',
    'op-b',
  ];
  // Members never seen at site A, and accounts and tokens that reach further than site A.
  const wider = ['m-none', 'op-all', 'an-all', tokenAll, 'bi-everywhere'];
  let copies = 0;
  return {
    dir,
    tokens,
    ids: { eventB: eventB.id, purchaseB: purchaseB.id, offerA: offerA.id, offerB: offerB.id, gapB: gapB.id, tokenA, tokenB, tokenAll },
    outOfScope: (role) => (role === 'staffA1' ? [...siteB, ...wider, 'alert-a2'] : SCOPED.has(role) ? [...siteB, ...wider] : []),
    copy(name) {
      const to = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}-${++copies}.db`);
      copyFileSync(path, to);
      return to;
    },
  };
}
