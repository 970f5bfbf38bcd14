import type { Hono, MiddlewareHandler } from 'hono';
import type { MembersService } from '../members/members.service.js';
import { memberIdParam, memberPutBody, membersQuery } from './api.schemas.js';
import { HttpError, parseJsonBody, parseQuery } from './http-error.js';
import { requireEverySite, siteFilter } from './scope.js';

/** The largest CSV one import request may carry (about 40 000 members). */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

/**
 * /api/v1/members: list and search (summaries with activity), one member with purchases and a
 * recommendation, whole-profile upsert, erasure, and CSV import with a per-row report.
 * Member profiles are personal data: `auth` lets operators only when staff auth is required
 * (staff see members through their alerts; analysts read aggregates). Profiles are shared by
 * every site: a site-scoped operator reads the members seen at its site, with that site's
 * activity only, and writes none (an edit, erasure or import changes what every site's gateways
 * recognise). Decision 68.
 */
export function registerMembersRoutes(app: Hono, members: MembersService, auth: MiddlewareHandler): void {
  const idOf = (param: string | undefined): string => {
    const parsed = memberIdParam.safeParse({ id: param });
    if (!parsed.success) throw new HttpError(400, { error: 'invalid member id', issues: [`id: ${parsed.error.issues[0]?.message ?? 'invalid'}`] });
    return parsed.data.id;
  };

  app.get('/api/v1/members', auth, async (c) => {
    const q = parseQuery(membersQuery, c.req.query());
    return c.json(await members.list({ ...q, siteId: siteFilter(c, undefined) }));
  });

  // Registered before `/:id` so "import" is never read as a member id.
  app.post('/api/v1/members/import', auth, async (c) => {
    requireEverySite(c, 'importing members');
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/csv') throw new HttpError(415, { error: 'expected Content-Type: text/csv' });
    if (Number(c.req.header('content-length') ?? 0) > MAX_IMPORT_BYTES) throw new HttpError(413, { error: `CSV larger than ${MAX_IMPORT_BYTES} bytes` });
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_IMPORT_BYTES) throw new HttpError(413, { error: `CSV larger than ${MAX_IMPORT_BYTES} bytes` });
    return c.json(await members.importCsv(text));
  });

  app.get('/api/v1/members/:id', auth, async (c) => {
    const id = idOf(c.req.param('id'));
    const detail = await members.detail(id, siteFilter(c, undefined));
    if (!detail) throw new HttpError(404, { error: `no member ${id}` });
    return c.json(detail);
  });

  app.put('/api/v1/members/:id', auth, async (c) => {
    requireEverySite(c, 'editing members');
    const id = idOf(c.req.param('id'));
    const body = await parseJsonBody(memberPutBody, c.req);
    if (body.id !== undefined && body.id !== id) throw new HttpError(400, { error: 'invalid body', issues: [`id: must match the path (${id})`] });
    const { created } = await members.put({
      memberId: id,
      name: body.name,
      nickname: body.nickname,
      tier: body.tier,
      tags: body.tags,
      preferences: body.preferences,
      consent: body.consent.presence,
      marketingConsent: body.consent.marketing,
      devices: body.devices,
      tokenKey: body.tokenKey?.toLowerCase(),
    });
    const detail = await members.detail(id);
    return c.json({ member: detail!.member }, created ? 201 : 200);
  });

  app.delete('/api/v1/members/:id', auth, async (c) => {
    requireEverySite(c, 'erasing members');
    const id = idOf(c.req.param('id'));
    const { erased } = await members.erase(id);
    if (!erased) throw new HttpError(404, { error: `no member ${id}` });
    return c.body(null, 204);
  });
}
