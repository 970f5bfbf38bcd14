import { createHash } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { trainingDomainSchema } from '@storesense/firmware-config';
import { MAX_MODEL_BYTES, MODEL_SHADOW_COMMAND, formatIssues, idSchema, modelVersionSchema } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { CloudStore } from '../store/cloud-store.js';
import { HttpError } from '../api/http-error.js';
import { requireEverySite, seesSite } from '../api/scope.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, MAX_COMMAND_TIMEOUT_MS, type CommandsService } from './commands.service.js';

/** Upload bodies: the model in base64 plus a little JSON. */
export const MODEL_UPLOAD_BODY_BYTES = Math.ceil((MAX_MODEL_BYTES * 4) / 3) + 64 * 1024;

export const modelUploadBody = z
  .object({
    version: modelVersionSchema,
    onnx: z.string().min(1).describe('the .onnx file, base64'),
    domain: trainingDomainSchema
      .optional()
      .describe("the model's training domain (the .domain.json written by train); else the gateway reads the model's metadata"),
  })
  .strict();
export const modelRolloutBody = z
  .object({ version: modelVersionSchema, timeoutMs: z.number().int().min(100).max(MAX_COMMAND_TIMEOUT_MS).default(DEFAULT_COMMAND_TIMEOUT_MS) })
  .strict();

/**
 * Models the cloud distributes (decision 133), operators only:
 *   POST /api/v1/models {version, onnx (base64), domain?} -> 201 {version, sha256, size, domain}; 409 when the version exists
 *   GET  /api/v1/models -> {models: [{version, sha256, size, domain, createdAt}]}
 *   POST /api/v1/gateways/:siteId/:gatewayId/model {version} -> the gateway's answer to model-shadow (it verifies and shadows it)
 * Promotion and rollback are the model-promote / model-rollback commands.
 */
export function registerModelRoutes(
  app: Hono,
  o: { store: CloudStore; commands: CommandsService; operator: MiddlewareHandler; clock: Clock; logger: Logger },
): void {
  const log = o.logger.child({ module: 'models' });
  app.post('/api/v1/models', o.operator, async (c) => {
    // Models serve every site: only an operator of every site adds one.
    requireEverySite(c, 'storing a model');
    const body = parse(modelUploadBody, await json(c));
    const bytes = Buffer.from(body.onnx, 'base64');
    if (bytes.length === 0 || bytes.length > MAX_MODEL_BYTES)
      throw new HttpError(400, { error: `model must be 1..${MAX_MODEL_BYTES} bytes, got ${bytes.length}` });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const model = {
      version: body.version,
      sha256,
      size: bytes.length,
      ...(body.domain ? { domain: body.domain as Record<string, unknown> } : {}),
      createdAt: o.clock.now(),
    };
    if (!(await o.store.putModel({ ...model, body: bytes }))) throw new HttpError(409, { error: `model ${body.version} exists; versions are immutable` });
    log.info({ version: model.version, sha256, size: model.size }, 'model stored');
    return c.json(model, 201);
  });

  app.get('/api/v1/models', o.operator, async (c) => c.json({ models: await o.store.listModels() }));

  app.post('/api/v1/gateways/:siteId/:gatewayId/model', o.operator, async (c) => {
    const siteId = idSchema.safeParse(c.req.param('siteId'));
    const gatewayId = idSchema.safeParse(c.req.param('gatewayId'));
    if (!siteId.success || !gatewayId.success) throw new HttpError(400, { error: 'siteId and gatewayId must be ids' });
    const [site, gw] = [siteId.data, gatewayId.data];
    if (!seesSite(c, site) || !(await o.store.getGatewayCredential(`${site}.${gw}`))) {
      throw new HttpError(404, { error: `gateway ${site}.${gw} has no credentials (not enrolled, or revoked)` });
    }
    const body = parse(modelRolloutBody, await json(c));
    const model = await o.store.getModel(body.version);
    if (!model) throw new HttpError(404, { error: `no model ${body.version}` });
    const args = { version: model.version, sha256: model.sha256, onnx: model.body.toString('base64'), ...(model.domain ? { domain: model.domain } : {}) };
    const outcome = await o.commands.send(site, gw, MODEL_SHADOW_COMMAND, args, body.timeoutMs);
    if (outcome.kind === 'busy') throw new HttpError(503, { error: 'too many commands in flight; try again' });
    if (outcome.kind === 'timeout') return c.json({ error: `no answer from ${site}.${gw} within ${body.timeoutMs} ms`, timeoutMs: body.timeoutMs }, 504);
    log.info({ siteId: site, gatewayId: gw, version: model.version, status: outcome.response.status }, 'model sent to shadow');
    return c.json({ ...outcome.response, ms: outcome.ms });
  });
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, { error: 'invalid body', issues: formatIssues(parsed.error.issues) });
  return parsed.data;
}

async function json(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new HttpError(400, { error: 'body must be JSON' });
  }
}
