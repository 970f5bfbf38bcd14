import type { Context, MiddlewareHandler } from 'hono';
import type { AuthService } from '../auth/auth.service.js';
import type { Principal } from '../auth/principal.js';
import type { StaffRole } from '../store/cloud-store.js';
import { HttpError } from './http-error.js';

const PRINCIPAL = 'principal' as never;

/** The bearer token of a request, if any (`Authorization: Bearer <token>`). */
export function bearerOf(c: Context): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
  return m?.[1];
}

/** The principal that `requireRole` (or `optionalAuth`) resolved for this request. */
export function principalOf(c: Context): Principal | undefined {
  return c.get(PRINCIPAL) as Principal | undefined;
}

/**
 * Bearer auth with a role check (Hono's middleware-factory habit): 401 without a valid token,
 * 403 naming the roles allowed when the token's role is not among them.
 * @example app.get('/api/v1/staff', requireRole(auth, ['operator']), handler)
 */
export function requireRole(auth: AuthService, roles: readonly StaffRole[]): MiddlewareHandler {
  return async function requireRoleMiddleware(c, next) {
    const token = bearerOf(c);
    const principal = token ? await auth.authenticate(token) : undefined;
    if (!principal) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, { error: 'authentication required' });
    }
    if (!roles.includes(principal.role)) throw new HttpError(403, { error: `forbidden: needs role ${roles.join(' or ')}, token has ${principal.role}` });
    c.set(PRINCIPAL, principal as never);
    await next();
  };
}

/** Resolves a bearer token when one is given; a wrong one is still a 401 (never silently open). */
export function optionalAuth(auth: AuthService): MiddlewareHandler {
  return async function optionalAuthMiddleware(c, next) {
    const token = bearerOf(c);
    if (token) {
      const principal = await auth.authenticate(token);
      if (!principal) throw new HttpError(401, { error: 'authentication required' });
      c.set(PRINCIPAL, principal as never);
    }
    await next();
  };
}
