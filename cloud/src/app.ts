import { VisitFollower } from './alerts/visit-follower.js';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Site } from '@storesense/firmware-config';
import { CONFIG_RESULT_NAME, filters, isValidId, parseTopic, type PresenceEvent } from '@storesense/protocol';
import { WebSocketServer } from 'ws';
import { AlertHub, type AlertFanout } from './alerts/alert-hub.js';
import { AlertService } from './alerts/alert.service.js';
import type { AuthorizeSocket } from './alerts/alerts.ws.js';
import { startSocketHeartbeat } from './alerts/socket-heartbeat.js';
import { SocketRegistry } from './alerts/socket-registry.js';
import { createApi } from './api/api.routes.js';
import { createCloudHttpServer, type CloudHttpServer, type HttpServerLimits } from './api/http-server.js';
import { AuthService } from './auth/auth.service.js';
import { LoginThrottle, type LoginGuard } from './auth/login-throttle.js';
import { RedisLoginThrottle } from './cluster/login-throttle.redis.js';
import { RedisTicketStore } from './cluster/ticket-store.redis.js';
import { MemoryPubSub, RedisPubSub, type PubSub } from './cluster/pubsub.js';
import { PubSubAlertHub } from './cluster/pubsub-alert-hub.js';
import { openRedis, type RedisConnection } from './cluster/redis.connection.js';
import { ticketSocketAuthorizer, type StaffAuthMode } from './auth/socket-auth.js';
import type { StaffSeedInput } from './auth/staff.seed.js';
import type { StaffRole } from './store/cloud-store.js';
import { startEmbeddedBroker, type BrokerLimits, type EmbeddedBroker } from './broker/aedes.broker.js';
import type { BrokerLink } from './broker/broker-link.js';
import { gatewayUsername, hashPassword, parseGatewayUsername } from './broker/credentials.js';
import { connectDynsecAdmin, type DynsecAdmin } from './broker/dynsec.admin.js';
import type { GatewayAccounts } from './broker/gateway-accounts.js';
import { connectExternalBroker, withoutCredentials } from './broker/mqtt.link.js';
import { systemClock, type Clock } from './clock.js';
import { Ingest, type IngestOutcome } from './ingest/ingest.js';
import { createLogger, type Logger } from './log.js';
import { MemberKeysPublisher } from './members/member-keys.publisher.js';
import { combineLegacyCards, legacyCardsFromCsv, legacyCardsFromProfiles } from './members/legacy-cards.js';
import { importMembersCsv, type MembersImportResult } from './members/members.import.js';
import { MembersService } from './members/members.service.js';
import { OfferDeliveryWorker } from './offers/offer-delivery.js';
import { OffersService, type OfferDeliveryConfig } from './offers/offers.service.js';
import type { WebhookPolicy } from './offers/webhook.client.js';
import { Metrics } from './metrics.js';
import { createCloudPrometheus } from './metrics.prom.js';
import { CommandsService } from './fleet/commands.service.js';
import { FleetService } from './fleet/fleet.service.js';
import type { Rule } from './rules/rules.js';
import { RulesRunner } from './rules/rules.runner.js';
import type { CloudStore } from './store/cloud-store.js';
import { openSqliteStore } from './store/store.sqlite.js';
import { openPostgresStore } from './store/store.postgres.js';
import { loadMasterKey } from './store/key-sealer.js';

