import type { ConnState, EventType, GapReport, GatewayHealth, OccupancyReport, PresenceEvent, StaffAlert } from '@storesense/protocol';
import pg from 'pg';
import type { Rule } from '../rules/rule.schema.js';
import type {
  AlertHandling,
  AlertKey,
  AlertQuery,
  AuthToken,
  AuthTokenKind,
  CloudStore,
  EventQuery,
  EventRangeQuery,
  GatewayConfigResult,
  GatewayCredential,
  GatewayRegistration,
  PublishedGatewayConfig,
  StoredModel,
  GatewayStatus,
  MemberActivity,
  MemberProfile,
  MemberRecord,
  MemberSearch,
  MemberUpsert,
  MemberWithActivity,
  NewAlert,
  RaisedAlert,
  OccupancySeries,
  OccupancySeriesQuery,
  Offer,
  OfferDelivery,
  OfferLimits,
  OfferQuery,
  PageQuery,
  StaffAccount,
  StaffProfile,
  StoreCounts,
  StoredEvent,
  StoredGap,
  UnprocessedLeaseQuery,
} from './cloud-store.js';
import { KeySealer } from './key-sealer.js';
import { PG_MIGRATIONS } from './migrations.postgres.js';
import { one, PG_TYPES, transaction } from './pg-sql.js';
import { PgAlertTables } from './store.postgres.alerts.js';
import { PgEventTables } from './store.postgres.events.js';
import { PgGatewayTables } from './store.postgres.gateways.js';
import { PgFleetTables } from './store.postgres.fleet.js';
import { PgMemberTables } from './store.postgres.members.js';
import { PgOfferTables } from './store.postgres.offers.js';
import { PgRollupTables } from './store.postgres.rollups.js';
import type { DwellRollup, FlowRollup, FootfallRollup, ReturningRollup, RollupHourRow, RollupRange } from './rollups.js';

/** The only opener of a PostgreSQL pool in the cloud (decision 76). */
export interface PostgresStoreOptions {
  /** `postgres://user@host:port/db` (STORESENSE_DATABASE_URL). */
  url: string;
  /** 32 bytes sealing member token keys at rest (key-sealer.ts), as for SQLite. */
  masterKey: Buffer;
  /** A schema to create (if missing) and use as search_path: tests isolate themselves this way. */
  schema?: string | undefined;
  /** Pool size per node (default 10). */
  maxConnections?: number | undefined;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Connects, applies pending migrations (one node at a time, under an advisory lock) and checks the master key. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<CloudStore> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    types: PG_TYPES as pg.CustomTypesConfig,
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    if (options.schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    await migrate(pool);
    const sealer = new KeySealer(options.masterKey);
    // Prove the master key opens the stored keys, so a wrong key refuses to start instead of
    // publishing garbage keys later (as the SQLite store does).
    const sample = await one(pool, 'SELECT member_id, token_key FROM members LIMIT 1');
    if (sample) sealer.open(sample.member_id as string, sample.token_key as string);
    await new PgRollupTables(pool).backfill();
    return new PostgresCloudStore(pool, sealer);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

async function migrate(pool: pg.Pool): Promise<void> {
  await pool.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
  for (let i = 0; i < PG_MIGRATIONS.length; i++) {
    await transaction(pool, async (c) => {
      // Nodes starting together: the second waits here, then sees the version applied.
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('storesense.migrations', 0))");
      const done = await c.query('SELECT 1 FROM schema_migrations WHERE version = $1', [i + 1]);
      if (done.rowCount === 0) {
        await c.query(PG_MIGRATIONS[i]!);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
      }
    });
  }
}

class PostgresCloudStore implements CloudStore {
  private readonly events: PgEventTables;
  private readonly members: PgMemberTables;
  private readonly alerts: PgAlertTables;
  private readonly offers: PgOfferTables;
  private readonly gateways: PgGatewayTables;
  private readonly fleet: PgFleetTables;
  private readonly rollups: PgRollupTables;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    sealer: KeySealer,
  ) {
    this.rollups = new PgRollupTables(pool);
    this.events = new PgEventTables(pool, this.rollups);
    this.members = new PgMemberTables(pool, sealer);
    this.alerts = new PgAlertTables(pool);
    this.offers = new PgOfferTables(pool);
    this.gateways = new PgGatewayTables(pool);
    this.fleet = new PgFleetTables(pool);
  }

