import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { codecs, topics, type MemberKeys, type StaffAlert } from '@storesense/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { connectClient, startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';

// A real cloud (staff auth required, the CLI default) with the boutique site: members through the
// HTTP API, events through in-process ingest (same path as MQTT).
const SITE = 'mall-bj-01';
const KEY = { a: '0123456789abcdef0123456789abcdef', b: 'fedcba9876543210fedcba9876543210', c: '00112233445566778899aabbccddeeff' };
const STAFF = [
  { username: 'olga', password: 'olga-operator-4', displayName: 'Olga', role: 'operator' as const, storeIds: [] },
  { username: 'ana', password: 'ana-analyst-55', displayName: 'Ana', role: 'analyst' as const, storeIds: [] },
  { username: 'alice', password: 'alice-secret-1', displayName: 'Alice', role: 'staff' as const, siteId: SITE, storeIds: ['boutique'] },
];
const CSV = [
  'memberId,name,tier,tags,consent,tokenKey',
  `M1,Li Na,gold,silk-scarves;handbags,yes,${KEY.a}`, // row 2: ok
  `M2,Wang Fang,diamond,,yes,${KEY.b}`, // row 3: bad tier
  'M3,,gold,Bad Tag,maybe,xyz', // row 4: four problems
  `M4,Zhou Min,basic,,no,${KEY.c}`, // row 5: ok
  `M1,Li Na again,gold,,yes,${KEY.b}`, // row 6: duplicate id
].join('\n');

