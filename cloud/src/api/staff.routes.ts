import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { formatIssues } from '@storesense/protocol';
import type { AlertService } from '../alerts/alert.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { LoginGuard } from '../auth/login-throttle.js';
import { grantRefusal } from '../auth/principal.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { bearerOf, principalOf, requireRole } from './auth.middleware.js';
import { HttpError } from './http-error.js';

export interface StaffRoutesOptions {
  store: CloudStore;
  auth: AuthService;
  alerts: AlertService;
  throttle: LoginGuard;
  logger: Logger;
  metrics: Metrics;
}

export const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
const alertIdParam = z.string().min(1).max(64);

async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new HttpError(400, { error: 'body must be JSON' });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, { error: 'invalid body', issues: formatIssues(parsed.error.issues) });
  return parsed.data;
}

/** The client address for login throttling (node-server exposes the socket as `env.incoming`). */
function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * Staff login, socket tickets, claim/ack, and the operator's staff listing.
 *   POST /api/v1/auth/login {username, password} -> {token, expiresAt, user}
 *   POST /api/v1/auth/logout, GET /api/v1/auth/me
 *   POST /api/v1/alerts/ticket -> {ticket, expiresAt} (30 s, single use)
 *   POST /api/v1/alerts/:id/claim | /ack -> {alert}; 409 when someone else has it
 *   GET  /api/v1/staff (operator only; a site's operator sees the accounts of its site)
 */
export function registerStaffRoutes(app: Hono, o: StaffRoutesOptions): void {
  const staffOrOperator = requireRole(o.auth, ['staff', 'operator']);
  const anyRole = requireRole(o.auth, ['staff', 'operator', 'analyst']);

  app.post('/api/v1/auth/login', async (c) => {
    const { username, password } = await parseBody(c, loginBody);
    const address = clientAddress(c);
    // Counted as a failure before the password check (in the same step as the check) and taken
    // back on success: 100 concurrent guesses would otherwise all pass before the first scrypt finished.
    const waitMs = await o.throttle.begin(username, address);
    if (waitMs > 0) {
      o.metrics.inc('auth.login_throttled');
      c.header('Retry-After', String(Math.ceil(waitMs / 1000)));
      return c.json({ error: 'too many failed logins; try again later' }, 429);
    }
    const session = await o.auth.login(username, password);
    if (!session) {
      // One message for an unknown user and a wrong password: no username probing.
      return c.json({ error: 'invalid username or password' }, 401);
    }
    await o.throttle.succeed(username, address);
    const p = session.principal;
    return c.json({
      token: session.token,
      expiresAt: session.expiresAt,
      user: { username: p.username, displayName: p.displayName, role: p.role, siteId: p.siteId, storeIds: p.storeIds },
    });
  });

  app.post('/api/v1/auth/logout', anyRole, async (c) => {
    await o.auth.logout(bearerOf(c)!);
    return c.body(null, 204);
  });

  app.get('/api/v1/auth/me', anyRole, (c) => {
    const p = principalOf(c)!;
    return c.json({ user: { username: p.username, displayName: p.displayName, role: p.role, siteId: p.siteId, storeIds: p.storeIds } });
  });

  app.post('/api/v1/alerts/ticket', staffOrOperator, async (c) => {
    const { ticket, expiresAt } = await o.auth.issueTicket(principalOf(c)!);
    return c.json({ ticket, expiresAt });
  });

  for (const action of ['claim', 'ack'] as const) {
    app.post(`/api/v1/alerts/:id/${action}`, staffOrOperator, async (c) => {
      const id = alertIdParam.safeParse(c.req.param('id'));
      if (!id.success) throw new HttpError(400, { error: 'invalid alert id' });
      const result = await o.alerts.act(id.data, action, principalOf(c)!);
      if (result.status === 200) return c.json({ alert: result.alert });
      return c.json({ error: result.error, ...(result.alert ? { alert: result.alert } : {}) }, result.status);
    });
  }

  // A scoped operator lists the accounts within its own reach only (its site's; never wider ones).
  app.get('/api/v1/staff', requireRole(o.auth, ['operator']), async (c) => {
    const p = principalOf(c)!;
    return c.json({ staff: (await o.store.listStaff()).filter((s) => grantRefusal(p, s) === undefined) });
  });
}
