import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export interface RequestLimits {
  /** Body limit of every route not named in `routeBodyBytes`. */
  defaultBodyBytes: number;
  /** Per-route body limits, keyed `METHOD /path` (exact path, as registered). */
  routeBodyBytes?: Readonly<Record<string, number>>;
  /** Longest request target (path + query); longer gets 414. */
  maxUrlBytes: number;
}

/** JSON bodies of this API are a few KiB (a rule, a login, a member profile). */
export const DEFAULT_BODY_BYTES = 256 * 1024;
/** RFC 9110 §4.1 recommends senders and recipients support at least 8000 octets of request target. */
export const DEFAULT_MAX_URL_BYTES = 8 * 1024;

/**
 * Request limits as one middleware, run before any route: a request target over `maxUrlBytes`
 * gets 414, a body over its route's limit 413. Bodies are counted while they stream (hono's
 * bodyLimit reads a chunked body chunk by chunk and stops at the limit), so neither a missing
 * Content-Length nor `Transfer-Encoding: chunked` gets past it; a declared Content-Length over the
 * limit is refused before a byte is read. 413 answers close the connection (`Connection: close`),
 * so the rest of an oversized upload is never read.
 * @example app.use('*', requestLimits({ defaultBodyBytes: 256 * 1024, maxUrlBytes: 8192, routeBodyBytes: { 'POST /api/v1/members/import': 5 << 20 } }))
 */
export function requestLimits(limits: RequestLimits): MiddlewareHandler {
  const tooLarge = (max: number): MiddlewareHandler =>
    bodyLimit({
      maxSize: max,
      onError: (c) => {
        c.header('connection', 'close');
        return c.json({ error: `request body larger than ${max} bytes` }, 413);
      },
    });
  const byRoute = new Map(Object.entries(limits.routeBodyBytes ?? {}).map(([route, max]) => [route, tooLarge(max)]));
  const fallback = tooLarge(limits.defaultBodyBytes);
  return async function requestLimitsMiddleware(c, next) {
    const target = c.req.url.length - new URL(c.req.url).origin.length;
    if (target > limits.maxUrlBytes) {
      c.header('connection', 'close');
      return c.json({ error: `request target longer than ${limits.maxUrlBytes} bytes` }, 414);
    }
    const limit = byRoute.get(`${c.req.method} ${c.req.path}`) ?? fallback;
    return limit(c, next);
  };
}
