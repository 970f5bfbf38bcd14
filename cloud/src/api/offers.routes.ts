import type { Hono, MiddlewareHandler } from 'hono';
import type { OffersService } from '../offers/offers.service.js';
import { offerIdParam, offersQuery } from './api.schemas.js';
import { HttpError, parseQuery } from './http-error.js';
import { seesSite, siteFilter } from './scope.js';

/**
 * GET /api/v1/offers (newest first, filters by store, status, member, site) and
 * GET /api/v1/offers/{id} (with its delivery record). Expiry is applied before answering, so
 * `status` is current. `auth`: operator or analyst when staff auth is required; a site-scoped
 * principal sees its site's offers only.
 */
export function registerOffersRoutes(app: Hono, offers: OffersService, auth: MiddlewareHandler): void {
  app.get('/api/v1/offers', auth, async (c) => {
    const q = parseQuery(offersQuery, c.req.query());
    const siteId = siteFilter(c, q.siteId);
    return c.json({ offers: await offers.list({ ...q, siteId }) });
  });

  app.get('/api/v1/offers/:id', auth, async (c) => {
    const parsed = offerIdParam.safeParse({ id: c.req.param('id') });
    if (!parsed.success) throw new HttpError(400, { error: 'invalid offer id', issues: [`id: ${parsed.error.issues[0]?.message ?? 'invalid'}`] });
    const found = await offers.get(parsed.data.id);
    // Another site's offer answers like a missing one.
    if (!found || !seesSite(c, found.offer.siteId)) throw new HttpError(404, { error: `no offer ${parsed.data.id}` });
    return c.json(found);
  });
}
