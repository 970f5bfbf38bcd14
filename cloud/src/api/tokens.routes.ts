import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { formatIssues } from '@storesense/protocol';
import type { AuthService } from '../auth/auth.service.js';
import { grantRefusal } from '../auth/principal.js';
import { principalOf, requireRole } from './auth.middleware.js';
import { HttpError } from './http-error.js';

/** `POST /api/v1/tokens`: a long-lived API token for tooling (BI exports, scripts, a POS bridge). */
export const apiTokenBody = z
  .object({
    name: z.string().trim().min(1).max(64).describe('what uses it, e.g. "nightly BI export"'),
    role: z.enum(['operator', 'staff', 'analyst']),
    siteId: z.string().min(1).max(64).optional(),
    storeIds: z.array(z.string().min(1).max(64)).max(100).optional().describe('stores a staff token is scoped to'),
  })
  .strict()
  // A staff token without stores would see no alerts at all (scopes are stores); refuse it instead.
  .refine((b) => b.role !== 'staff' || (b.storeIds?.length ?? 0) > 0, { path: ['storeIds'], message: 'a staff token needs at least one store' })
  // Store ids only mean something within a site: a staff token names both, like a staff account.
  .refine((b) => b.role !== 'staff' || b.siteId !== undefined, { path: ['siteId'], message: 'a staff token needs its site' })
  // Operators and analysts are scoped by site; stores on their tokens would look narrower than they are.
  .refine((b) => b.role === 'staff' || (b.storeIds?.length ?? 0) === 0, {
    path: ['storeIds'],
    message: 'only staff tokens are scoped to stores; scope operators and analysts by siteId',
  });

const tokenIdParam = z.string().regex(/^[0-9a-f]{16}$/, '16 hex characters');

/**
 * Operator management of API tokens (the plain token is shown once, at creation; listed by id only).
 * A token never reaches beyond its creator (`grantRefusal`): an operator of one site mints, lists
 * and revokes tokens of that site only.
 *   POST   /api/v1/tokens {name, role, siteId?, storeIds?} -> 201 {token, id}
 *   GET    /api/v1/tokens -> {tokens: [{id, name, role, siteId, storeIds, createdAt}]}
 *   DELETE /api/v1/tokens/:id -> 204 | 404
 * @example registerTokenRoutes(app, { auth })
 */
export function registerTokenRoutes(app: Hono, o: { auth: AuthService }): void {
  const operator = requireRole(o.auth, ['operator']);

  app.post('/api/v1/tokens', operator, async (c) => {
    const body = await jsonBody(c);
    const parsed = apiTokenBody.safeParse(body);
    if (!parsed.success) throw new HttpError(400, { error: 'invalid body', issues: formatIssues(parsed.error.issues) });
    // A token never carries more than its creator holds (role and scope): 403 naming why.
    const refused = grantRefusal(principalOf(c)!, parsed.data);
    if (refused !== undefined) throw new HttpError(403, { error: `forbidden: the token ${refused}` });
    const created = await o.auth.createApiToken(parsed.data, principalOf(c)!);
    return c.json(created, 201);
  });

  // A scoped operator lists and revokes only tokens within its own reach; others answer 404.
  const mine = async (c: Context) => (await o.auth.listApiTokens()).filter((t) => grantRefusal(principalOf(c)!, t) === undefined);
  app.get('/api/v1/tokens', operator, async (c) => c.json({ tokens: await mine(c) }));

  app.delete('/api/v1/tokens/:id', operator, async (c) => {
    const id = tokenIdParam.safeParse(c.req.param('id'));
    if (!id.success) throw new HttpError(400, { error: 'invalid token id', issues: formatIssues(id.error.issues) });
    if (!(await mine(c)).some((t) => t.id === id.data) || !(await o.auth.revokeApiToken(id.data))) throw new HttpError(404, { error: 'no such API token' });
    return c.body(null, 204);
  });
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new HttpError(400, { error: 'body must be JSON' });
  }
}