export interface CloudOptions {
  /** Holds `cloud.db`; created when missing. */
  dataDir: string;
  /**
   * `postgres://…` (STORESENSE_DATABASE_URL): the PostgreSQL store instead of `cloud.db`
   * (decision 77). Several nodes may share it; every node must then seal with the same `masterKey`.
   */
  databaseUrl?: string | undefined;
  /**
   * `redis://…` (STORESENSE_REDIS_URL): state shared by several nodes in Redis (decision 102):
   * alert fan-out, login throttle, rules-cache invalidation and sign-out everywhere. Unset: all in
   * this process, as before.
   */
  redisUrl?: string | undefined;
  /** Prefix of every Redis key and channel (default `storesense:`): one per deployment sharing a Redis. */
  redisPrefix?: string | undefined;
  httpHost?: string;
  /** 0 (default) picks a free port; `start()` reports the real one. */
  httpPort?: number;
  /** Header size and slow-client timeouts of the HTTP server (defaults: DEFAULT_HTTP_LIMITS). */
  httpLimits?: Partial<HttpServerLimits>;
  mqttHost?: string;
  mqttPort?: number;
  /** An external MQTT 3.1.1 broker (e.g. `mqtt://127.0.0.1:1883`) instead of the embedded aedes. */
  brokerUrl?: string;
  /** MQTT version of the external broker link: 4 (3.1.1, default) or 5. */
  brokerProtocolVersion?: 4 | 5;
  /**
   * External broker only: ingest subscribes to events, gaps and occupancy through
   * `$share/<group>/…`, so the nodes of one group split them (decision 112). Default `storesense`;
   * null subscribes plainly (every node would then store and ack every event).
   */
  brokerShareGroup?: string | null;
  /**
   * External Mosquitto only: its dynamic-security admin account (`mqtt://admin:pw@host:port`, from
   * `storesense-cloud broker-config`). Provisioning or revoking a gateway then updates the broker live.
   */
  brokerAdminUrl?: string;
  /**
   * External broker only: messages handled at once, different gateways' side by side, each
   * gateway's in order (decision 114). Default 1: one at a time, as with the embedded broker.
   */
  brokerConcurrency?: number;
  /** Site models: store names, time zones, gateway stores, token periods. */
  sites?: Site[];
  /** Ingest only these sites' topics (sharding, or tests on a shared broker); all when absent. */
  ingestSiteIds?: readonly string[];
  /**
   * Events stored but left unprocessed by a node that stopped before their rules ran (decision
   * 170): on PostgreSQL every node sweeps those received over `olderThanMs` ago (default 10 s)
   * every `sweepEveryMs` (default 5 s); on SQLite (one node) they are all run at start.
   */
  unprocessedSweep?: { olderThanMs?: number; sweepEveryMs?: number };
  /** Members CSV imported (upserted) on every start. */
  membersCsvPath?: string;
  /** 32 bytes sealing member token keys in the database; default: `${dataDir}/cloud.db.key` (0600). */
  masterKey?: Buffer;
  logger?: Logger;
  clock?: Clock;
  /** Ack batching window per gateway (default 20 ms; the contract promises ~50 ms). */
  ackDelayMs?: number;
  rules?: readonly Rule[];
  /**
   * Staff alert socket policy: 'required' needs a ticket (POST /api/v1/alerts/ticket after login)
   * and scopes the socket to the staff member's stores, and guards GET /api/v1/alerts; 'open'
   * (the default here, for tests and demos) also accepts sockets without a ticket, getting every
   * alert. The CLI defaults to 'required'. A foreign Origin is refused in both modes.
   */
  staffAuth?: StaffAuthMode;
  /** Staff, operator and analyst accounts created or updated on start (passwords hashed with scrypt). */
  staff?: readonly StaffSeedInput[];
  /** Browser origins allowed on the alert socket besides the cloud's own (the request's Host). */
  allowedOrigins?: readonly string[];
  /** Login session lifetime (default 12 h). */
  sessionTtlMs?: number;
  /** Socket ticket lifetime (default 30 s). */
  ticketTtlMs?: number;
  /** Failed logins per username or address before a pause (default 10 per 5 minutes). */
  loginThrottle?: { maxFailures?: number; windowMs?: number };
  /** Replaces the ticket policy above entirely (custom auth); the default policy when absent. */
  authorizeSocket?: AuthorizeSocket;
  brokerLimits?: Partial<BrokerLimits>;
  /** Serve the embedded broker over TLS (mqtts): PEM key and certificate, optional client CA (mutual TLS). */
  brokerTls?: { keyFile: string; certFile: string; clientCaFile?: string };
  /** Staff sockets are pinged this often; one that misses a pong is dropped (default 30 s). */
  socketPingMs?: number;
  /** The member app's push service for offers (webhook with retries); offers stay `issued` without one. */
  offerDelivery?: OfferDeliveryConfig;
  /** URL policy of rule webhook actions (default: public https or loopback http, 5 s timeout). */
  webhookPolicy?: WebhookPolicy;
  /** The broker URL enrolled gateways are told to use (default: the broker's own URL as started). */
  publicMqttUrl?: string;
  /** One-time enrolment code lifetime (default 15 min). */
  enrolmentTtlMs?: number;
}

export interface CloudEndpoints {
  httpUrl: string;
  mqttUrl: string;
  httpPort: number;
  mqttPort: number;
}

