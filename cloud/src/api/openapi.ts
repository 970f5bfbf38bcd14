import { z } from 'zod';
import { ruleSchema } from '../rules/rule.schema.js';
import { dwellQuery, footfallQuery, funnelQuery, occupancyQuery, rangeQuery } from './analytics.routes.js';
import { alertsQuery, eventsQuery, gapsQuery, memberPutBody, membersQuery, offersQuery } from './api.schemas.js';
import { rulePutBody } from './rules.routes.js';
import { loginBody } from './staff.routes.js';
import { apiTokenBody } from './tokens.routes.js';
import { commandBody, enrollBody, gatewayConfigBody, registerGatewayBody } from './fleet.routes.js';
import { modelRolloutBody, modelUploadBody } from '../fleet/models.routes.js';
import { mapPlaybackQuery, mapSiteQuery } from './map.routes.js';

type Auth = 'none' | 'bearer' | 'optional';
interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template (`{id}`, not Hono's `:id`). */
  path: string;
  summary: string;
  auth: Auth;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Request body media type (JSON when absent). */
  contentType?: 'text/csv';
  /** Status → description; 400/401/403 are added from `query`/`body`/`auth`. */
  responses: Record<string, string>;
}

const membersCsvBody = z.string().describe(`memberId,name,tier,tags,consent,tokenKey (tags ";"-separated, consent yes|no)`);

const analytics = (name: string, query: z.ZodObject, summary: string): RouteDoc => ({
  method: 'get',
  path: `/api/v1/analytics/${name}`,
  summary,
  auth: 'bearer',
  query,
  responses: { '200': 'figures', '403': 'role not allowed, or siteId outside a site-scoped token' },
});