  insertEvent(event: PresenceEvent, receivedAt: number): Promise<{ inserted: boolean; owner?: { siteId: string; gatewayId: string } }> {
    return this.events.insert(event, receivedAt);
  }
  markEventsProcessed(ids: readonly string[]): Promise<void> {
    return this.events.markProcessed(ids);
  }
  leaseUnprocessedEvents(q: UnprocessedLeaseQuery): Promise<PresenceEvent[]> {
    return this.events.leaseUnprocessed(q);
  }
  listEvents(q: EventQuery): Promise<StoredEvent[]> {
    return this.events.list(q);
  }
  listEventsInRange(q: EventRangeQuery): Promise<PresenceEvent[]> {
    return this.events.inRange(q);
  }

  upsertMembers(members: readonly MemberRecord[], at: number): Promise<{ inserted: number; updated: number }> {
    return this.members.upsertCsv(members, at);
  }
  getMember(memberId: string): Promise<MemberProfile | undefined> {
    return this.members.get(memberId);
  }
  listMembers(q: PageQuery): Promise<MemberProfile[]> {
    return this.members.list(q.limit, q.offset ?? 0);
  }
  listConsentingMemberKeys(): Promise<{ memberId: string; key: string }[]> {
    return this.members.keys();
  }
  putMember(member: MemberUpsert, at: number): Promise<{ created: boolean }> {
    return this.members.put(member, at);
  }
  searchMembers(q: MemberSearch): Promise<{ members: MemberWithActivity[]; total: number }> {
    return this.members.search(q);
  }
  memberActivity(memberId: string, siteId?: string): Promise<MemberActivity> {
    return this.members.activity(memberId, siteId);
  }
  listMemberEvents(memberId: string, q: { types?: readonly EventType[]; limit: number; siteId?: string | undefined }): Promise<PresenceEvent[]> {
    return this.members.events(memberId, q);
  }
  eraseMember(memberId: string, pseudonym: string): Promise<{ erased: boolean; events: number }> {
    return this.members.erase(memberId, pseudonym);
  }

  insertAlert(alert: NewAlert): Promise<StaffAlert> {
    return this.alerts.insert(alert);
  }
  raiseAlert(alert: NewAlert, ruleId: string, cooldownMs?: number): Promise<RaisedAlert> {
    return this.alerts.raise(alert, ruleId, cooldownMs);
  }
  listAlerts(q: AlertQuery): Promise<StaffAlert[]> {
    return this.alerts.list(q);
  }
  lastAlertEventAt(key: AlertKey): Promise<number | undefined> {
    return this.alerts.lastEventAt(key);
  }
  getAlert(id: string): Promise<StaffAlert | undefined> {
    return this.alerts.get(id);
  }
  updateAlertStatus(id: string, expect: AlertHandling, next: StaffAlert, handledBy: string | undefined): Promise<boolean> {
    return this.alerts.updateStatus(id, expect, next, handledBy);
  }
  listVisitAlertIds(siteId: string, visitId: string): Promise<string[]> {
    return this.alerts.visitAlertIds(siteId, visitId);
  }
  latestMemberAlertVisit(q: { siteId: string; storeId: string | undefined; memberId: string; since: number }): Promise<string | undefined> {
    return this.alerts.latestMemberVisit(q);
  }
  getAlertHandling(id: string): Promise<AlertHandling | undefined> {
    return this.alerts.handling(id);
  }

  upsertStaff(account: StaffAccount): Promise<void> {
    return this.alerts.upsertStaff(account);
  }
  getStaff(username: string): Promise<StaffAccount | undefined> {
    return this.alerts.getStaff(username);
  }
  listStaff(): Promise<StaffProfile[]> {
    return this.alerts.listStaff();
  }
  insertAuthToken(token: AuthToken): Promise<void> {
    return this.alerts.insertToken(token);
  }
  getAuthToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined> {
    return this.alerts.getToken(tokenHash, kind);
  }
  takeAuthToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined> {
    return this.alerts.takeToken(tokenHash, kind);
  }
  deleteAuthToken(tokenHash: string): Promise<void> {
    return this.alerts.deleteToken(tokenHash);
  }
  listAuthTokens(kind: AuthTokenKind): Promise<AuthToken[]> {
    return this.alerts.listTokens(kind);
  }
  deleteAuthTokensOfUser(username: string): Promise<number> {
    return this.alerts.deleteOfUser(username);
  }
  deleteExpiredAuthTokens(now: number): Promise<number> {
    return this.alerts.deleteExpired(now);
  }