export interface ProvisionGatewayInput {
  siteId: string;
  gatewayId: string;
  /** Defaults to the convention `${siteId}.${gatewayId}`. */
  username?: string;
  password: string;
}

/**
 * The cloud, wired (the composition root, architecture §7 habit 1).
 * @example
 * const cloud = createCloud({ dataDir: '/var/lib/storesense', sites: [site], membersCsvPath: 'members.csv' });
 * const { httpUrl, mqttUrl } = await cloud.start();
 * await cloud.provisionGateway({ siteId: 'mall-bj-01', gatewayId: 'gw-boutique-1', password: 's3cret' });
 */
export interface Cloud {
  start(): Promise<CloudEndpoints>;
  stop(): Promise<void>;
  /** Stores (or replaces) a gateway's MQTT credentials and publishes its member keys. Needs start(). */
  provisionGateway(input: ProvisionGatewayInput): Promise<{ username: string }>;
  /**
   * Tells the broker a gateway's credentials changed or were revoked (decision 111): call it after
   * every write of gateway credentials other than provisionGateway (which calls it itself). With an
   * external Mosquitto and `brokerAdminUrl` it updates the broker's accounts live; with the embedded
   * broker a revoked gateway's session is closed. Needs start().
   */
  readonly gatewayAccounts: GatewayAccounts;
  /** In-process ingest (same validation, storage, rules and ack as the MQTT path). Needs start(). */
  ingestEvent(event: PresenceEvent | unknown): Promise<IngestOutcome>;
  /** Creates or updates staff accounts. Needs start(). */
  seedStaff(staff: readonly StaffSeedInput[]): Promise<number>;
  /** A long-lived bearer token for tooling (returned once, stored hashed). Needs start(). */
  createApiToken(input: { name: string; role: StaffRole; siteId?: string; storeIds?: string[] }): Promise<{ token: string; id: string }>;
  /** Re-imports a members CSV and republishes member keys. Needs start(). */
  importMembers(path: string): Promise<MembersImportResult>;
  readonly metrics: Metrics;
  /** The store, once started (tests and future admin tooling). */
  readonly store: CloudStore | undefined;
}

interface Running {
  store: CloudStore;
  link: BrokerLink;
  embedded: EmbeddedBroker | undefined;
  admin: DynsecAdmin | undefined;
  accounts: GatewayAccounts;
  ingest: Ingest;
  keys: MemberKeysPublisher;
  auth: AuthService;
  http: CloudHttpServer | undefined;
  wss: WebSocketServer | undefined;
  stopHeartbeat: (() => void) | undefined;
  delivery: OfferDeliveryWorker;
  redis: RedisConnection | undefined;
  fanout: PubSubAlertHub | undefined;
  commands: CommandsService;
}

