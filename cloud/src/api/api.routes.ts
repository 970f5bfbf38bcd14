import type { Site } from '@storesense/firmware-config';
import { Hono, type MiddlewareHandler } from 'hono';
import { alertSocketHandlers, type AlertSocketOptions } from '../alerts/alerts.ws.js';
import { scopeOf } from '../auth/principal.js';
import type { StaffAuthMode } from '../auth/socket-auth.js';
import { registerConsoleRoutes } from '../console/console.assets.js';
import { AnalyticsService } from '../analytics/analytics.service.js';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudPrometheus } from '../metrics.prom.js';
import type { CloudStore } from '../store/cloud-store.js';
import { registerAnalyticsRoutes } from './analytics.routes.js';
import { MembersService } from '../members/members.service.js';
import { offerFigures } from '../offers/offer-figures.js';
import { OffersService } from '../offers/offers.service.js';
import { alertsQuery, eventsQuery, gapsQuery } from './api.schemas.js';
import { registerOffersRoutes } from './offers.routes.js';
import { MAX_IMPORT_BYTES, registerMembersRoutes } from './members.routes.js';
import { DEFAULT_BODY_BYTES, DEFAULT_MAX_URL_BYTES, requestLimits } from './request-limits.js';
import { buildOpenApi } from './openapi.js';
import { registerRulesRoutes } from './rules.routes.js';
import { registerSitesRoutes } from './sites.routes.js';
import { registerReceiversRoutes } from './receivers.routes.js';
import { registerMapRoutes } from './map.routes.js';
import { errorMessages } from './error-messages.js';
import { optionalAuth, principalOf, requireRole } from './auth.middleware.js';
import { HttpError, parseQuery } from './http-error.js';
import { registerStaffRoutes, type StaffRoutesOptions } from './staff.routes.js';
import { both, seesSite, siteFilter, siteQueryInScope } from './scope.js';
import { registerTokenRoutes } from './tokens.routes.js';
import { registerFleetRoutes, type FleetRoutesOptions } from './fleet.routes.js';
import { MODEL_UPLOAD_BODY_BYTES } from '../fleet/models.routes.js';

export interface ApiOptions {
  store: CloudStore;
  logger: Logger;
  metrics: Metrics;
  /** Broker state for /health. */
  broker: () => { kind: 'embedded' | 'external'; connected: boolean; clients?: number };
  /** Alert socket wiring; the route is absent when omitted (in-process API tests). */
  alertSocket?: Omit<AlertSocketOptions, 'store' | 'logger' | 'metrics'>;
  /** Staff login, tickets, claim/ack; absent in in-process API tests. 'required' also guards GET /alerts. */
  staff?: Omit<StaffRoutesOptions, 'store' | 'logger' | 'metrics'> & { mode: StaffAuthMode };
  /** Known sites: analytics buckets days and hours in each site's time zone (UTC when unknown). */
  sites?: ReadonlyMap<string, Site>;
  /** Rule edit times; system clock when absent. */
  clock?: Clock;
  /** Told after a rule is created, replaced or deleted (the rules runner drops its cache). */
  onRulesChanged?: () => void;
  /** Member profiles (the cloud's, which republishes keys on change); a plain one over `store` when absent. */
  members?: MembersService;
  /** Offers (the cloud's); a plain one over `store` when absent. */
  offers?: OffersService;
  /** Prometheus metrics at `GET /metrics` (decision 140), guarded like the other operator listings; absent: 404. */
  prometheus?: CloudPrometheus;
  /** Gateway enrolment, remote config and commands (needs `staff`: operators manage the fleet). */
  fleet?: Omit<FleetRoutesOptions, 'auth' | 'store' | 'logger' | 'clock'>;
}

/**
 * The HTTP API, versioned under /api/v1, plus the live console at `/`. Every error funnels to the
 * one `onError`; query parameters are validated with zod and a 400 lists each problem's path.
 * Member token keys never appear in any answer (profiles exclude them at the store interface).
 */
