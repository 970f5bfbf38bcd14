import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { ConnState, EventType, GapReport, GatewayHealth, OccupancyReport, PresenceEvent, StaffAlert } from '@storesense/protocol';
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
import { MIGRATIONS } from './migrations.sqlite.js';
import { isPlainKey, KeySealer, loadMasterKey } from './key-sealer.js';
import { SqliteAlertTables } from './store.sqlite.alerts.js';
import { SqliteAuthTables } from './store.sqlite.auth.js';
import { SqliteGatewayTables } from './store.sqlite.gateways.js';
import { SqliteFleetTables } from './store.sqlite.fleet.js';
import { SqliteMemberTables } from './store.sqlite.members.js';
import { SqliteOfferTables } from './store.sqlite.offers.js';
import { SqliteRuleTables } from './store.sqlite.rules.js';
import type { Rule } from '../rules/rule.schema.js';
import { toProfile, type Row } from './store.sqlite.rows.js';
import { SqliteOccupancyTables } from './store.sqlite.occupancy.js';
import { SqliteRollupTables } from './store.sqlite.rollups.js';
import type { DwellRollup, FlowRollup, FootfallRollup, ReturningRollup, RollupHourRow, RollupRange } from './rollups.js';

/** The only import of better-sqlite3 in the cloud (architecture §7 habit 2). */
export interface SqliteStoreOptions {
  /** File path, e.g. `${dataDir}/cloud.db`; ':memory:' for throwaway use. */
  path: string;
  /**
   * 32 bytes sealing member token keys at rest (see key-sealer.ts). Default: kept in
   * `${path}.key` (created 0600), random for ':memory:'.
   */
  masterKey?: Buffer;
}

/** Rows per page of a range read (`listEventsInRange`). */
const RANGE_PAGE = 2_000;

