import { idSchema } from '@storesense/protocol';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { siteOf } from '../auth/principal.js';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { ruleSchema, type Rule } from '../rules/rule.schema.js';
import { ruleWarnings } from '../rules/rule-warnings.js';
import type { Site } from '@storesense/firmware-config';
import type { CloudStore } from '../store/cloud-store.js';
import { principalOf } from './auth.middleware.js';
import { HttpError, parseJsonBody } from './http-error.js';

/** PUT may leave the id out of the body (the path names it); when given it must match. */
export const rulePutBody = ruleSchema.extend({ id: idSchema.optional() });
const ruleIdParam = z.object({ id: idSchema });

export interface RulesRoutesOptions {
  store: CloudStore;
  clock: Clock;
  logger: Logger;
  /** Operator-only guard (or a pass-through in open mode). */
  auth: MiddlewareHandler;
  /** Told after every change, so the rules runner reloads its cache. */
  onRulesChanged?: () => void;
  /** Known site models: a stored rule naming a site, store or zone none of them has gets `warnings`. */
  sites?: ReadonlyMap<string, Site>;
}

/**
 * GET/POST /api/v1/rules, GET/PUT/DELETE /api/v1/rules/{id}: the declarative rules the runner
 * evaluates. Bodies are validated with the same zod schema the runner applies on load.
 */
export function registerRulesRoutes(app: Hono, o: RulesRoutesOptions): void {
  const log = o.logger.child({ module: 'api.rules' });
  const changed = (op: string, id: string): void => {
    log.info({ op, ruleId: id }, 'rules changed');
    o.onRulesChanged?.();
  };
  const idOf = (param: string | undefined): string => {
    const parsed = ruleIdParam.safeParse({ id: param });
    if (!parsed.success) throw new HttpError(400, { error: 'invalid rule id', issues: [`id: ${parsed.error.issues[0]?.message ?? 'invalid'}`] });
    return parsed.data.id;
  };

  // Scope (decision 68): a site's operator sees the rules that name no other site (its own and the
  // global ones, which act on its shoppers too) and writes only rules limited to its site.
  const site = (c: Context) => siteOf(principalOf(c));
  const visible = (c: Context, r: Rule) => site(c) === undefined || (r.siteIds ?? []).every((s) => s === site(c));
  const writable = (c: Context, r: Rule) => site(c) === undefined || (r.siteIds !== undefined && r.siteIds.length > 0 && visible(c, r));
  const refuse = (c: Context) => new HttpError(403, { error: `forbidden: outside your scope; a rule of yours names siteIds ["${site(c)}"] only` });

  app.get('/api/v1/rules', o.auth, async (c) => c.json({ rules: (await o.store.listRules()).filter((r) => visible(c, r)) }));

  app.post('/api/v1/rules', o.auth, async (c) => {
    const rule = await parseJsonBody(ruleSchema, c.req);
    if (!writable(c, rule)) throw refuse(c);
    if (await o.store.getRule(rule.id)) throw new HttpError(409, { error: `rule ${rule.id} exists; PUT /api/v1/rules/${rule.id} replaces it` });
    await o.store.putRule(rule, o.clock.now());
    changed('create', rule.id);
    return c.json({ rule, warnings: ruleWarnings(rule, o.sites ?? new Map()) }, 201);
  });

  app.get('/api/v1/rules/:id', o.auth, async (c) => {
    const id = idOf(c.req.param('id'));
    const rule = await o.store.getRule(id);
    if (!rule || !visible(c, rule)) throw new HttpError(404, { error: `no rule ${id}` });
    return c.json({ rule });
  });

  app.put('/api/v1/rules/:id', o.auth, async (c) => {
    const id = idOf(c.req.param('id'));
    const body = await parseJsonBody(rulePutBody, c.req);
    if (body.id !== undefined && body.id !== id) throw new HttpError(400, { error: 'invalid body', issues: [`id: must match the path (${id})`] });
    const existing = await o.store.getRule(id);
    if (!existing || !visible(c, existing)) throw new HttpError(404, { error: `no rule ${id}; POST /api/v1/rules creates one` });
    const rule = { ...body, id };
    if (!writable(c, existing) || !writable(c, rule)) throw refuse(c);
    await o.store.putRule(rule, o.clock.now());
    changed('replace', id);
    return c.json({ rule, warnings: ruleWarnings(rule, o.sites ?? new Map()) });
  });

  app.delete('/api/v1/rules/:id', o.auth, async (c) => {
    const id = idOf(c.req.param('id'));
    const existing = await o.store.getRule(id);
    if (!existing || !visible(c, existing)) throw new HttpError(404, { error: `no rule ${id}` });
    if (!writable(c, existing)) throw refuse(c);
    if (!(await o.store.deleteRule(id))) throw new HttpError(404, { error: `no rule ${id}` });
    changed('delete', id);
    return c.body(null, 204);
  });
}
