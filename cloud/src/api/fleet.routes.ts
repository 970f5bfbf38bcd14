import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { GATEWAY_COMMANDS, formatIssues, idSchema } from '@storesense/protocol';
import type { AuthService } from '../auth/auth.service.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import { CommandsService, DEFAULT_COMMAND_TIMEOUT_MS, MAX_COMMAND_TIMEOUT_MS } from '../fleet/commands.service.js';
import { CONFIG_OVERRIDE_KEYS, FleetError, type FleetService } from '../fleet/fleet.service.js';
import type { CloudStore, GatewayRegistration } from '../store/cloud-store.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { requireRole } from './auth.middleware.js';
import { registerModelRoutes } from '../fleet/models.routes.js';
import { systemClock } from '../clock.js';
import { HttpError } from './http-error.js';
import { seesSite } from './scope.js';

export const registerGatewayBody = z.object({ siteId: idSchema, gatewayId: idSchema.describe('a gateway of the site model') }).strict();
export const enrollBody = z.object({ code: z.string().min(8).max(32).describe('the one-time enrolment code, e.g. ABCD-EFGH-JKLM') }).strict();
export const gatewayConfigBody = z
  .object({
    overrides: z
      .object(
        Object.fromEntries(CONFIG_OVERRIDE_KEYS.map((k) => [k, z.unknown().optional()])) as Record<
          (typeof CONFIG_OVERRIDE_KEYS)[number],
          z.ZodOptional<z.ZodUnknown>
        >,
      )
      .strict()
      .describe('deployment settings over the site rendering (validated by rendering: sources, tickMs, classifier, ...); {} renders the site alone'),
  })
  .strict();
export const commandBody = z
  .object({
    args: z.record(z.string(), z.unknown()).default({}).describe('e.g. {"source": "replay"} for restart-source'),
    timeoutMs: z.number().int().min(100).max(MAX_COMMAND_TIMEOUT_MS).default(DEFAULT_COMMAND_TIMEOUT_MS),
  })
  .strict();

export interface FleetRoutesOptions {
  fleet: FleetService;
  commands: CommandsService;
  auth: AuthService;
  store: CloudStore;
  logger: Logger;
  clock?: Clock;
  /** Failed enrolments per address (a code has 60 bits; this only keeps a sprayer's cost visible). */
  throttle: LoginThrottle;
}

/**
 * The fleet (decisions 130-132), operators only except enrolment, which the one-time code authorises:
 *   POST   /api/v1/gateways {siteId, gatewayId} -> 201 {siteId, gatewayId, code, expiresAt}
 *   GET    /api/v1/fleet -> {gateways: [registration]}
 *   GET    /api/v1/gateways/:siteId/:gatewayId -> registration (config body omitted)
 *   POST   /api/v1/gateways/:siteId/:gatewayId/enrolment-code -> 201 {code, expiresAt}
 *   DELETE /api/v1/gateways/:siteId/:gatewayId -> {revoked: true}
 *   GET    /api/v1/gateways/:siteId/:gatewayId/config -> the config last published and the gateway's answer
 *   PUT    /api/v1/gateways/:siteId/:gatewayId/config {overrides} -> {version, sha256, changed}
 *   POST   /api/v1/gateways/:siteId/:gatewayId/commands/:name {args, timeoutMs} -> the response | 504
 *   POST   /api/v1/gateways/enroll {code} -> {siteId, gatewayId, mqtt: {url, username, password}, configVersion, config}
 */