export function createApi(options: ApiOptions): Hono {
  const { store, metrics } = options;
  const log = options.logger.child({ module: 'api' });
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json(err.body, err.status);
    metrics.inc('api.errors');
    log.error({ err, path: c.req.path }, 'request failed');
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

  // Error answers gain `message` in the caller's language (Accept-Language: en or zh-CN).
  app.use('/api/*', errorMessages());
  // Before every route: bodies are bounded while they stream (a chunked 200 MB login is cut at the limit).
  app.use(
    '*',
    requestLimits({
      defaultBodyBytes: DEFAULT_BODY_BYTES,
      maxUrlBytes: DEFAULT_MAX_URL_BYTES,
      routeBodyBytes: { 'POST /api/v1/members/import': MAX_IMPORT_BYTES, 'POST /api/v1/models': MODEL_UPLOAD_BODY_BYTES },
    }),
  );
  registerConsoleRoutes(app); // `/`, `/staff`, `/assets/console/*`

  app.get('/api/v1/health', async (c) => {
    const dbOk = await store.ping();
    const broker = options.broker();
    const counts = dbOk ? await store.counts() : undefined;
    const ok = dbOk && broker.connected;
    // `auth` tells a console whether to ask for a sign-in (no 401 probe needed).
    const auth = options.staff?.mode === 'required' ? 'required' : 'open';
    return c.json({ ok, auth, db: { ok: dbOk }, broker, counts, metrics: metrics.snapshot() }, ok ? 200 : 503);
  });

  // With staff auth required, the operator listings need an operator or analyst token: member
  // profiles and journeys are personal data. Open mode keeps them open (demo, e2e).
  const noAuth: MiddlewareHandler = async (_c, next) => next();
  const readAuth: MiddlewareHandler = options.staff?.mode === 'required' ? requireRole(options.staff.auth, ['operator', 'analyst']) : noAuth;
  // Prometheus scrapes with an analyst API token (POST /api/v1/tokens) when staff auth is required.
  app.get('/metrics', readAuth, async (c) => {
    if (!options.prometheus) return c.json({ error: 'metrics are not enabled' }, 404);
    return c.body(await options.prometheus.render(), 200, { 'content-type': options.prometheus.contentType });
  });
  app.get('/api/v1/events', readAuth, async (c) => {
    const q = parseQuery(eventsQuery, c.req.query());
    const siteId = siteFilter(c, q.siteId);
    const rows = await store.listEvents({ ...q, ...(siteId !== undefined ? { siteId } : {}) });
    return c.json({ events: rows.map((r) => ({ ...r.event, receivedAt: r.receivedAt })) });
  });

  // With staff auth required, the alert listing needs a token and is limited to its scope (the
  // same alerts its socket would get); open mode keeps the unauthenticated listing (demo, e2e).
  const alertsAuth: MiddlewareHandler = options.staff
    ? options.staff.mode === 'required'
      ? requireRole(options.staff.auth, ['staff', 'operator', 'analyst'])
      : optionalAuth(options.staff.auth)
    : noAuth;
  app.get('/api/v1/alerts', alertsAuth, async (c) => {
    const q = parseQuery(alertsQuery, c.req.query());
    const principal = principalOf(c);
    const scope = principal ? scopeOf(principal) : {};
    const alerts = await store.listAlerts({ ...scope, sinceSeq: q.since ?? 0, limit: q.limit, newestFirst: true });
    return c.json({ alerts, lastSeq: alerts[0]?.seq ?? q.since ?? 0 });
  });

  registerSitesRoutes(app, options.sites ?? new Map(), alertsAuth);
  registerReceiversRoutes(app, { sites: options.sites ?? new Map(), store, auth: readAuth });
  app.get('/api/v1/gateways', readAuth, async (c) => c.json({ gateways: (await store.listGateways()).filter((g) => seesSite(c, g.siteId)) }));
  // Events gateways dropped undelivered (outbox cap or age bound): counts and ranges, newest first.
  app.get('/api/v1/gaps', readAuth, async (c) => {
    const q = parseQuery(gapsQuery, c.req.query());
    const siteId = siteFilter(c, q.siteId);
    return c.json({
      gaps: await store.listGaps({
        ...(siteId !== undefined ? { siteId } : {}),
        ...(q.gatewayId ? { gatewayId: q.gatewayId } : {}),
        ...(q.since !== undefined ? { since: q.since } : {}),
        limit: q.limit,
      }),
    });
  });

  const offers =
    options.offers ?? new OffersService({ store, sites: options.sites ?? new Map(), clock: options.clock ?? systemClock, logger: options.logger, metrics });
  registerOffersRoutes(app, offers, readAuth);

  // Every analytics route names its site in `siteId`: one guard covers them all (and new ones).
  registerAnalyticsRoutes(app, new AnalyticsService({ store, sites: options.sites ?? new Map() }), both(readAuth, siteQueryInScope), async (r) => {
    await store.expireOffers((options.clock ?? systemClock).now());
    return offerFigures(await store.listOffersIssued(r.siteId, r.from, r.to));
  });

  // The floor map: geometry, live and replayed occupancy counts (decision 160); analytics' guard.
  registerMapRoutes(app, { store, sites: options.sites ?? new Map(), clock: options.clock ?? systemClock, auth: both(readAuth, siteQueryInScope) });

  // Rules decide who is announced and who gets offers: operators only when staff auth is required.
  const operatorAuth: MiddlewareHandler = options.staff?.mode === 'required' ? requireRole(options.staff.auth, ['operator']) : noAuth;
  const members =
    options.members ?? new MembersService({ store, sites: options.sites ?? new Map(), clock: options.clock ?? systemClock, logger: options.logger, metrics });
  registerMembersRoutes(app, members, operatorAuth);
  registerRulesRoutes(app, {
    store,
    sites: options.sites ?? new Map(),
    clock: options.clock ?? systemClock,
    logger: options.logger,
    auth: operatorAuth,
    ...(options.onRulesChanged ? { onRulesChanged: options.onRulesChanged } : {}),
  });

  if (options.staff) {
    registerStaffRoutes(app, { ...options.staff, store, logger: options.logger, metrics });
    registerTokenRoutes(app, { auth: options.staff.auth });
    if (options.fleet)
      registerFleetRoutes(app, {
        ...options.fleet,
        auth: options.staff.auth,
        store,
        logger: options.logger,
        ...(options.clock ? { clock: options.clock } : {}),
      });
  }
  if (options.alertSocket) {
    const [gate, upgrade] = alertSocketHandlers({ ...options.alertSocket, store, logger: options.logger, metrics });
    app.get('/api/v1/alerts/ws', gate, upgrade);
  }
  // Built once from the routes' own zod schemas; open like /health (it describes, never serves data).
  let openApi: unknown;
  app.get('/api/v1/openapi.json', (c) => c.json((openApi ??= buildOpenApi())));
  return app;
}