/**
 * Every route under /api/v1. A test compares this with the routes registered on the Hono app,
 * so a new route without an entry here fails the build's tests.
 */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/health',
    summary: 'DB and broker state, counts, metrics, and whether sign-in is required (auth: open|required)',
    auth: 'none',
    responses: { '200': 'healthy', '503': 'DB or broker down' },
  },
  { method: 'get', path: '/api/v1/openapi.json', summary: 'this document', auth: 'none', responses: { '200': 'OpenAPI 3.1 document' } },
  {
    method: 'get',
    path: '/api/v1/events',
    summary: 'events, newest first (a site-scoped token: its site only; 403 for another siteId)',
    auth: 'bearer',
    query: eventsQuery,
    responses: { '200': '{events}' },
  },
  {
    method: 'get',
    path: '/api/v1/alerts',
    summary: 'staff alerts, newest first, scoped to the token',
    auth: 'bearer',
    query: alertsQuery,
    responses: { '200': '{alerts, lastSeq}' },
  },
  {
    method: 'get',
    path: '/api/v1/alerts/ws',
    summary: 'alert websocket (upgrade; `ticket`, `since`)',
    auth: 'none',
    responses: { '101': 'switching protocols' },
  },
  {
    method: 'get',
    path: '/api/v1/sites',
    summary: "known sites: names, time zones, floors, stores, zones and entrances (no receivers or keys); a site-scoped principal sees its site's",
    auth: 'bearer',
    responses: { '200': '{sites}' },
  },
  {
    method: 'get',
    path: '/api/v1/sites/{siteId}/receivers',
    summary:
      "a site model's receivers with their declared RSSI offsets beside the auto-calibration each listening gateway last reported in its health, with the report's receive time (operators and analysts; a site-scoped one its site only)",
    auth: 'bearer',
    responses: { '200': '{siteId, receivers}', '403': 'another site than a site-scoped principal', '404': 'no such site' },
  },
  {
    method: 'get',
    path: '/api/v1/gateways',
    summary: "gateways with connection state, health and lost-event alarms (gaps); a site-scoped token sees its site's",
    auth: 'bearer',
    responses: { '200': '{gateways}' },
  },
  {
    method: 'get',
    path: '/api/v1/gaps',
    summary:
      'events gateways dropped undelivered (outbox cap or age): counts, seq and time ranges, newest first (a site-scoped token: its site only; 403 for another siteId)',
    auth: 'bearer',
    query: gapsQuery,
    responses: { '200': '{gaps}' },
  },
  {
    method: 'get',
    path: '/api/v1/members',
    summary:
      'member summaries with visits and spend, by id (operator; never token keys). A site-scoped operator sees the members seen at its site, activity counted there only',
    auth: 'bearer',
    query: membersQuery,
    responses: { '200': '{members, total}' },
  },
  {
    method: 'post',
    path: '/api/v1/members/import',
    summary: 'import a members CSV (operator of every site; site-scoped 403); good rows land, bad rows are reported',
    auth: 'bearer',
    body: membersCsvBody,
    contentType: 'text/csv',
    responses: { '200': '{imported, updated, rejected, errors: [{row, field, message}]}', '413': 'CSV too large', '415': 'not text/csv' },
  },
  {
    method: 'get',
    path: '/api/v1/members/{id}',
    summary: "one member with purchases and a recommendation (operator; a site-scoped one: that site's activity only)",
    auth: 'bearer',
    responses: { '200': '{member, purchases, recommendation}', '404': "no such member (or never seen at a site-scoped token's site)" },
  },
  {
    method: 'put',
    path: '/api/v1/members/{id}',
    summary: 'create or replace a member profile (operator of every site; site-scoped 403); tokenKey is write-only',
    auth: 'bearer',
    body: memberPutBody,
    responses: { '200': '{member} (replaced)', '201': '{member} (created)' },
  },
  {
    method: 'delete',
    path: '/api/v1/members/{id}',
    summary: 'erase a member (operator of every site; site-scoped 403): profile and keys deleted, events keep a pseudonym',
    auth: 'bearer',
    responses: { '204': 'erased', '404': 'no such member' },
  },
  {
    method: 'get',
    path: '/api/v1/offers',
    summary: 'offers (members and prospects), newest first, with current status (a site-scoped token: its site only; 403 for another siteId)',
    auth: 'bearer',
    query: offersQuery,
    responses: {
      '200': '{offers: [{id, ruleId, storeId, memberId|null, subject|null, title, status, issuedAt, expiresAt, deliveredAt?, redeemedAt?, amount?}]}',
    },
  },
  {
    method: 'get',
    path: '/api/v1/offers/{id}',
    summary: 'one offer with its delivery record (attempts, last error)',
    auth: 'bearer',
    responses: { '200': '{offer, delivery}', '404': "no such offer (or another site's, for a site-scoped token)" },
  },
  analytics('footfall', footfallQuery, 'approaches, arrivals and capture rate per store and bucket'),
  analytics('dwell', dwellQuery, 'completed dwell percentiles and buckets'),
  analytics('floors', rangeQuery, 'floor-change flows'),
  analytics('returning', rangeQuery, 'returning subjects and members'),
  analytics('offers', rangeQuery, 'offer conversion'),
  analytics('summary', rangeQuery, 'headline figures'),
  analytics('funnel', funnelQuery, 'journey funnel per site-local hour, store and floor: distinct visits that approached, arrived, dwelt, purchased'),
  analytics('occupancy', occupancyQuery, 'WiFi occupancy of one store: people present per minute, unique visitors per hour (counts only)'),
  {
    method: 'get',
    path: '/api/v1/map/site',
    summary: 'floor map geometry of a site: floors, store footprints, zones, entrances, receiver positions (no calibration, terminals or keys)',
    auth: 'bearer',
    query: mapSiteQuery,
    responses: { '200': '{site}', '403': 'role not allowed, or siteId outside a site-scoped token', '404': 'no such site' },
  },
  {
    method: 'get',
    path: '/api/v1/map/live',
    summary: 'occupancy now per zone and store (counts of visits from the events), WiFi estimate per store, receiver health (decision 160)',
    auth: 'bearer',
    query: mapSiteQuery,
    responses: { '200': '{at, zones, stores, wifi, receivers}', '403': 'role not allowed, or siteId outside a site-scoped token', '404': 'no such site' },
  },
  {
    method: 'get',
    path: '/api/v1/map/playback',
    summary: 'occupancy per zone and store at evenly spaced times of a stored range, for replay on the map (counts only)',
    auth: 'bearer',
    query: mapPlaybackQuery,
    responses: { '200': '{times, zones, stores, wifi}', '403': 'role not allowed, or siteId outside a site-scoped token', '404': 'no such site' },
  },
  {
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'session token for a staff account',
    auth: 'none',
    body: loginBody,
    responses: { '200': '{token, expiresAt, user}', '401': 'invalid username or password', '429': 'too many failures' },
  },
  { method: 'post', path: '/api/v1/auth/logout', summary: 'end this session', auth: 'bearer', responses: { '204': 'signed out' } },
  { method: 'get', path: '/api/v1/auth/me', summary: "the token's principal", auth: 'bearer', responses: { '200': '{user}' } },
  { method: 'post', path: '/api/v1/alerts/ticket', summary: 'single-use alert socket ticket', auth: 'bearer', responses: { '200': '{ticket, expiresAt}' } },
  {
    method: 'post',
    path: '/api/v1/alerts/{id}/claim',
    summary: 'claim an alert',
    auth: 'bearer',
    responses: { '200': '{alert}', '404': 'no such alert in scope', '409': 'claimed by someone else' },
  },
  {
    method: 'post',
    path: '/api/v1/alerts/{id}/ack',
    summary: 'mark an alert done',
    auth: 'bearer',
    responses: { '200': '{alert}', '404': 'no such alert in scope', '409': 'claimed by someone else' },
  },
  {
    method: 'get',
    path: '/api/v1/staff',
    summary: "staff accounts (operator; a site-scoped one lists its site's accounts only)",
    auth: 'bearer',
    responses: { '200': '{staff}' },
  },
  {
    method: 'post',
    path: '/api/v1/tokens',
    summary: 'create a long-lived API token (operator); the token is shown once and never reaches beyond its creator (role and site)',
    auth: 'bearer',
    body: apiTokenBody,
    responses: { '201': '{token, id}', '403': 'role not allowed, or the token would reach beyond its creator' },
  },
  {
    method: 'get',
    path: '/api/v1/tokens',
    summary: "API tokens by id, never the tokens (operator; a site-scoped one lists its site's)",
    auth: 'bearer',
    responses: { '200': '{tokens: [{id, name, role, siteId, storeIds, createdAt}]}' },
  },
  {
    method: 'delete',
    path: '/api/v1/tokens/{id}',
    summary: 'revoke an API token (operator)',
    auth: 'bearer',
    responses: { '204': 'revoked', '404': "no such API token (within the caller's reach)" },
  },
  {
    method: 'post',
    path: '/api/v1/gateways',
    summary: 'register a gateway of a site model and get its one-time enrolment code (operator; shown once, 15 min, single use, stored hashed)',
    auth: 'bearer',
    body: registerGatewayBody,
    responses: { '201': '{siteId, gatewayId, code, expiresAt}', '404': 'unknown site, or no such gateway in its model' },
  },
  {
    method: 'post',
    path: '/api/v1/gateways/enroll',
    summary: 'a gateway takes its code: new MQTT credentials (the password once; stored scrypt-hashed) and its rendered config (storesense-gateway enroll)',
    auth: 'none',
    body: enrollBody,
    responses: {
      '200': '{siteId, gatewayId, mqtt: {url, username, password}, configVersion, config}',
      '404': 'code unknown, used or expired',
      '429': 'too many failed enrolments from this address',
    },
  },
  {
    method: 'get',
    path: '/api/v1/fleet',
    summary: 'registered gateways: enrolled, revoked, pending code expiry, config version published and the answer (operator)',
    auth: 'bearer',
    responses: { '200': '{gateways: [{siteId, gatewayId, registeredAt, enrolledAt, revokedAt, codeExpiresAt, config, lastResult}]}' },
  },
  {
    method: 'get',
    path: '/api/v1/gateways/{siteId}/{gatewayId}',
    summary: 'one registered gateway (operator)',
    auth: 'bearer',
    responses: { '200': 'registration', '404': 'not registered (or outside your site)' },
  },
  {
    method: 'delete',
    path: '/api/v1/gateways/{siteId}/{gatewayId}',
    summary: 'revoke a gateway: credential deleted, retained config cleared, its MQTT sessions dropped (operator)',
    auth: 'bearer',
    responses: { '200': '{revoked: true}', '404': 'not registered' },
  },
  {
    method: 'post',
    path: '/api/v1/gateways/{siteId}/{gatewayId}/enrolment-code',
    summary: 'a new one-time enrolment code, replacing a pending one (operator; to re-enrol a gateway)',
    auth: 'bearer',
    responses: { '201': '{code, expiresAt}', '404': 'not registered, or revoked' },
  },
  {
    method: 'get',
    path: '/api/v1/gateways/{siteId}/{gatewayId}/config',
    summary: "the config last published on the gateway's retained config topic, its overrides, and the gateway's answer (operator)",
    auth: 'bearer',
    responses: { '200': '{version, sha256, body, overrides, publishedAt, lastResult}', '404': 'not registered or not enrolled yet' },
  },
  {
    method: 'put',
    path: '/api/v1/gateways/{siteId}/{gatewayId}/config',
    summary: 'set the overrides over the site rendering and publish the config (version raised when it changed); the gateway applies it live (operator)',
    auth: 'bearer',
    body: gatewayConfigBody,
    responses: { '200': '{version, sha256, changed}', '409': 'revoked' },
  },
  {
    method: 'post',
    path: '/api/v1/gateways/{siteId}/{gatewayId}/commands/{name}',
    summary:
      'run a command on the gateway over MQTT and wait for its answer: ping, health, stats, restart-source {source}, flush-status, reload-model (operator)',
    auth: 'bearer',
    body: commandBody,
    responses: {
      '200': '{v, requestId, status: ok|error, result, error, ms}',
      '404': 'no credentials (not enrolled, or revoked)',
      '503': 'too many commands in flight',
      '504': 'no answer within timeoutMs',
    },
  },
  {
    method: 'post',
    path: '/api/v1/models',
    summary: 'store a model to distribute: the ONNX file (base64, at most 1 MiB) and its training domain; the cloud computes its sha256 (operator)',
    auth: 'bearer',
    body: modelUploadBody,
    responses: { '201': '{version, sha256, size, domain, createdAt}', '409': 'the version exists (versions are immutable)' },
  },
  {
    method: 'get',
    path: '/api/v1/models',
    summary: 'models stored for distribution, newest first, without their bytes (operator)',
    auth: 'bearer',
    responses: { '200': '{models: [{version, sha256, size, domain, createdAt}]}' },
  },
  {
    method: 'post',
    path: '/api/v1/gateways/{siteId}/{gatewayId}/model',
    summary:
      'send a model to a gateway to run in shadow beside its active one (it checks sha256 and training domain; health.rollout reports agreement); promote or roll back with the model-promote / model-rollback commands (operator)',
    auth: 'bearer',
    body: modelRolloutBody,
    responses: {
      '200': "the gateway's answer: {status: ok|error, result: {shadow, sha256, domain}, error}",
      '404': 'no such model, or the gateway has no credentials',
      '504': 'no answer within timeoutMs',
    },
  },
  {
    method: 'get',
    path: '/api/v1/rules',
    summary: 'all rules in evaluation order (operator; a site-scoped one sees those naming no other site)',
    auth: 'bearer',
    responses: { '200': '{rules}' },
  },
  {
    method: 'post',
    path: '/api/v1/rules',
    summary: 'create a rule (operator; a site-scoped one only rules with siteIds [its site])',
    auth: 'bearer',
    body: ruleSchema,
    responses: { '201': '{rule}', '403': 'role not allowed, or the rule reaches beyond a site-scoped token', '409': 'rule id exists' },
  },
  { method: 'get', path: '/api/v1/rules/{id}', summary: 'one rule (operator)', auth: 'bearer', responses: { '200': '{rule}', '404': 'no such rule' } },
  {
    method: 'put',
    path: '/api/v1/rules/{id}',
    summary: 'replace a rule (operator; a site-scoped one only rules with siteIds [its site])',
    auth: 'bearer',
    body: rulePutBody,
    responses: { '200': '{rule}', '403': 'role not allowed, or the rule reaches beyond a site-scoped token', '404': 'no such rule (in sight)' },
  },
  {
    method: 'delete',
    path: '/api/v1/rules/{id}',
    summary: 'delete a rule (operator; a site-scoped one only rules with siteIds [its site])',
    auth: 'bearer',
    responses: { '204': 'deleted', '403': 'role not allowed, or the rule reaches beyond a site-scoped token', '404': 'no such rule (in sight)' },
  },
];