/** Opens (creating and migrating when needed) the cloud database. */
export function openSqliteStore(options: SqliteStoreOptions): CloudStore {
  const db = new Database(options.path);
  // Set on every connection: a fresh connection stays synchronous=FULL/DELETE otherwise
  // (docs/dependencies.md). FULL, not NORMAL: an ack tells the gateway to delete its outbox row, so the
  // event must survive a power cut once acked; NORMAL in WAL mode may lose the last commits.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  const masterKey = options.masterKey ?? (options.path === ':memory:' ? randomBytes(32) : loadMasterKey({ filePath: `${options.path}.key` }));
  const sealer = new KeySealer(masterKey);
  try {
    sealStoredKeys(db, sealer);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteCloudStore(db, sealer);
}

/**
 * Seals keys stored in the clear (databases from before sealing) and proves the master key opens
 * the stored ones, so a wrong key refuses to start instead of publishing garbage keys later.
 */
function sealStoredKeys(db: Database.Database, sealer: KeySealer): void {
  const rows = db.prepare('SELECT member_id, token_key FROM members').all() as { member_id: string; token_key: string }[];
  const update = db.prepare('UPDATE members SET token_key = ? WHERE member_id = ?');
  db.transaction(() => {
    for (const r of rows) {
      if (isPlainKey(r.token_key)) update.run(sealer.seal(r.member_id, r.token_key.toLowerCase()), r.member_id);
    }
  })();
  const sample = rows.find((r) => !isPlainKey(r.token_key));
  if (sample) sealer.open(sample.member_id, sample.token_key);
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}

type InsertEventOutcome = { inserted: boolean; owner?: { siteId: string; gatewayId: string } };

interface PendingEvent {
  event: PresenceEvent;
  receivedAt: number;
  resolve(outcome: InsertEventOutcome): void;
  reject(err: unknown): void;
  /** Set inside the group transaction; an Error fails this event alone. */
  outcome?: InsertEventOutcome | Error;
}

/** Events in one group commit at most (a bigger burst commits in several). */
const MAX_GROUP_COMMIT = 1000;

class SqliteCloudStore implements CloudStore {
  private readonly stmt;
  private readonly auth: SqliteAuthTables;
  private readonly alerts: SqliteAlertTables;
  private readonly rules: SqliteRuleTables;
  private readonly members: SqliteMemberTables;
  private readonly offers: SqliteOfferTables;
  private readonly gateways: SqliteGatewayTables;
  private readonly fleet: SqliteFleetTables;
  private readonly occupancy: SqliteOccupancyTables;
  private readonly rollups: SqliteRollupTables;
  private readonly insertEventTx: (event: PresenceEvent, receivedAt: number) => boolean;
  private readonly commitEvents: (batch: PendingEvent[]) => void;
  private pending: PendingEvent[] = [];
  private flushScheduled = false;

  constructor(
    private readonly db: Database.Database,
    private readonly sealer: KeySealer,
  ) {
    this.auth = new SqliteAuthTables(db);
    this.alerts = new SqliteAlertTables(db);
    this.rules = new SqliteRuleTables(db);
    this.members = new SqliteMemberTables(db, sealer);
    this.offers = new SqliteOfferTables(db);
    this.gateways = new SqliteGatewayTables(db);
    this.fleet = new SqliteFleetTables(db);
    this.occupancy = new SqliteOccupancyTables(db);
    this.rollups = new SqliteRollupTables(db);
    // Prepared once (better-sqlite3 docs); dynamic filters use the NULL-or-match idiom instead of
    // building SQL strings per query.
    this.stmt = {
      insertEvent: db.prepare(
        `INSERT OR IGNORE INTO events (id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body)
         VALUES (@id, @siteId, @gatewayId, @seq, @type, @at, @receivedAt, @storeId, @memberId, @body)`,
      ),
      eventOwner: db.prepare('SELECT site_id, gateway_id FROM events WHERE id = ?'),
      listEvents: db.prepare(
        `SELECT body, received_at FROM events
         WHERE (@type IS NULL OR type = @type) AND (@since IS NULL OR at >= @since)
         ORDER BY at DESC, id DESC LIMIT @limit`,
      ),
      // One site: its (site_id, at) index, so a site without events answers at once instead of
      // walking the whole time index (the NULL-or-match idiom hides the site filter from the planner).
      listSiteEvents: db.prepare(
        `SELECT body, received_at FROM events INDEXED BY events_site_at
         WHERE site_id = @siteId AND (@type IS NULL OR type = @type) AND (@since IS NULL OR at >= @since)
         ORDER BY at DESC, id DESC LIMIT @limit`,
      ),
      // json_each lets one prepared statement take any set of types (bound as a JSON array).
      eventsInRange: db.prepare(
        `SELECT at, id, body FROM events
         WHERE site_id = @siteId AND at >= @start AND at < @to AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
           AND (at > @start OR id > @afterId)
         ORDER BY at, id LIMIT ${RANGE_PAGE}`,
      ),
      getMember: db.prepare('SELECT * FROM members WHERE member_id = ?'),
      listMembers: db.prepare('SELECT * FROM members ORDER BY member_id LIMIT @limit OFFSET @offset'),
      memberKeys: db.prepare('SELECT member_id, token_key FROM members WHERE consent = 1 ORDER BY member_id'),
      // Counters kept by triggers (migration 11); gateways are few and counted.
      counts: db.prepare(
        `SELECT (SELECT n FROM row_counts WHERE name = 'events') AS events, (SELECT n FROM row_counts WHERE name = 'alerts') AS alerts,
                (SELECT n FROM row_counts WHERE name = 'members') AS members, (SELECT n FROM row_counts WHERE name = 'offers') AS offers,
                (SELECT count(*) FROM (SELECT site_id, gateway_id FROM gateways UNION SELECT site_id, gateway_id FROM gateway_status)) AS gateways`,
      ),
      ping: db.prepare('SELECT 1 AS ok'),
      markProcessed: db.prepare('DELETE FROM events_unprocessed WHERE id IN (SELECT value FROM json_each(?))'),
      leaseUnprocessed: db.prepare(
        `UPDATE events_unprocessed SET lease_owner = @owner, lease_until = @until, attempts = attempts + 1
         WHERE id IN (SELECT id FROM events_unprocessed WHERE received_at < @receivedBefore AND attempts < @maxAttempts
           AND (lease_until IS NULL OR lease_until <= @now) ORDER BY received_at, id LIMIT @limit)
         RETURNING id`,
      ),
      eventBodies: db.prepare('SELECT id, body FROM events WHERE id IN (SELECT value FROM json_each(?))'),
    };
    // The event and its rollups commit together (decision 120); a re-sent id changes neither.
    this.insertEventTx = db.transaction((event: PresenceEvent, receivedAt: number): boolean => {
      const info = this.stmt.insertEvent.run({
        id: event.id,
        siteId: event.siteId,
        gatewayId: event.gatewayId,
        seq: event.seq,
        type: event.type,
        at: event.at,
        receivedAt,
        storeId: event.storeId ?? null,
        memberId: event.subject.memberId ?? null,
        body: JSON.stringify(event),
      });
      if (info.changes !== 1) return false;
      this.rollups.apply(event);
      return true;
    });
    this.commitEvents = db.transaction((batch: PendingEvent[]) => {
      for (const p of batch) {
        try {
          // Nested in this transaction, insertEventTx is a savepoint: a failure undoes this event only.
          if (this.insertEventTx(p.event, p.receivedAt)) p.outcome = { inserted: true };
          else {
            const owner = this.stmt.eventOwner.get(p.event.id) as { site_id: string; gateway_id: string } | undefined;
            p.outcome = { inserted: false, ...(owner ? { owner: { siteId: owner.site_id, gatewayId: owner.gateway_id } } : {}) };
          }
        } catch (err) {
          p.outcome = err instanceof Error ? err : new Error(String(err));
        }
      }
    });
    this.rollups.backfill();
  }

  /**
   * Group commit (decision 180): events arriving in one turn of the event loop are stored in one
   * transaction, so one fsync (synchronous=FULL) covers all of them instead of one each. Each event
   * is its own savepoint, so a bad one fails alone; each caller resolves only after the COMMIT that
   * holds its event, so the ack that follows is still a promise of durability.
   */
  insertEvent(event: PresenceEvent, receivedAt: number): Promise<InsertEventOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, receivedAt, resolve, reject });
      if (this.pending.length >= MAX_GROUP_COMMIT) this.flushEvents();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushEvents());
      }
    });
  }

  private flushEvents(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      if (!this.db.open) throw new Error('the cloud store is closed');
      this.commitEvents(batch);
    } catch (err) {
      // Nothing of the batch was committed: every caller fails (the gateway resends, unacked).
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) {
      if (p.outcome instanceof Error) p.reject(p.outcome);
      else if (p.outcome) p.resolve(p.outcome);
    }
  }

  async markEventsProcessed(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) this.stmt.markProcessed.run(JSON.stringify(ids));
  }

  async leaseUnprocessedEvents(q: UnprocessedLeaseQuery): Promise<PresenceEvent[]> {
    const leased = (
      this.stmt.leaseUnprocessed.all({
        owner: q.owner,
        until: q.now + q.leaseMs,
        now: q.now,
        receivedBefore: q.receivedBefore,
        maxAttempts: q.maxAttempts,
        limit: q.limit,
      }) as { id: string }[]
    ).map((r) => r.id);
    if (leased.length === 0) return [];
    const bodies = new Map(
      (this.stmt.eventBodies.all(JSON.stringify(leased)) as Row[]).map((r) => [r.id as string, JSON.parse(r.body as string) as PresenceEvent]),
    );
    // An event deleted since (retention) has nothing left to process.
    const gone = leased.filter((id) => !bodies.has(id));
    if (gone.length > 0) this.stmt.markProcessed.run(JSON.stringify(gone));
    return [...bodies.values()].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  }

  async listEvents(q: EventQuery): Promise<StoredEvent[]> {
    const params = { type: q.type ?? null, since: q.since ?? null, limit: q.limit };
    const rows = (q.siteId !== undefined ? this.stmt.listSiteEvents.all({ ...params, siteId: q.siteId }) : this.stmt.listEvents.all(params)) as Row[];
    return rows.map((r) => ({ event: JSON.parse(r.body as string) as PresenceEvent, receivedAt: r.received_at as number }));
  }

  async listEventsInRange(q: EventRangeQuery): Promise<PresenceEvent[]> {
    // In pages, yielding to the event loop between them, so a long range (the raw analytics path)
    // never holds ingest up for more than one page (decision 123).
    const out: PresenceEvent[] = [];
    // Keyset pages: each starts at the last (at, id) read, so a page costs the same however far in.
    const params = { siteId: q.siteId, start: q.from, to: q.to, types: q.types ? JSON.stringify(q.types) : null, afterId: '' };
    for (;;) {
      const rows = this.stmt.eventsInRange.all(params) as Row[];
      for (const r of rows) out.push(JSON.parse(r.body as string) as PresenceEvent);
      if (rows.length < RANGE_PAGE) return out;
      const last = rows[rows.length - 1]!;
      params.start = last.at as number;
      params.afterId = last.id as string;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async upsertMembers(members: readonly MemberRecord[], at: number): Promise<{ inserted: number; updated: number }> {
    return this.members.upsertCsv(members, at);
  }

  async putMember(member: MemberUpsert, at: number): Promise<{ created: boolean }> {
    return this.members.put(member, at);
  }

  async searchMembers(q: MemberSearch): Promise<{ members: MemberWithActivity[]; total: number }> {
    return this.members.search(q);
  }

  async memberActivity(memberId: string, siteId?: string): Promise<MemberActivity> {
    return this.members.activity(memberId, siteId);
  }

  async listMemberEvents(memberId: string, q: { types?: readonly EventType[]; limit: number; siteId?: string | undefined }): Promise<PresenceEvent[]> {
    return this.members.events(memberId, q);
  }

  async eraseMember(memberId: string, pseudonym: string): Promise<{ erased: boolean; events: number }> {
    return this.db.transaction(() => {
      const r = this.members.erase(memberId, pseudonym);
      this.rollups.eraseMember(memberId, pseudonym);
      return r;
    })();
  }

  async getMember(memberId: string): Promise<MemberProfile | undefined> {
    const row = this.stmt.getMember.get(memberId) as Row | undefined;
    return row ? toProfile(row) : undefined;
  }

  async listMembers(q: PageQuery): Promise<MemberProfile[]> {
    return (this.stmt.listMembers.all({ limit: q.limit, offset: q.offset ?? 0 }) as Row[]).map(toProfile);
  }

  async listConsentingMemberKeys(): Promise<{ memberId: string; key: string }[]> {
    return (this.stmt.memberKeys.all() as Row[]).map((r) => {
      const memberId = r.member_id as string;
      return { memberId, key: this.sealer.open(memberId, r.token_key as string) };
    });
  }

  async insertAlert(alert: NewAlert): Promise<StaffAlert> {
    return this.alerts.insertAlert(alert);
  }

  async raiseAlert(alert: NewAlert, ruleId: string, cooldownMs?: number): Promise<RaisedAlert> {
    return this.alerts.raiseAlert(alert, ruleId, cooldownMs);
  }

  async listAlerts(q: AlertQuery): Promise<StaffAlert[]> {
    return this.alerts.listAlerts(q);
  }

  async getAlert(id: string): Promise<StaffAlert | undefined> {
    return this.alerts.getAlert(id);
  }

  async listVisitAlertIds(siteId: string, visitId: string): Promise<string[]> {
    return this.alerts.visitAlertIds(siteId, visitId);
  }

  async latestMemberAlertVisit(q: { siteId: string; storeId: string | undefined; memberId: string; since: number }): Promise<string | undefined> {
    return this.alerts.latestMemberVisit(q);
  }

  async getAlertHandling(id: string): Promise<AlertHandling | undefined> {
    return this.alerts.getAlertHandling(id);
  }

  async updateAlertStatus(id: string, expect: AlertHandling, next: StaffAlert, handledBy: string | undefined): Promise<boolean> {
    return this.alerts.updateAlertStatus(id, expect, next, handledBy);
  }

  async lastAlertEventAt(key: AlertKey): Promise<number | undefined> {
    return this.alerts.lastAlertEventAt(key);
  }

  async upsertStaff(account: StaffAccount): Promise<void> {
    this.auth.upsertStaff(account);
  }

  async getStaff(username: string): Promise<StaffAccount | undefined> {
    return this.auth.getStaff(username);
  }

  async listStaff(): Promise<StaffProfile[]> {
    return this.auth.listStaff();
  }

  async insertAuthToken(token: AuthToken): Promise<void> {
    this.auth.insertToken(token);
  }

  async getAuthToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined> {
    return this.auth.getToken(tokenHash, kind);
  }

  async takeAuthToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined> {
    return this.auth.takeToken(tokenHash, kind);
  }

  async deleteAuthToken(tokenHash: string): Promise<void> {
    this.auth.deleteToken(tokenHash);
  }

  async listAuthTokens(kind: AuthTokenKind): Promise<AuthToken[]> {
    return this.auth.listTokens(kind);
  }

  async deleteAuthTokensOfUser(username: string): Promise<number> {
    return this.auth.deleteOfUser(username);
  }

  async deleteExpiredAuthTokens(now: number): Promise<number> {
    return this.auth.deleteExpired(now);
  }

  async insertOffer(offer: Offer, limits?: OfferLimits): Promise<{ inserted: boolean; refused?: 'cap' | 'budget' }> {
    return this.offers.insertWithin(offer, limits);
  }

  async hasOffer(memberId: string, siteId: string, day: string, kind: string): Promise<boolean> {
    return this.offers.has(memberId, siteId, day, kind);
  }

  async listOffers(q: OfferQuery): Promise<Offer[]> {
    return this.offers.list(q);
  }

  async getOffer(id: string): Promise<Offer | undefined> {
    return this.offers.get(id);
  }

  async listOffersIssued(siteId: string, from: number, to: number): Promise<Offer[]> {
    return this.offers.issuedBetween(siteId, from, to);
  }

  async lastOfferIssuedAt(q: { memberId?: string | undefined; subject?: string | undefined; siteId: string; kind: string }): Promise<number | undefined> {
    return this.offers.lastIssued(q);
  }

  async listOpenOffers(memberId: string, siteId: string, at: number): Promise<Offer[]> {
    return this.offers.open(memberId, siteId, at);
  }

  async redeemOffer(id: string, r: { at: number; eventId: string; amount: number | undefined; currency: string | undefined }): Promise<boolean> {
    return this.offers.redeem(id, r);
  }

  async expireOffers(now: number): Promise<number> {
    return this.offers.expire(now);
  }

  async offersRedeemedBy(eventIds: readonly string[]): Promise<Map<string, string>> {
    return this.offers.redeemedBy(eventIds);
  }

  async setOfferDelivery(id: string, outcome: 'delivered' | 'failed', at: number): Promise<void> {
    this.offers.setDelivery(id, outcome, at);
  }

  async enqueueDelivery(offerId: string, at: number): Promise<void> {
    this.offers.enqueue(offerId, at);
  }

  async dueDeliveries(now: number, limit: number): Promise<OfferDelivery[]> {
    return this.offers.due(now, limit);
  }

  async updateDelivery(delivery: OfferDelivery): Promise<void> {
    this.offers.updateDelivery(delivery);
  }

  async leaseDeliveries(q: { now: number; limit: number; owner: string; leaseMs: number }): Promise<OfferDelivery[]> {
    return this.offers.lease(q);
  }

  async settleDelivery(delivery: OfferDelivery, owner: string): Promise<boolean> {
    return this.offers.settle(delivery, owner);
  }

  async getDelivery(offerId: string): Promise<OfferDelivery | undefined> {
    return this.offers.getDelivery(offerId);
  }

  async registerGateway(siteId: string, gatewayId: string, at: number): Promise<void> {
    this.fleet.register(siteId, gatewayId, at);
  }

  async setEnrolmentCode(siteId: string, gatewayId: string, codeHash: string, expiresAt: number): Promise<boolean> {
    return this.fleet.setCode(siteId, gatewayId, codeHash, expiresAt);
  }

  async consumeEnrolmentCode(codeHash: string, now: number): Promise<{ siteId: string; gatewayId: string } | undefined> {
    return this.fleet.consumeCode(codeHash, now);
  }

  async getGatewayRegistration(siteId: string, gatewayId: string): Promise<GatewayRegistration | undefined> {
    return this.fleet.get(siteId, gatewayId);
  }

  async listGatewayRegistrations(siteId?: string): Promise<GatewayRegistration[]> {
    return this.fleet.list(siteId);
  }

  async setGatewayConfig(siteId: string, gatewayId: string, config: PublishedGatewayConfig): Promise<void> {
    this.fleet.setConfig(siteId, gatewayId, config);
  }

  async recordGatewayConfigResult(siteId: string, gatewayId: string, result: GatewayConfigResult): Promise<void> {
    this.fleet.setResult(siteId, gatewayId, result);
  }

  async putModel(model: StoredModel & { body: Buffer }): Promise<boolean> {
    return this.fleet.putModel(model);
  }
  async getModel(version: string): Promise<(StoredModel & { body: Buffer }) | undefined> {
    return this.fleet.getModel(version);
  }
  async listModels(): Promise<StoredModel[]> {
    return this.fleet.listModels();
  }
  async revokeGateway(siteId: string, gatewayId: string, at: number): Promise<boolean> {
    return this.fleet.revoke(siteId, gatewayId, at);
  }

  async upsertGatewayCredential(c: GatewayCredential): Promise<void> {
    this.gateways.upsertCredential(c);
  }

  async getGatewayCredential(username: string): Promise<GatewayCredential | undefined> {
    return this.gateways.getCredential(username);
  }

  async listGatewayCredentials(siteId?: string): Promise<GatewayCredential[]> {
    return this.gateways.listCredentials(siteId);
  }

  async updateGatewayConn(siteId: string, gatewayId: string, conn: ConnState, receivedAt: number): Promise<void> {
    this.gateways.updateConn(siteId, gatewayId, conn, receivedAt);
  }

  async insertGap(gap: GapReport, receivedAt: number): Promise<{ inserted: boolean }> {
    return this.gateways.insertGap(gap, receivedAt);
  }

  async listGaps(q: { siteId?: string; gatewayId?: string; since?: number; limit: number }): Promise<StoredGap[]> {
    return this.gateways.listGaps(q);
  }

  async updateGatewayHealth(siteId: string, gatewayId: string, health: GatewayHealth, receivedAt: number): Promise<void> {
    this.gateways.updateHealth(siteId, gatewayId, health, receivedAt);
  }

  async listGateways(): Promise<GatewayStatus[]> {
    return this.gateways.list();
  }

  async putOccupancy(siteId: string, gatewayId: string, report: OccupancyReport, receivedAt: number): Promise<void> {
    this.occupancy.put(siteId, gatewayId, report, receivedAt);
  }

  async occupancySeries(q: OccupancySeriesQuery): Promise<OccupancySeries> {
    return this.occupancy.series(q);
  }

  async countOffersOnDay(q: {
    siteId: string;
    storeId: string | undefined;
    day: string;
    kind: string;
    memberId?: string | undefined;
    subject?: string | undefined;
  }): Promise<number> {
    return this.offers.count(q);
  }

  async listRules(): Promise<Rule[]> {
    return this.rules.list();
  }

  async getRule(id: string): Promise<Rule | undefined> {
    return this.rules.get(id);
  }

  async putRule(rule: Rule, at: number): Promise<{ created: boolean }> {
    return this.rules.put(rule, at);
  }

  async deleteRule(id: string): Promise<boolean> {
    return this.rules.delete(id);
  }

  async rollupFootfall(q: RollupRange): Promise<FootfallRollup> {
    return this.rollups.footfall(q);
  }

  async rollupFloorFlows(q: RollupRange): Promise<FlowRollup[]> {
    return this.rollups.floorFlows(q);
  }

  async rollupDwell(q: RollupRange & { storeId?: string | undefined; zoneId?: string | undefined }): Promise<DwellRollup> {
    return await this.rollups.dwell(q);
  }

  async rollupReturning(q: RollupRange): Promise<ReturningRollup> {
    return this.rollups.returning(q);
  }

  async rollupHours(q: RollupRange & { storeId?: string | undefined }): Promise<RollupHourRow[]> {
    return this.rollups.hours(q);
  }

  async counts(): Promise<StoreCounts> {
    return this.stmt.counts.get() as StoreCounts;
  }

  async ping(): Promise<boolean> {
    try {
      return (this.stmt.ping.get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.flushEvents();
    if (this.db.open) this.db.close();
  }
}
