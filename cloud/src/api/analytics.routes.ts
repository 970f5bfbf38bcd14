import { idSchema } from '@storesense/protocol';
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AnalyticsService } from '../analytics/analytics.service.js';
import type { OfferFigures } from '../offers/offer-figures.js';
import { parseQuery } from './http-error.js';

/** The longest range one request may cover: keeps a report to one bounded scan of the events. */
export const MAX_RANGE_MS = 93 * 24 * 3_600_000;

const msSchema = z.coerce.number().int().nonnegative().describe('ms since epoch');
const rangeShape = { siteId: idSchema, from: msSchema.describe('inclusive, ms since epoch'), to: msSchema.describe('exclusive, ms since epoch') };

// The range check names `to` as its path, so a 400 says which parameter to fix.
function checkRange(q: { from: number; to: number }, ctx: z.RefinementCtx): void {
  if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  else if (q.to - q.from > MAX_RANGE_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: `range longer than ${MAX_RANGE_MS / 86_400_000} days` });
}

export const footfallQuery = z.object({ ...rangeShape, storeId: idSchema.optional(), bucket: z.enum(['hour', 'day']).default('hour') }).superRefine(checkRange);
export const dwellQuery = z.object({ ...rangeShape, storeId: idSchema.optional(), zoneId: idSchema.optional() }).superRefine(checkRange);
export const rangeQuery = z.object(rangeShape).superRefine(checkRange);
// The funnel reads the hourly rollups only, so its range is whole UTC hours.
export const funnelQuery = z
  .object({ ...rangeShape, storeId: idSchema.optional() })
  .superRefine(checkRange)
  .superRefine((q, ctx) => {
    for (const k of ['from', 'to'] as const) if (q[k] % 3_600_000 !== 0) ctx.addIssue({ code: 'custom', path: [k], message: 'must be a whole UTC hour' });
  });
export const occupancyQuery = z.object({ ...rangeShape, storeId: idSchema }).superRefine(checkRange);

/**
 * GET /api/v1/analytics/{footfall,dwell,floors,returning,offers,summary,occupancy,funnel}: aggregate figures only
 * (no subject or member ids), yet still behind `auth` (operator or analyst when staff auth is required).
 */
export function registerAnalyticsRoutes(
  app: Hono,
  analytics: AnalyticsService,
  auth: MiddlewareHandler,
  /** Delivery and revenue figures of the offers issued in a range (from the offers' stored state). */
  offerExtras?: (r: { siteId: string; from: number; to: number }) => Promise<OfferFigures>,
): void {
  const base = '/api/v1/analytics';
  app.get(`${base}/footfall`, auth, async (c) => {
    const q = parseQuery(footfallQuery, c.req.query());
    return c.json({ siteId: q.siteId, from: q.from, to: q.to, bucket: q.bucket, ...(await analytics.footfall(q, q.bucket, q.storeId)) });
  });
  app.get(`${base}/dwell`, auth, async (c) => {
    const q = parseQuery(dwellQuery, c.req.query());
    return c.json({ siteId: q.siteId, from: q.from, to: q.to, ...(await analytics.dwell(q, { storeId: q.storeId, zoneId: q.zoneId })) });
  });
  app.get(`${base}/floors`, auth, async (c) => {
    const q = parseQuery(rangeQuery, c.req.query());
    return c.json({ siteId: q.siteId, from: q.from, to: q.to, flows: await analytics.floors(q) });
  });
  app.get(`${base}/returning`, auth, async (c) => {
    const q = parseQuery(rangeQuery, c.req.query());
    return c.json({ siteId: q.siteId, from: q.from, to: q.to, ...(await analytics.returning(q)) });
  });
  app.get(`${base}/offers`, auth, async (c) => {
    const q = parseQuery(rangeQuery, c.req.query());
    return c.json({ siteId: q.siteId, from: q.from, to: q.to, ...(await analytics.offers(q)), ...(offerExtras ? await offerExtras(q) : {}) });
  });
  app.get(`${base}/occupancy`, auth, async (c) => {
    const q = parseQuery(occupancyQuery, c.req.query());
    return c.json({ siteId: q.siteId, from: q.from, to: q.to, ...(await analytics.occupancy(q, q.storeId)) });
  });
  app.get(`${base}/funnel`, auth, async (c) => {
    const q = parseQuery(funnelQuery, c.req.query());
    return c.json({ siteId: q.siteId, from: q.from, to: q.to, ...(await analytics.funnel(q, q.storeId)) });
  });
  app.get(`${base}/summary`, auth, async (c) => {
    const q = parseQuery(rangeQuery, c.req.query());
    return c.json(await analytics.summary(q));
  });
}