// Query strings arrive as strings and are coerced: describe what a client sends (io: 'input').
// `$schema` is dropped: OpenAPI 3.1 already implies JSON Schema 2020-12 for every schema object.
function jsonSchema(s: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const errorRef = { $ref: '#/components/schemas/Error' };

function operation(r: RouteDoc): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  for (const m of r.path.matchAll(/\{(\w+)\}/g)) parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  if (r.query) {
    for (const [name, field] of Object.entries(r.query.shape)) {
      const schema = jsonSchema(field as z.ZodType);
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: 'query',
        required: !(field as z.ZodType).safeParse(undefined).success,
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  }
  const responses: Record<string, unknown> = {};
  for (const [code, description] of Object.entries(r.responses)) {
    responses[code] =
      code.startsWith('2') && code !== '204'
        ? { description, content: { 'application/json': { schema: { type: 'object' } } } }
        : code === '204' || code === '101'
          ? { description }
          : { description, content: { 'application/json': { schema: errorRef } } };
  }
  if (r.query || r.body || r.path.includes('{'))
    responses['400'] ??= { description: 'invalid input; `issues` lists each path', content: { 'application/json': { schema: errorRef } } };
  if (r.auth !== 'none') {
    responses['401'] ??= { description: 'authentication required (when staff auth is required)', content: { 'application/json': { schema: errorRef } } };
    responses['403'] ??= { description: "role not allowed, or outside the token's site scope", content: { 'application/json': { schema: errorRef } } };
  }
  return {
    summary: r.summary,
    operationId: `${r.method}${r.path
      .replace('/api/v1', '')
      .replace(/[{}]/g, '')
      .replace(/[/.-](\w)/g, (_m, ch: string) => ch.toUpperCase())}`,
    ...(parameters.length ? { parameters } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            content: { [r.contentType ?? 'application/json']: { schema: r.body === ruleSchema ? { $ref: '#/components/schemas/Rule' } : jsonSchema(r.body) } },
          },
        }
      : {}),
    responses,
    // Bearer is needed when the cloud runs with staff auth required; open mode serves without.
    ...(r.auth === 'none' ? { security: [] } : { security: r.auth === 'optional' ? [{}, { bearer: [] }] : [{ bearer: [] }] }),
  };
}

/** The OpenAPI 3.1 document of /api/v1, request schemas generated from the routes' zod schemas. */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTE_DOCS) (paths[r.path] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: { title: 'storesense cloud API', version: '1' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'session token (POST /api/v1/auth/login) or API token' } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, issues: { type: 'array', items: { type: 'string' } } } },
        Rule: jsonSchema(ruleSchema),
      },
    },
  };
}
