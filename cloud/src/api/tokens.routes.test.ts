import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../testing/harness.js';

// A real cloud (sign-in required) on an ephemeral port: operators manage API tokens over HTTP.
const SITE = 'mall-bj-01';
const STAFF = [
  { username: 'olga', password: 'olga-operator-4', displayName: 'Olga', role: 'operator' as const, storeIds: [] },
  { username: 'alice', password: 'alice-secret-1', displayName: 'Alice', role: 'staff' as const, siteId: SITE, storeIds: ['boutique'] },
  { username: 'ana', password: 'ana-analyst-55', displayName: 'Ana', role: 'analyst' as const, storeIds: [] },
  { username: 'omar', password: 'omar-operator-6', displayName: 'Omar', role: 'operator' as const, storeIds: [] },
];

describe('API tokens: /api/v1/tokens', () => {
  let t: TestCloud;
  let http: string;
  const tokens: Record<string, string> = {};

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${http}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, text };
  };

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('boutique'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({ sites: [site.value], staff: STAFF, staffAuth: 'required' });
    http = t.endpoints.httpUrl;
    for (const s of STAFF) {
      const r = await call('POST', '/api/v1/auth/login', undefined, { username: s.username, password: s.password });
      tokens[s.username] = r.json!.token as string;
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('an operator creates a token that works at once, sees it listed by id only, and revokes it', async () => {
    const created = await call('POST', '/api/v1/tokens', tokens.olga, { name: 'nightly BI export', role: 'analyst' });
    expect(created.status).toBe(201);
    const { token, id } = created.json as { token: string; id: string };
    expect(token).toMatch(/^sat/);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect((await call('GET', '/api/v1/events', token)).status).toBe(200);
    expect((await call('GET', '/api/v1/rules', token)).status).toBe(403); // an analyst token, not an operator's

    const listed = await call('GET', '/api/v1/tokens', tokens.olga);
    expect(listed.status).toBe(200);
    expect(listed.json!.tokens).toContainEqual(expect.objectContaining({ id, name: 'nightly BI export', role: 'analyst' }));
    expect(listed.text).not.toContain(token); // never served back
    expect(listed.text).not.toContain(token.slice(3));

    expect((await call('DELETE', `/api/v1/tokens/${id}`, tokens.olga)).status).toBe(204);
    expect((await call('GET', '/api/v1/events', token)).status).toBe(401);
    expect((await call('DELETE', `/api/v1/tokens/${id}`, tokens.olga)).status).toBe(404);
  });

  it('a staff token is scoped to its stores; one without stores is refused with the path', async () => {
    const bad = await call('POST', '/api/v1/tokens', tokens.olga, { name: 'till bridge', role: 'staff' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('storeIds');
    const ok = await call('POST', '/api/v1/tokens', tokens.olga, { name: 'till bridge', role: 'staff', siteId: SITE, storeIds: ['boutique'] });
    expect(ok.status).toBe(201);
    expect((await call('GET', '/api/v1/alerts', (ok.json as { token: string }).token)).status).toBe(200);
  });

  it('a token stops working once it reaches beyond its creator as the account is now, and works again when the account does', async () => {
    const created = await call('POST', '/api/v1/tokens', tokens.omar, { name: 'ops tooling', role: 'operator' });
    expect(created.status).toBe(201);
    const { token } = created.json as { token: string };
    // A token minted with an API token is bound to the same account (its creator's creator).
    const second = await call('POST', '/api/v1/tokens', token, { name: 'site export', role: 'analyst', siteId: SITE });
    expect(second.status).toBe(201);
    const siteToken = (second.json as { token: string }).token;
    expect((await call('GET', '/api/v1/events', token)).status).toBe(200);

    const omar = STAFF.find((s) => s.username === 'omar')!;
    await t.cloud.seedStaff([{ ...omar, siteId: SITE }]); // same password: sessions live on, now scoped
    expect((await call('GET', '/api/v1/events', token)).status).toBe(401); // reaches every site; omar no longer does
    expect((await call('GET', '/api/v1/events', siteToken)).status).toBe(200); // within omar's site
    expect(t.logs.find('api token refused: reaches beyond its creator now')[0]).toMatchObject({
      createdBy: 'omar',
      reason: `reaches every site; yours is ${SITE}`,
    });
    expect(t.logs.text).not.toContain(token);

    await t.cloud.seedStaff([omar]);
    expect((await call('GET', '/api/v1/events', token)).status).toBe(200);
  });

  it('refuses bad bodies (each path named), bad ids, and every role but operator', async () => {
    const r = await call('POST', '/api/v1/tokens', tokens.olga, { name: '', role: 'admin', extra: 1 });
    expect(r.status).toBe(400);
    const text = JSON.stringify(r.json);
    for (const path of ['name', 'role']) expect(text).toContain(path);
    expect((await call('POST', '/api/v1/tokens', tokens.olga, '{not json')).status).toBe(400);
    expect((await call('DELETE', '/api/v1/tokens/not-an-id', tokens.olga)).status).toBe(400);
    for (const who of ['alice', 'ana']) {
      expect((await call('GET', '/api/v1/tokens', tokens[who])).status).toBe(403);
      expect((await call('POST', '/api/v1/tokens', tokens[who], { name: 'x', role: 'operator' })).status).toBe(403);
    }
    expect((await call('GET', '/api/v1/tokens')).status).toBe(401);
  });
});