export function createCloud(options: CloudOptions): Cloud {
  const logger = options.logger ?? createLogger();
  const log = logger.child({ module: 'cloud' });
  const clock = options.clock ?? systemClock;
  const metrics = new Metrics();
  const sites = new Map<string, Site>((options.sites ?? []).map((s) => [s.id, s]));
  let running: Running | undefined;
  let starting: Promise<CloudEndpoints> | undefined;

  const need = (what: string): Running => {
    if (!running) throw new Error(`cloud not started: ${what} needs start() first`);
    return running;
  };

  async function doStart(): Promise<CloudEndpoints> {
    mkdirSync(options.dataDir, { recursive: true });
    const partial: Partial<Running> = {};
    try {
      const store = (partial.store = options.databaseUrl
        ? await openPostgresStore({
            url: options.databaseUrl,
            masterKey: options.masterKey ?? loadMasterKey({ filePath: join(options.dataDir, 'cloud.pg.key') }),
          })
        : openSqliteStore({ path: join(options.dataDir, 'cloud.db'), ...(options.masterKey ? { masterKey: options.masterKey } : {}) }));
      if (options.membersCsvPath) await importMembersCsv(options.membersCsvPath, { store, clock, logger, metrics });

      let mqttUrl: string;
      let mqttPort: number;
      if (options.brokerUrl) {
        const shareGroup = options.brokerShareGroup === undefined ? 'storesense' : options.brokerShareGroup;
        partial.link = await connectExternalBroker({
          url: options.brokerUrl,
          logger,
          metrics,
          ...(options.brokerProtocolVersion ? { protocolVersion: options.brokerProtocolVersion } : {}),
          ...(shareGroup !== null ? { shareGroup } : {}),
          ...(options.brokerConcurrency !== undefined ? { concurrency: options.brokerConcurrency } : {}),
        });
        if (options.brokerAdminUrl) partial.admin = await connectDynsecAdmin({ url: options.brokerAdminUrl, logger, metrics });
        // The broker as gateways reach it (enrolment hands it out): never the ingest account's login.
        mqttUrl = withoutCredentials(options.brokerUrl);
        mqttPort = Number(new URL(options.brokerUrl).port || 1883);
      } else {
        const mqttHost = options.mqttHost ?? '127.0.0.1';
        partial.embedded = await startEmbeddedBroker({
          host: mqttHost,
          port: options.mqttPort ?? 0,
          logger,
          metrics,
          ...(options.brokerLimits ? { limits: options.brokerLimits } : {}),
          ...(options.brokerTls ? { tls: options.brokerTls } : {}),
          lookupCredential: async (username) => store.getGatewayCredential(username),
        });
        partial.link = partial.embedded.link;
        mqttPort = partial.embedded.port;
        mqttUrl = `${partial.embedded.scheme}://${urlHost(mqttHost)}:${mqttPort}`;
      }
      const link = partial.link;
      partial.accounts = partial.admin ?? embeddedAccounts(partial.embedded);

      // Several nodes: what one process kept in memory goes through Redis (decision 102).
      const redis = (partial.redis = options.redisUrl ? await openRedis({ url: options.redisUrl, prefix: options.redisPrefix }) : undefined);
      const pubsub: PubSub | undefined = redis ? new RedisPubSub(redis) : undefined;
      let hub: AlertFanout;
      if (pubsub || options.databaseUrl) {
        // On PostgreSQL two raises on one node can also resolve out of seq order: the same ordered
        // hub, in process (decision 102). SQLite raises resolve in order: the plain hub, as before.
        partial.fanout = new PubSubAlertHub({ pubsub: pubsub ?? new MemoryPubSub(), store, logger, metrics });
        await partial.fanout.start();
        hub = partial.fanout;
      } else hub = new AlertHub();
      const broadcast = (channel: string, message: string) =>
        void pubsub?.publish(channel, message).catch((err: unknown) => log.warn({ err, channel }, 'cluster broadcast failed'));
      const members = new MembersService({
        store,
        sites,
        clock,
        logger,
        metrics,
        // Profiles changed (API import, edit, erasure): gateways get the new key set.
        onMembersChanged: () => void partial.keys?.publishAll().catch((err: unknown) => log.error({ err }, 'member keys publish failed')),
      });
      // Alerts stay true as the shopper moves on: later events of the visit update them (decision 154).
      const visits = new VisitFollower({ store, hub, logger, metrics, index: options.databaseUrl ? 'store' : 'memory' });
      const alerts = new AlertService({
        store,
        hub,
        clock,
        logger,
        metrics,
        describeMember: (event, member, storeId) => members.forAlert(event, member, storeId),
        onRaised: (alert) => visits.track(alert),
      });
      const delivery = (partial.delivery = new OfferDeliveryWorker({ store, clock, logger, metrics, config: options.offerDelivery }));
      const offers = new OffersService({ store, sites, clock, logger, metrics, delivery: options.offerDelivery, onQueued: () => delivery.kick() });
      const rules = new RulesRunner({
        store,
        alerts,
        offers,
        sites,
        clock,
        logger,
        metrics,
        ...(options.rules ? { rules: options.rules } : {}),
        ...(options.webhookPolicy ? { webhookPolicy: options.webhookPolicy } : {}),
      });
      partial.ingest = new Ingest({
        link,
        store,
        clock,
        logger,
        metrics,
        ...(options.ackDelayMs !== undefined ? { ackDelayMs: options.ackDelayMs } : {}),
        ...(options.ingestSiteIds ? { siteIds: options.ingestSiteIds } : {}),
        unprocessed: options.databaseUrl
          ? { olderThanMs: options.unprocessedSweep?.olderThanMs ?? 10_000, sweepEveryMs: options.unprocessedSweep?.sweepEveryMs ?? 5_000 }
          : {},
        onNewEvent: async (event) => {
          // Redemption first: an offer a purchase redeems is settled before rules see the purchase.
          if (event.type === 'purchase') {
            await offers.onPurchase(event).catch((err: unknown) => {
              metrics.inc('offers.redemption_failed');
              log.error({ err, eventId: event.id }, 'offer redemption failed');
            });
          }
          await rules.onEvent(event);
          await visits.onEvent(event);
        },
      });
      await partial.ingest.start();
      delivery.start();

      partial.keys = new MemberKeysPublisher({
        link,
        store,
        sites,
        clock,
        logger,
        metrics,
        legacyCards: combineLegacyCards(legacyCardsFromProfiles(store), ...(options.membersCsvPath ? [legacyCardsFromCsv(options.membersCsvPath)] : [])),
      });
      // A feature failing here must not stop the cloud (Zigbee2MQTT's extension habit).
      await partial.keys.publishAll().catch((err: unknown) => log.error({ err }, 'initial member keys publish failed'));

      // The fleet: enrolment, remote config on the retained config topic, commands (decisions 130-132).
      const commands = (partial.commands = new CommandsService({ link, logger, metrics }));
      const fleet = new FleetService({
        store,
        link,
        sites,
        clock,
        logger,
        metrics,
        mqttUrl: options.publicMqttUrl ?? mqttUrl,
        accounts: partial.accounts!,
        publishMemberKeys: (siteId, gatewayId) => partial.keys!.publishGateway(siteId, gatewayId),
        ...(options.enrolmentTtlMs !== undefined ? { enrolmentTtlMs: options.enrolmentTtlMs } : {}),
      });
      await link.subscribe(filters.allResponses, async (topic, payload) => {
        const t = parseTopic(topic);
        if (t?.kind !== 'response') return;
        if (t.name === CONFIG_RESULT_NAME) await fleet.onConfigResult(t.siteId, t.gatewayId, payload);
        else commands.onResponse(t.siteId, t.gatewayId, t.name, payload);
      });
      await fleet.publishAll().catch((err: unknown) => log.error({ err }, 'gateway configs not published at start'));

      const sockets = new SocketRegistry();
      if (pubsub) {
        // Sign-out everywhere and rule edits reach the other nodes' sockets and rule caches.
        await pubsub.subscribe('signout', (username) => void sockets.closeAll(username, 'signed out'));
        await pubsub.subscribe('rules', () => {
          metrics.inc('rules.invalidated_by_broadcast');
          rules.invalidate();
        });
      }
      const auth = (partial.auth = new AuthService({
        store,
        clock,
        logger,
        metrics,
        ...(redis ? { tickets: new RedisTicketStore(redis, clock) } : {}),
        onSignedOutEverywhere: (username) => {
          sockets.closeAll(username, 'signed out');
          broadcast('signout', username);
        },
        ...(options.sessionTtlMs !== undefined ? { sessionTtlMs: options.sessionTtlMs } : {}),
        ...(options.ticketTtlMs !== undefined ? { ticketTtlMs: options.ticketTtlMs } : {}),
      }));
      if (options.staff) await auth.seedStaff(options.staff);
      const staffAuth = options.staffAuth ?? 'open';
      const authorizeSocket =
        options.authorizeSocket ??
        ticketSocketAuthorizer({ auth, mode: staffAuth, ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}) });

      const embedded = partial.embedded;
      const broker = (): { kind: 'embedded' | 'external'; connected: boolean; clients?: number } =>
        embedded
          ? { kind: 'embedded', connected: link.isConnected(), clients: embedded.connectedClients() }
          : { kind: 'external', connected: link.isConnected() };
      const throttle: LoginGuard = redis ? new RedisLoginThrottle(redis, clock, options.loginThrottle) : new LoginThrottle(clock, options.loginThrottle);
      const api = createApi({
        store,
        logger,
        metrics,
        broker,
        prometheus: createCloudPrometheus({ metrics, store, broker, clock, sockets: () => partial.wss?.clients.size ?? 0 }),
        alertSocket: { hub, authorizeSocket, registry: sockets },
        staff: { auth, alerts, mode: staffAuth, throttle },
        sites,
        clock,
        members,
        offers,
        onRulesChanged: () => {
          rules.invalidate();
          broadcast('rules', 'changed');
        },
        fleet: { fleet, commands, throttle: new LoginThrottle(clock, options.loginThrottle) },
      });
      // perMessageDeflate off: alerts are small and compression costs CPU and memory per socket.
      // maxPayload: staff sockets send small claim/ack frames; ws's default (100 MiB) would let one
      // unauthenticated frame hold that much memory.
      const wss = (partial.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 }));
      partial.stopHeartbeat = startSocketHeartbeat(wss, options.socketPingMs ?? 30_000);
      partial.http = createCloudHttpServer({ fetch: api.fetch, wss, ...(options.httpLimits ? { limits: options.httpLimits } : {}) });
      const http = partial.http.server;
      const httpHost = options.httpHost ?? '127.0.0.1';
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(options.httpPort ?? 0, httpHost, () => {
          http.off('error', reject);
          resolve();
        });
      });
      http.on('error', (err) => log.error({ err }, 'http server error'));
      const httpPort = (http.address() as AddressInfo).port;
      running = partial as Running;
      const endpoints = { httpUrl: `http://${urlHost(httpHost)}:${httpPort}`, mqttUrl, httpPort, mqttPort };
      log.info(endpoints, 'cloud started');
      return endpoints;
    } catch (err) {
      await shutdown(partial);
      throw err;
    }
  }

  async function shutdown(r: Partial<Running>): Promise<void> {
    const step = async (name: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (err) {
        log.warn({ err, step: name }, 'shutdown step failed');
      }
    };
    await step('http', async () => {
      r.stopHeartbeat?.();
      if (!r.http) return;
      for (const ws of r.wss?.clients ?? []) ws.terminate();
      await r.http.close();
    });
    await step('commands', () => r.commands?.close());
    await step('ingest', () => r.ingest?.stop());
    await step('offer delivery', () => r.delivery?.stop());
    await step('broker', async () => {
      if (r.embedded) await r.embedded.close();
      else await r.link?.close();
      await r.admin?.close();
    });
    await step('alert fan-out', () => r.fanout?.stop());
    await step('redis', () => r.redis?.close());
    await step('store', () => r.store?.close());
  }

  return {
    metrics,
    get store() {
      return running?.store;
    },
    gatewayAccounts: {
      changed: (change) => need('gatewayAccounts').accounts.changed(change),
      revoked: (gateway) => need('gatewayAccounts').accounts.revoked(gateway),
    },
    start() {
      if (running) return Promise.reject(new Error('cloud already started'));
      starting ??= doStart().finally(() => {
        starting = undefined;
      });
      return starting;
    },
    async stop() {
      if (starting) await starting.catch(() => undefined);
      const r = running;
      running = undefined;
      if (!r) return;
      await shutdown(r);
      log.info('cloud stopped');
    },
    async provisionGateway(input) {
      const r = need('provisionGateway');
      if (!isValidId(input.siteId) || !isValidId(input.gatewayId)) throw new TypeError('siteId and gatewayId must be valid ids');
      if (input.password.length < 8) throw new TypeError('gateway password must have at least 8 characters');
      const username = input.username ?? gatewayUsername(input.siteId, input.gatewayId);
      if (input.username === undefined && !parseGatewayUsername(username)) throw new TypeError(`cannot derive a username from ${username}`);
      const { passwordHash, salt } = await hashPassword(input.password);
      await r.store.upsertGatewayCredential({ siteId: input.siteId, gatewayId: input.gatewayId, username, passwordHash, salt, provisionedAt: clock.now() });
      log.info({ siteId: input.siteId, gatewayId: input.gatewayId, username }, 'gateway provisioned');
      await r.accounts.changed({ siteId: input.siteId, gatewayId: input.gatewayId, username, password: input.password });
      await r.keys.publishGateway(input.siteId, input.gatewayId);
      return { username };
    },
    async ingestEvent(event) {
      return need('ingestEvent').ingest.ingestEvent(event);
    },
    async seedStaff(staff) {
      return need('seedStaff').auth.seedStaff(staff);
    },
    async createApiToken(input) {
      return need('createApiToken').auth.createApiToken(input);
    },
    async importMembers(path) {
      const r = need('importMembers');
      const result = await importMembersCsv(path, { store: r.store, clock, logger, metrics });
      await r.keys.publishAll();
      return result;
    },
  };
}

/** The embedded broker checks the store on each CONNECT; a revoked gateway's open session is closed (its client id is its username). */
function embeddedAccounts(embedded: EmbeddedBroker | undefined): GatewayAccounts {
  return {
    changed: async () => undefined,
    revoked: async (gateway) => {
      // Every session of the gateway: its uplink and any broker-side source sharing its credential.
      await embedded?.disconnectGateway(gateway.siteId, gateway.gatewayId);
    },
  };
}

/** A host usable in a URL: wildcard binds are reached on loopback; IPv6 literals get brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
