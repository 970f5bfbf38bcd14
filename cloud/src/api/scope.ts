import type { Context, MiddlewareHandler } from 'hono';
import { coversSite, siteOf } from '../auth/principal.js';
import { principalOf } from './auth.middleware.js';
import { HttpError } from './http-error.js';

/**
 * Site scoping of the HTTP API (decision 68). Every handler asks these helpers after its auth
 * middleware ran; without a principal (open mode, no token) nothing is limited. Listings that
 * name another site answer 403 (the caller named it, nothing leaks); a single record of another
 * site answers 404, like one that does not exist.
 */
export function forbiddenSite(c: Context): HttpError {
  return new HttpError(403, { error: `forbidden: outside your scope (site ${siteOf(principalOf(c)) ?? '?'})` });
}

/**
 * The site a listing is filtered to: the one asked for when the principal covers it (403 when not),
 * else the principal's own site, else none (every site).
 */
export function siteFilter(c: Context, asked: string | undefined): string | undefined {
  const p = principalOf(c);
  if (asked !== undefined) {
    if (!coversSite(p, asked)) throw forbiddenSite(c);
    return asked;
  }
  return siteOf(p);
}

/** True when this request's principal may see a record of `siteId`. */
export function seesSite(c: Context, siteId: string): boolean {
  return coversSite(principalOf(c), siteId);
}

/** 403 unless the principal reaches every site (records shared by all sites: member profiles). */
export function requireEverySite(c: Context, what: string): void {
  const site = siteOf(principalOf(c));
  if (site !== undefined) throw new HttpError(403, { error: `forbidden: ${what} needs a principal of every site; yours is scoped to ${site}` });
}

/** Runs `first` (auth, which sets the principal), then `second`, then the handler. */
export function both(first: MiddlewareHandler, second: MiddlewareHandler): MiddlewareHandler {
  return async function bothMiddleware(c, next) {
    await first(c, async () => {
      await second(c, next);
    });
  };
}

/** For routes whose required `siteId` query names the site (analytics): 403 outside the scope. */
export const siteQueryInScope: MiddlewareHandler = async function siteQueryInScope(c, next) {
  const asked = c.req.query('siteId');
  if (asked !== undefined && !seesSite(c, asked)) throw forbiddenSite(c);
  await next();
};