describe('members API', () => {
  let t: TestCloud;
  let http: string;
  const tokens: Record<string, string> = {};
  const at0 = Date.UTC(2026, 10, 20, 2);

  beforeAll(async () => {
    const site = loadSiteFile(exampleSitePath('boutique'));
    if (!site.ok) throw new Error(site.error);
    t = await startTestCloud({ sites: [site.value], staff: STAFF, staffAuth: 'required' });
    http = t.endpoints.httpUrl;
    for (const s of STAFF) {
      const res = await fetch(`${http}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: s.username, password: s.password }),
      });
      tokens[s.username] = ((await res.json()) as { token: string }).token;
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  const call = async (method: string, path: string, opts: { as?: string; json?: unknown; csv?: string } = {}) => {
    const headers: Record<string, string> = { ...(opts.as ? { authorization: `Bearer ${tokens[opts.as]}` } : {}) };
    let body: string | undefined;
    if (opts.json !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(opts.json)];
    if (opts.csv !== undefined) [headers['content-type'], body] = ['text/csv; charset=utf-8', opts.csv];
    const res = await fetch(`${http}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, text, body: text ? (JSON.parse(text) as any) : undefined };
  };
  const event = (type: 'arrival' | 'dwell' | 'purchase', at: number, memberId: string, extra: Record<string, unknown> = {}) =>
    makeEvent({
      type,
      at,
      siteId: SITE,
      gatewayId: 'gw-boutique-1',
      storeId: 'boutique',
      visitId: `v-${memberId}-${at}`,
      subject: { id: `s-${memberId}`, memberId, signals: ['ble'] },
      ...extra,
    });

  it('imports a CSV with mixed rows: good rows land, each problem is reported by row and field', async () => {
    const res = await call('POST', '/api/v1/members/import', { as: 'olga', csv: CSV });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ imported: 2, updated: 0, rejected: 3 });
    expect(res.body.errors.map((e: { row: number; field: string }) => `${e.row}:${e.field}`)).toEqual([
      '3:tier',
      '4:name',
      '4:tags',
      '4:consent',
      '4:tokenKey',
      '6:memberId',
    ]);
    expect(res.text).not.toContain(KEY.b);
    const again = await call('POST', '/api/v1/members/import', { as: 'olga', csv: CSV.split('\n').slice(0, 2).join('\n') });
    expect(again.body).toEqual({ imported: 0, updated: 1, rejected: 0, errors: [] });
    expect((await call('POST', '/api/v1/members/import', { as: 'olga', json: { csv: 'x' } })).status).toBe(415);
    expect((await call('POST', '/api/v1/members/import', { as: 'olga', csv: 'id,name\n' })).body.errors).toEqual([
      { row: 1, field: '(header)', message: 'expected header "memberId,name,tier,tags,consent,tokenKey"' },
    ]);
  });

  it('the import republishes member keys to gateways (consenting members only)', async () => {
    await t.cloud.provisionGateway({ siteId: SITE, gatewayId: 'gw-boutique-1', password: 'a-long-password' });
    const gw = await connectClient(t.endpoints.mqttUrl, `${SITE}.gw-boutique-1`, 'a-long-password');
    const seen: MemberKeys[] = [];
    gw.on('message', (_topic, payload) => {
      const d = codecs.memberKeys.decode(payload);
      if (d.ok) seen.push(d.value);
    });
    await gw.subscribeAsync(topics.memberKeys(SITE, 'gw-boutique-1'), { qos: 1 });
    await waitFor(() => seen.length >= 1, 5000, 'retained keys');
    const csv = `memberId,name,tier,tags,consent,tokenKey\nM5,New Member,silver,,yes,${'5'.repeat(32)}\n`;
    await call('POST', '/api/v1/members/import', { as: 'olga', csv });
    await waitFor(() => seen.some((k) => k.members.some((m) => m.memberId === 'M5')), 5000, 'republished keys');
    expect(seen.at(-1)!.members.map((m) => m.memberId)).toEqual(['M1', 'M5']); // M4 has no consent
    await gw.endAsync();
  });

  it('lists summaries with visits, last sighting and spend; searches by q and tier; pages with a total', async () => {
    for (const e of [
      event('arrival', at0, 'M1'),
      event('arrival', at0 + 5, 'M1', { visitId: `v-M1-${at0}` }), // one visit, two arrivals
      event('arrival', at0 + 86_400_000, 'M1'),
      event('purchase', at0 + 86_400_000 + 60_000, 'M1', { amount: 1200, currency: 'CNY', subject: { id: 'till', memberId: 'M1', signals: ['terminal'] } }),
    ])
      expect((await t.cloud.ingestEvent(e)).status).toBe('stored');
    const all = await call('GET', '/api/v1/members', { as: 'olga' });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(all.body.members[0]).toEqual({
      id: 'M1',
      name: 'Li Na',
      tier: 'gold',
      tags: ['silk-scarves', 'handbags'],
      consent: { presence: true, marketing: true },
      visits: 2,
      lastSeenAt: at0 + 86_400_000 + 60_000,
      totalSpend: 1200,
      currency: 'CNY',
    });
    expect(all.text).not.toMatch(/tokenKey|0123456789abcdef/);
    expect((await call('GET', '/api/v1/members?q=zhou', { as: 'olga' })).body.members.map((m: { id: string }) => m.id)).toEqual(['M4']);
    expect((await call('GET', '/api/v1/members?q=SCARVES', { as: 'olga' })).body.members.map((m: { id: string }) => m.id)).toEqual(['M1']);
    expect((await call('GET', '/api/v1/members?tier=basic', { as: 'olga' })).body).toMatchObject({ total: 1, members: [{ id: 'M4' }] });
    expect((await call('GET', '/api/v1/members?limit=1&offset=1', { as: 'olga' })).body).toMatchObject({ total: 3, members: [{ id: 'M4' }] });
  });

  it('answers 400 with the path of each problem (query, body, id)', async () => {
    const q = await call('GET', '/api/v1/members?tier=diamond&limit=0&offset=-1', { as: 'olga' });
    expect(q.status).toBe(400);
    expect(q.body.issues.map((i: string) => i.split(':')[0])).toEqual(['tier', 'limit', 'offset']);
    const b = await call('PUT', '/api/v1/members/M9', {
      as: 'olga',
      json: { name: '', tier: 'gold', tags: ['Bad Tag'], consent: {}, devices: [{ deviceId: 'd 1', platform: 'nokia' }], tokenKey: 'zz' },
    });
    expect(b.status).toBe(400);
    expect(b.body.issues.map((i: string) => i.split(':')[0])).toEqual([
      'name',
      'tags[0]',
      'consent.presence',
      'devices[0].deviceId',
      'devices[0].platform',
      'tokenKey',
    ]);
    expect(
      (await call('PUT', '/api/v1/members/M9', { as: 'olga', json: { id: 'M8', name: 'x', tier: 'gold', consent: { presence: true } } })).body.issues,
    ).toEqual(['id: must match the path (M9)']);
    expect((await call('GET', '/api/v1/members/bad%20id', { as: 'olga' })).status).toBe(400);
    expect((await call('PUT', '/api/v1/members/M9', { as: 'olga', json: 'not json' })).status).toBe(400);
  });

  it('creates and replaces whole profiles; the token key is write-only; detail has purchases and a recommendation', async () => {
    const profile = {
      name: 'Chen Jing',
      nickname: 'CJ',
      tier: 'platinum',
      tags: ['handbags'],
      preferences: { size: 'M' },
      consent: { presence: true, marketing: false },
      devices: [{ deviceId: 'iphone-1', platform: 'ios', label: 'iPhone' }],
      tokenKey: 'ABCDEF0123456789ABCDEF0123456789',
    };
    const created = await call('PUT', '/api/v1/members/M7', { as: 'olga', json: profile });
    expect(created.status).toBe(201);
    expect(created.body.member).toMatchObject({
      id: 'M7',
      nickname: 'CJ',
      tier: 'platinum',
      consent: { presence: true, marketing: false },
      preferences: { size: 'M' },
    });
    expect(created.text).not.toMatch(/tokenKey|abcdef0123/i);
    const replaced = await call('PUT', '/api/v1/members/M7', { as: 'olga', json: { ...profile, tokenKey: undefined, tier: 'gold' } });
    expect(replaced.status).toBe(200);
    expect((await t.cloud.store!.listConsentingMemberKeys()).find((k) => k.memberId === 'M7')?.key).toBe('abcdef0123456789abcdef0123456789');

    const d = await call('GET', '/api/v1/members/M1', { as: 'olga' });
    expect(d.status).toBe(200);
    expect(d.body.purchases).toEqual([{ at: at0 + 86_400_000 + 60_000, storeId: 'boutique', amount: 1200, currency: 'CNY', eventId: expect.any(String) }]);
    expect(d.body.recommendation.headline).toMatch(/^likes silk scarves, handbags; last purchase .*; gold tier: offer a private fitting$/);
    expect(d.body.recommendation.items.map((i: { label: string }) => i.label)).toContain('Show Silk scarves');
    expect(d.text).not.toContain(KEY.a);
    expect((await call('GET', '/api/v1/members/NOPE', { as: 'olga' })).status).toBe(404);
  });

  it('staff alerts carry the member summary and the recommendation', async () => {
    const arrival = event('arrival', Date.UTC(2026, 10, 23, 2), 'M1');
    await t.cloud.ingestEvent(arrival);
    const res = await call('GET', '/api/v1/alerts', { as: 'alice' });
    const alert = (res.body.alerts as StaffAlert[]).find((a) => a.eventId === arrival.id)!;
    expect(alert.member).toEqual({
      id: 'M1',
      name: 'Li Na',
      tier: 'gold',
      tags: ['silk-scarves', 'handbags'],
      visits: 3,
      lastSeenAt: at0 + 86_400_000 + 60_000,
      totalSpend: 1200,
      currency: 'CNY',
    });
    expect(alert.recommendation?.headline).toContain('likes silk scarves');
    expect(alert.recommendation?.items[0]).toEqual({ label: 'Show Silk scarves', reason: 'likes silk scarves' });
  });

  it('refuses members endpoints without a token (401), to staff and analysts (403)', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/members'],
      ['GET', '/api/v1/members/M1'],
      ['PUT', '/api/v1/members/M1'],
      ['DELETE', '/api/v1/members/M1'],
      ['POST', '/api/v1/members/import'],
    ] as const) {
      expect((await call(method, path)).status, `${method} ${path}`).toBe(401);
      expect((await call(method, path, { as: 'alice' })).status, `${method} ${path}`).toBe(403);
      expect((await call(method, path, { as: 'ana' })).status, `${method} ${path}`).toBe(403);
    }
    expect((await call('GET', '/api/v1/analytics/summary?siteId=mall-bj-01&from=0&to=1000', { as: 'ana' })).status).toBe(200); // aggregates stay readable
    for (const path of ['/api/v1/offers', '/api/v1/offers/nope']) {
      expect((await call('GET', path)).status, path).toBe(401);
      expect((await call('GET', path, { as: 'alice' })).status, path).toBe(403);
    }
    expect((await call('GET', '/api/v1/offers?status=redeemed', { as: 'ana' })).status).toBe(200);
  });

  it('erases a member: profile and key gone, events keep only a pseudonym, alerts lose the name', async () => {
    const res = await call('DELETE', '/api/v1/members/M1', { as: 'olga' });
    expect(res.status).toBe(204);
    expect((await call('GET', '/api/v1/members/M1', { as: 'olga' })).status).toBe(404);
    expect((await call('DELETE', '/api/v1/members/M1', { as: 'olga' })).status).toBe(404);
    expect((await t.cloud.store!.listConsentingMemberKeys()).map((k) => k.memberId)).not.toContain('M1');
    const events = await call('GET', '/api/v1/events?limit=1000', { as: 'olga' });
    const alerts = await call('GET', '/api/v1/alerts', { as: 'olga' });
    expect(events.text + alerts.text).not.toMatch(/"M1"|Li Na|silk-scarves/);
    const pseudonyms = new Set(
      (events.body.events as { subject: { memberId?: string } }[]).map((e) => e.subject.memberId).filter((m) => m?.startsWith('erased-')),
    );
    expect(pseudonyms.size).toBe(1);
    expect(t.logs.text).not.toContain(KEY.a);
  });

  it('accepts Chinese names and tags through the CSV import and the profile PUT, and finds them by q', async () => {
    const csv = `memberId,name,tier,tags,consent,tokenKey\nM20,王芳,gold,丝巾;皮具手袋,yes,${'7'.repeat(32)}\n`;
    expect((await call('POST', '/api/v1/members/import', { as: 'olga', csv })).body).toEqual({ imported: 1, updated: 0, rejected: 0, errors: [] });
    const put = await call('PUT', '/api/v1/members/M21', {
      as: 'olga',
      json: { name: '张伟', tier: 'silver', tags: ['男装', 'menswear'], consent: { presence: true } },
    });
    expect(put.status).toBe(201);
    expect(put.body.member).toMatchObject({ name: '张伟', tags: ['男装', 'menswear'] });
    const found = await call('GET', `/api/v1/members?q=${encodeURIComponent('丝巾')}`, { as: 'olga' });
    expect(found.body.members.map((m: { id: string; name: string }) => [m.id, m.name])).toEqual([['M20', '王芳']]);
    expect(
      (await call('PUT', '/api/v1/members/M22', { as: 'olga', json: { name: 'x', tier: 'gold', tags: ['Menswear'], consent: { presence: true } } })).status,
    ).toBe(400);
  });
});