export function registerFleetRoutes(app: Hono, o: FleetRoutesOptions): void {
  const operator = requireRole(o.auth, ['operator']);
  registerModelRoutes(app, { store: o.store, commands: o.commands, operator, clock: o.clock ?? systemClock, logger: o.logger });

  app.post('/api/v1/gateways/enroll', async (c) => {
    const address = clientAddress(c);
    const waitMs = o.throttle.retryAfterMs('enrolment', address);
    if (waitMs > 0) {
      c.header('Retry-After', String(Math.ceil(waitMs / 1000)));
      return c.json({ error: 'too many failed enrolments; try again later' }, 429);
    }
    const body = parse(enrollBody, await jsonBody(c));
    try {
      const enrolment = await o.fleet.enroll(body.code);
      o.throttle.succeed('enrolment', address);
      return c.json(enrolment);
    } catch (err) {
      if (err instanceof FleetError && err.status === 410) o.throttle.fail('enrolment', address);
      throw toHttp(err);
    }
  });

  app.post('/api/v1/gateways', operator, async (c) => {
    const body = parse(registerGatewayBody, await jsonBody(c));
    if (!seesSite(c, body.siteId)) throw new HttpError(403, { error: `forbidden: outside your scope (site ${body.siteId})` });
    return c.json(await o.fleet.register(body.siteId, body.gatewayId).catch(rethrow), 201);
  });

  app.get('/api/v1/fleet', operator, async (c) => {
    const gateways = (await o.store.listGatewayRegistrations()).filter((r) => seesSite(c, r.siteId)).map(summary);
    return c.json({ gateways });
  });

  const target = (c: Context) => {
    const siteId = idSchema.safeParse(c.req.param('siteId'));
    const gatewayId = idSchema.safeParse(c.req.param('gatewayId'));
    if (!siteId.success || !gatewayId.success) throw new HttpError(400, { error: 'siteId and gatewayId must be ids' });
    // Another site's gateway answers like one that does not exist.
    if (!seesSite(c, siteId.data)) throw new HttpError(404, { error: `gateway ${siteId.data}.${gatewayId.data} is not registered` });
    return { siteId: siteId.data, gatewayId: gatewayId.data };
  };

  app.get('/api/v1/gateways/:siteId/:gatewayId', operator, async (c) => {
    const t = target(c);
    return c.json(summary(await o.fleet.get(t.siteId, t.gatewayId).catch(rethrow)));
  });

  app.post('/api/v1/gateways/:siteId/:gatewayId/enrolment-code', operator, async (c) => {
    const t = target(c);
    return c.json(await o.fleet.issueCode(t.siteId, t.gatewayId).catch(rethrow), 201);
  });

  app.delete('/api/v1/gateways/:siteId/:gatewayId', operator, async (c) => {
    const t = target(c);
    await o.fleet.revoke(t.siteId, t.gatewayId).catch(rethrow);
    return c.json({ revoked: true });
  });

  app.get('/api/v1/gateways/:siteId/:gatewayId/config', operator, async (c) => {
    const t = target(c);
    const r = await o.fleet.get(t.siteId, t.gatewayId).catch(rethrow);
    if (!r.config) throw new HttpError(404, { error: 'no config published yet (the gateway has not enrolled)' });
    return c.json({ ...r.config, lastResult: r.lastResult ?? null });
  });

  app.put('/api/v1/gateways/:siteId/:gatewayId/config', operator, async (c) => {
    const t = target(c);
    const body = parse(gatewayConfigBody, await jsonBody(c));
    const overrides = Object.fromEntries(Object.entries(body.overrides).filter(([, v]) => v !== undefined));
    const { version, sha256, changed } = await o.fleet.publishConfig(t.siteId, t.gatewayId, overrides).catch(rethrow);
    return c.json({ version, sha256, changed });
  });

  app.post('/api/v1/gateways/:siteId/:gatewayId/commands/:name', operator, async (c) => {
    const t = target(c);
    const name = c.req.param('name');
    if (!(GATEWAY_COMMANDS as readonly string[]).includes(name)) {
      throw new HttpError(400, { error: `unknown command ${JSON.stringify(name)} (known: ${GATEWAY_COMMANDS.join(', ')})` });
    }
    const body = parse(commandBody, await jsonBody(c, {}));
    const r = await o.store.getGatewayRegistration(t.siteId, t.gatewayId);
    const credential = await o.store.getGatewayCredential(`${t.siteId}.${t.gatewayId}`);
    if (!credential || r?.revokedAt !== undefined)
      throw new HttpError(404, { error: `gateway ${t.siteId}.${t.gatewayId} has no credentials (not enrolled, or revoked)` });
    const outcome = await o.commands.send(t.siteId, t.gatewayId, name, body.args, body.timeoutMs);
    if (outcome.kind === 'busy') throw new HttpError(503, { error: 'too many commands in flight; try again' });
    if (outcome.kind === 'timeout')
      return c.json({ error: `no answer from ${t.siteId}.${t.gatewayId} within ${body.timeoutMs} ms`, timeoutMs: body.timeoutMs }, 504);
    return c.json({ ...outcome.response, ms: outcome.ms });
  });
}

/** A registration as listed: the config's version and the gateway's answer, never the body. */
function summary(r: GatewayRegistration) {
  const { config, ...rest } = r;
  return { ...rest, ...(config ? { config: { version: config.version, sha256: config.sha256, publishedAt: config.publishedAt } } : {}) };
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, { error: 'invalid body', issues: formatIssues(parsed.error.issues) });
  return parsed.data;
}

async function jsonBody(c: Context, empty?: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '' && empty !== undefined) return empty;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, { error: 'body must be JSON' });
  }
}

function toHttp(err: unknown): unknown {
  if (err instanceof FleetError) {
    const status = err.status === 410 ? 404 : err.status;
    return new HttpError(status, { error: err.message, ...(err.issues ? { issues: err.issues } : {}) });
  }
  return err;
}

function rethrow(err: unknown): never {
  throw toHttp(err);
}

function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}