  insertOffer(offer: Offer, limits?: OfferLimits): Promise<{ inserted: boolean; refused?: 'cap' | 'budget' }> {
    return this.offers.insertWithin(offer, limits);
  }
  hasOffer(memberId: string, siteId: string, day: string, kind: string): Promise<boolean> {
    return this.offers.has(memberId, siteId, day, kind);
  }
  listOffers(q: OfferQuery): Promise<Offer[]> {
    return this.offers.list(q);
  }
  getOffer(id: string): Promise<Offer | undefined> {
    return this.offers.get(id);
  }
  lastOfferIssuedAt(q: { memberId?: string | undefined; subject?: string | undefined; siteId: string; kind: string }): Promise<number | undefined> {
    return this.offers.lastIssued(q);
  }
  listOpenOffers(memberId: string, siteId: string, at: number): Promise<Offer[]> {
    return this.offers.open(memberId, siteId, at);
  }
  redeemOffer(id: string, r: { at: number; eventId: string; amount: number | undefined; currency: string | undefined }): Promise<boolean> {
    return this.offers.redeem(id, r);
  }
  expireOffers(now: number): Promise<number> {
    return this.offers.expire(now);
  }
  offersRedeemedBy(eventIds: readonly string[]): Promise<Map<string, string>> {
    return this.offers.redeemedBy(eventIds);
  }
  setOfferDelivery(id: string, outcome: 'delivered' | 'failed', at: number): Promise<void> {
    return this.offers.setDelivery(id, outcome, at);
  }
  enqueueDelivery(offerId: string, at: number): Promise<void> {
    return this.offers.enqueue(offerId, at);
  }
  dueDeliveries(now: number, limit: number): Promise<OfferDelivery[]> {
    return this.offers.due(now, limit);
  }
  updateDelivery(delivery: OfferDelivery): Promise<void> {
    return this.offers.updateDelivery(delivery);
  }
  leaseDeliveries(q: { now: number; limit: number; owner: string; leaseMs: number }): Promise<OfferDelivery[]> {
    return this.offers.lease(q);
  }
  settleDelivery(delivery: OfferDelivery, owner: string): Promise<boolean> {
    return this.offers.settle(delivery, owner);
  }
  getDelivery(offerId: string): Promise<OfferDelivery | undefined> {
    return this.offers.getDelivery(offerId);
  }
  listOffersIssued(siteId: string, from: number, to: number): Promise<Offer[]> {
    return this.offers.issuedBetween(siteId, from, to);
  }
  countOffersOnDay(q: {
    siteId: string;
    storeId: string | undefined;
    day: string;
    kind: string;
    memberId?: string | undefined;
    subject?: string | undefined;
  }): Promise<number> {
    return this.offers.count(q);
  }

  registerGateway(siteId: string, gatewayId: string, at: number): Promise<void> {
    return this.fleet.register(siteId, gatewayId, at);
  }
  setEnrolmentCode(siteId: string, gatewayId: string, codeHash: string, expiresAt: number): Promise<boolean> {
    return this.fleet.setCode(siteId, gatewayId, codeHash, expiresAt);
  }
  consumeEnrolmentCode(codeHash: string, now: number): Promise<{ siteId: string; gatewayId: string } | undefined> {
    return this.fleet.consumeCode(codeHash, now);
  }
  getGatewayRegistration(siteId: string, gatewayId: string): Promise<GatewayRegistration | undefined> {
    return this.fleet.get(siteId, gatewayId);
  }
  listGatewayRegistrations(siteId?: string): Promise<GatewayRegistration[]> {
    return this.fleet.list(siteId);
  }
  setGatewayConfig(siteId: string, gatewayId: string, config: PublishedGatewayConfig): Promise<void> {
    return this.fleet.setConfig(siteId, gatewayId, config);
  }
  recordGatewayConfigResult(siteId: string, gatewayId: string, result: GatewayConfigResult): Promise<void> {
    return this.fleet.setResult(siteId, gatewayId, result);
  }
  putModel(model: StoredModel & { body: Buffer }): Promise<boolean> {
    return this.fleet.putModel(model);
  }
  getModel(version: string): Promise<(StoredModel & { body: Buffer }) | undefined> {
    return this.fleet.getModel(version);
  }
  listModels(): Promise<StoredModel[]> {
    return this.fleet.listModels();
  }
  revokeGateway(siteId: string, gatewayId: string, at: number): Promise<boolean> {
    return this.fleet.revoke(siteId, gatewayId, at);
  }
  upsertGatewayCredential(c: GatewayCredential): Promise<void> {
    return this.gateways.upsertCredential(c);
  }
  getGatewayCredential(username: string): Promise<GatewayCredential | undefined> {
    return this.gateways.getCredential(username);
  }
  listGatewayCredentials(siteId?: string): Promise<GatewayCredential[]> {
    return this.gateways.listCredentials(siteId);
  }
  updateGatewayConn(siteId: string, gatewayId: string, conn: ConnState, receivedAt: number): Promise<void> {
    return this.gateways.updateConn(siteId, gatewayId, conn, receivedAt);
  }
  updateGatewayHealth(siteId: string, gatewayId: string, health: GatewayHealth, receivedAt: number): Promise<void> {
    return this.gateways.updateHealth(siteId, gatewayId, health, receivedAt);
  }
  listGateways(): Promise<GatewayStatus[]> {
    return this.gateways.list();
  }
  insertGap(gap: GapReport, receivedAt: number): Promise<{ inserted: boolean }> {
    return this.gateways.insertGap(gap, receivedAt);
  }
  listGaps(q: { siteId?: string; gatewayId?: string; since?: number; limit: number }): Promise<StoredGap[]> {
    return this.gateways.listGaps(q);
  }
  putOccupancy(siteId: string, gatewayId: string, report: OccupancyReport, receivedAt: number): Promise<void> {
    return this.gateways.putOccupancy(siteId, gatewayId, report, receivedAt);
  }
  occupancySeries(q: OccupancySeriesQuery): Promise<OccupancySeries> {
    return this.gateways.occupancySeries(q);
  }

  listRules(): Promise<Rule[]> {
    return this.gateways.listRules();
  }
  getRule(id: string): Promise<Rule | undefined> {
    return this.gateways.getRule(id);
  }
  putRule(rule: Rule, at: number): Promise<{ created: boolean }> {
    return this.gateways.putRule(rule, at);
  }
  deleteRule(id: string): Promise<boolean> {
    return this.gateways.deleteRule(id);
  }

  rollupFootfall(q: RollupRange): Promise<FootfallRollup> {
    return this.rollups.footfall(q);
  }

  rollupFloorFlows(q: RollupRange): Promise<FlowRollup[]> {
    return this.rollups.floorFlows(q);
  }

  rollupDwell(q: RollupRange & { storeId?: string | undefined; zoneId?: string | undefined }): Promise<DwellRollup> {
    return this.rollups.dwell(q);
  }

  rollupReturning(q: RollupRange): Promise<ReturningRollup> {
    return this.rollups.returning(q);
  }

  rollupHours(q: RollupRange & { storeId?: string | undefined }): Promise<RollupHourRow[]> {
    return this.rollups.hours(q);
  }

  async counts(): Promise<StoreCounts> {
    // Counters maintained with the rows (migration 4), one round trip; gateways are few and counted.
    const r = await one(
      this.pool,
      `SELECT (SELECT coalesce(sum(n), 0) FROM row_counts WHERE name = 'events') AS events, (SELECT coalesce(sum(n), 0) FROM row_counts WHERE name = 'alerts') AS alerts,
              (SELECT coalesce(sum(n), 0) FROM row_counts WHERE name = 'members') AS members, (SELECT coalesce(sum(n), 0) FROM row_counts WHERE name = 'offers') AS offers,
              (SELECT count(*) FROM (SELECT site_id, gateway_id FROM gateways UNION SELECT site_id, gateway_id FROM gateway_status) g) AS gateways`,
    );
    return r as unknown as StoreCounts;
  }

  async ping(): Promise<boolean> {
    try {
      return (await one(this.pool, 'SELECT 1 AS ok'))?.ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
