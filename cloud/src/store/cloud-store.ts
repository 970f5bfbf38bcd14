import type {
  ConnState,
  EventType,
  GapReport,
  GatewayHealth,
  OccupancyHourReport,
  OccupancyMinuteReport,
  OccupancyReport,
  PresenceEvent,
  StaffAlert,
} from '@storesense/protocol';
import type { Rule } from '../rules/rule.schema.js';
import type { DwellRollup, FlowRollup, FootfallRollup, ReturningRollup, RollupHourRow, RollupRange } from './rollups.js';

/**
 * Persistence of the cloud behind one interface (architecture §5), so PostgreSQL can follow SQLite:
 * every method is async even where SQLite answers synchronously. One contract suite
 * (`cloud-store.contract.ts`) runs against each implementation.
 * @example
 * const store = openSqliteStore({ path: `${dataDir}/cloud.db` });
 * const { inserted } = await store.insertEvent(event, clock.now());
 */
export interface CloudStore {
  // events: the unique key is the event id (the gateway's idempotency key)
  /**
   * Stores an event once by id. Not inserted: `owner` names who stored that id first, so ingest can
   * tell a re-sent event (same gateway) from an id reused by another gateway.
   */
  insertEvent(event: PresenceEvent, receivedAt: number): Promise<{ inserted: boolean; owner?: { siteId: string; gatewayId: string } }>;
  listEvents(query: EventQuery): Promise<StoredEvent[]>;
  /**
   * Every stored event starts unprocessed (in the statement that stores it); ingest marks it
   * processed once its rules, alerts and offers ran. A node killed in between leaves it behind.
   */
  markEventsProcessed(ids: readonly string[]): Promise<void>;
  /**
   * Leases to `owner` until `now + leaseMs` up to `limit` unprocessed events received before
   * `receivedBefore` and tried fewer than `maxAttempts` times (each lease counts one attempt),
   * oldest first, so the sweeper of any node runs their rules again (decision 170). Concurrent
   * callers never lease one event at once; a lease whose time has passed is taken over.
   */
  leaseUnprocessedEvents(q: UnprocessedLeaseQuery): Promise<PresenceEvent[]>;
  /** A site's events with `from <= at < to`, oldest first, optionally of some types only (analytics input; no limit). */
  listEventsInRange(query: EventRangeQuery): Promise<PresenceEvent[]>;

  // members
  upsertMembers(members: readonly MemberRecord[], at: number): Promise<{ inserted: number; updated: number }>;
  getMember(memberId: string): Promise<MemberProfile | undefined>;
  listMembers(query: PageQuery): Promise<MemberProfile[]>;
  /** Token keys of consenting members only; the caller must never log or serve them over HTTP. */
  listConsentingMemberKeys(): Promise<{ memberId: string; key: string }[]>;
  /** Creates or replaces a whole profile; a missing `tokenKey` keeps the stored one (or a fresh random one). */
  putMember(member: MemberUpsert, at: number): Promise<{ created: boolean }>;
  /** Profiles with their activity, filtered and paged, ordered by member id; `total` ignores the page. */
  searchMembers(query: MemberSearch): Promise<{ members: MemberWithActivity[]; total: number }>;
  /** Visits, last sighting and spend of one member, from the events (of one site only, when given). */
  memberActivity(memberId: string, siteId?: string): Promise<MemberActivity>;
  /** A member's events, newest first, optionally of some types (and one site) only. */
  listMemberEvents(memberId: string, query: { types?: readonly EventType[]; limit: number; siteId?: string | undefined }): Promise<PresenceEvent[]>;
  /**
   * Erasure: deletes the profile and its token key, and replaces the member id by `pseudonym` in
   * events, alerts (names and tags blanked) and offers; pending offer deliveries are dropped.
   */
  eraseMember(memberId: string, pseudonym: string): Promise<{ erased: boolean; events: number }>;

  // staff alerts: `seq` is assigned by the store, increasing
  insertAlert(alert: NewAlert): Promise<StaffAlert>;
  /**
   * Stores the alert a rule raised for an event, once per (event, rule) by a unique constraint:
   * raising it again (another node, a retry with a new alert id) stores nothing and returns the
   * stored alert with `inserted: false`. Seqs become visible in seq order (a reader that saw seq n
   * never later finds a new alert below n), so a socket resuming from its last seq on any node
   * misses nothing (decision 100). With `cooldownMs` > 0, the rules' cooldown is checked again as the
   * alert is stored: when the newest alert of this member, site, store and event type (raised for
   * another event: several rules may alert for one event) has an event time less than `cooldownMs` from this one, nothing is stored and that alert is returned with
   * `cooldown: true` (two nodes evaluating two events of one shopper at once alert once).
   */
  raiseAlert(alert: NewAlert, ruleId: string, cooldownMs?: number): Promise<RaisedAlert>;
  listAlerts(query: AlertQuery): Promise<StaffAlert[]>;
  /** Event time of the newest alert for this member, site, store and event type (cooldowns). */
  lastAlertEventAt(key: AlertKey): Promise<number | undefined>;
  getAlert(id: string): Promise<StaffAlert | undefined>;
  /** Ids of the alerts raised for a visit, in seq order (visit following on any node, decision 171). */
  listVisitAlertIds(siteId: string, visitId: string): Promise<string[]>;
  /**
   * The visit of a member's latest alert at a store (by event time, `storeId` undefined: no store)
   * raised from an event at or after `since`; a till's purchase carries its own visit id.
   */
  latestMemberAlertVisit(q: { siteId: string; storeId: string | undefined; memberId: string; since: number }): Promise<string | undefined>;
  /**
   * Compare-and-set of an alert's status: writes `next` only while the stored status and handler
   * are still `expect` (claims race between phones). False when someone else got there first.
   */
  updateAlertStatus(id: string, expect: AlertHandling, next: StaffAlert, handledBy: string | undefined): Promise<boolean>;
  /** Who handles an alert now (the username; `claimedBy` in the alert is the display name). */
  getAlertHandling(id: string): Promise<AlertHandling | undefined>;

  // staff accounts and auth tokens (sessions, API tokens, socket tickets), hashed
  upsertStaff(account: StaffAccount): Promise<void>;
  /** With the password hash: for the auth service only, never served. */
  getStaff(username: string): Promise<StaffAccount | undefined>;
  listStaff(): Promise<StaffProfile[]>;
  insertAuthToken(token: AuthToken): Promise<void>;
  getAuthToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined>;
  /** Deletes and returns in one step, so a single-use ticket can be redeemed once only. */
  takeAuthToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined>;
  deleteAuthToken(tokenHash: string): Promise<void>;
  /** Tokens of one kind, oldest first (for listing API tokens; hashes only, never tokens). */
  listAuthTokens(kind: AuthTokenKind): Promise<AuthToken[]>;
  /** Signs a person out everywhere (sessions and tickets), e.g. after a password change. */
  deleteAuthTokensOfUser(username: string): Promise<number>;
  deleteExpiredAuthTokens(now: number): Promise<number>;

  // offers: one per (event, rule, kind); caps and budgets are decided by the rules from counts
  /**
   * Stores an offer. With `limits`, the cap (per member, or per prospect subject, site and day)
   * and the store's daily budget are re-checked in the same transaction as the insert, so offers
   * decided concurrently for one store cannot overspend its budget.
   */
  insertOffer(offer: Offer, limits?: OfferLimits): Promise<{ inserted: boolean; refused?: 'cap' | 'budget' }>;
  hasOffer(memberId: string, siteId: string, day: string, kind: string): Promise<boolean>;
  listOffers(query: OfferQuery): Promise<Offer[]>;
  getOffer(id: string): Promise<Offer | undefined>;
  /** Issue time of the newest offer of a kind for this member (or prospect subject) at a site (offer cooldowns). */
  lastOfferIssuedAt(q: { memberId?: string | undefined; subject?: string | undefined; siteId: string; kind: string }): Promise<number | undefined>;
  /** A member's offers at a site still open (issued, delivered or failed) at `at`: `issuedAt <= at < expiresAt`. */
  listOpenOffers(memberId: string, siteId: string, at: number): Promise<Offer[]>;
  /** Compare-and-set to `redeemed` while the offer is still open; false when it no longer is. */
  redeemOffer(id: string, redemption: { at: number; eventId: string; amount: number | undefined; currency: string | undefined }): Promise<boolean>;
  /** Marks open offers past their expiry `expired`; returns how many. */
  expireOffers(now: number): Promise<number>;
  /** Offer ids redeemed by these (purchase) event ids. */
  offersRedeemedBy(eventIds: readonly string[]): Promise<Map<string, string>>;
  /** Delivery bookkeeping: `delivered` sets deliveredAt (and status, unless already redeemed or expired); `failed` likewise. */
  setOfferDelivery(id: string, outcome: 'delivered' | 'failed', at: number): Promise<void>;

  // offer deliveries: the durable queue of webhook pushes
  enqueueDelivery(offerId: string, at: number): Promise<void>;
  /** Pending deliveries due at `now`, oldest due first. */
  dueDeliveries(now: number, limit: number): Promise<OfferDelivery[]>;
  updateDelivery(delivery: OfferDelivery): Promise<void>;
  /**
   * Leases up to `limit` pending deliveries due at `now` to `owner` until `now + leaseMs`, oldest due
   * first, passing over those another worker holds (PostgreSQL: `FOR UPDATE SKIP LOCKED`). Two
   * workers (nodes) never hold one delivery at once; a lease whose time has passed (its node
   * crashed) is free again (decision 101).
   */
  leaseDeliveries(q: { now: number; limit: number; owner: string; leaseMs: number }): Promise<OfferDelivery[]>;
  /** `updateDelivery` by a lease holder: written (and the lease ended) only while `owner` still holds it; false when it was lost. */
  settleDelivery(delivery: OfferDelivery, owner: string): Promise<boolean>;
  getDelivery(offerId: string): Promise<OfferDelivery | undefined>;
  /** A site's offers issued with `from <= issuedAt < to`, oldest first (analytics input). */
  listOffersIssued(siteId: string, from: number, to: number): Promise<Offer[]>;

  // gateways: credentials (provisioning) and status (from retained state topics)
  upsertGatewayCredential(credential: GatewayCredential): Promise<void>;
  getGatewayCredential(username: string): Promise<GatewayCredential | undefined>;
  listGatewayCredentials(siteId?: string): Promise<GatewayCredential[]>;
  updateGatewayConn(siteId: string, gatewayId: string, conn: ConnState, receivedAt: number): Promise<void>;
  updateGatewayHealth(siteId: string, gatewayId: string, health: GatewayHealth, receivedAt: number): Promise<void>;
  listGateways(): Promise<GatewayStatus[]>;

  // fleet (decision 130): registered gateways, one-time enrolment codes (hashed), remote config
  /** Registers a gateway (again): clears a revocation; keeps its config history. */
  registerGateway(siteId: string, gatewayId: string, at: number): Promise<void>;
  /** Sets the one pending enrolment code (its sha256) of a registered, unrevoked gateway; false otherwise. */
  setEnrolmentCode(siteId: string, gatewayId: string, codeHash: string, expiresAt: number): Promise<boolean>;
  /** Takes a code once (atomic): the gateway it was for when unexpired and not revoked, else undefined. */
  consumeEnrolmentCode(codeHash: string, now: number): Promise<{ siteId: string; gatewayId: string } | undefined>;
  getGatewayRegistration(siteId: string, gatewayId: string): Promise<GatewayRegistration | undefined>;
  listGatewayRegistrations(siteId?: string): Promise<GatewayRegistration[]>;
  /** Stores the config last published to the gateway (and the overrides it was rendered with). */
  setGatewayConfig(siteId: string, gatewayId: string, config: PublishedGatewayConfig): Promise<void>;
  /** Records the gateway's answer to a config (applied, unchanged or refused). */
  recordGatewayConfigResult(siteId: string, gatewayId: string, result: GatewayConfigResult): Promise<void>;
  /** Revokes: the credential is deleted and any pending code dropped; false when not registered. */
  revokeGateway(siteId: string, gatewayId: string, at: number): Promise<boolean>;
  /** Stores a model under a new version; false when the version exists (versions are immutable). */
  putModel(model: StoredModel & { body: Buffer }): Promise<boolean>;
  /** A model with its bytes. */
  getModel(version: string): Promise<(StoredModel & { body: Buffer }) | undefined>;
  /** Models without their bytes, newest first. */
  listModels(): Promise<StoredModel[]>;

  // gaps: events a gateway's outbox dropped undelivered, reported by the gateway (GapReport)
  /** Stores a gap record once by id; a re-sent one is `inserted: false` (it is acked again). */
  insertGap(gap: GapReport, receivedAt: number): Promise<{ inserted: boolean }>;
  /** Gap records, newest first, of one site (and gateway) or all, received at or after `since`. */
  listGaps(q: { siteId?: string; gatewayId?: string; since?: number; limit: number }): Promise<StoredGap[]>;

  // occupancy: a store's WiFi occupancy counts per minute and hour (counts only; a period published again replaces the stored one)
  putOccupancy(siteId: string, gatewayId: string, report: OccupancyReport, receivedAt: number): Promise<void>;
  /** Minutes and hours with `from <= start < to`, oldest first. */
  occupancySeries(q: OccupancySeriesQuery): Promise<OccupancySeries>;

  /** Offers of a kind issued at a site (and store, member or subject, when given) on a site-local day (budgets, caps). */
  countOffersOnDay(q: {
    siteId: string;
    storeId: string | undefined;
    day: string;
    kind: string;
    memberId?: string | undefined;
    subject?: string | undefined;
  }): Promise<number>;

  // rules (declarative, edited through the API): listed in insertion order
  listRules(): Promise<Rule[]>;
  getRule(id: string): Promise<Rule | undefined>;
  /** Creates or replaces (a replaced rule keeps its place in the order). */
  putRule(rule: Rule, at: number): Promise<{ created: boolean }>;
  deleteRule(id: string): Promise<boolean>;

  // analytics rollups (decision 120), kept in the transaction that stores each new event
  /** Distinct visits per store and UTC hour, plus the hours of visits seen in several hours; `from`/`to` on UTC hours. */
  rollupFootfall(q: RollupRange): Promise<FootfallRollup>;
  /** Floor changes per store, from and to floor; `from`/`to` on UTC hours. */
  rollupFloorFlows(q: RollupRange): Promise<FlowRollup[]>;
  /** Completed dwells (count, nearest-rank p50/p90, display buckets) overall, per store and per zone; any range. */
  rollupDwell(q: RollupRange & { storeId?: string | undefined; zoneId?: string | undefined }): Promise<DwellRollup>;
  /** Arrivals, distinct and repeat subjects and members; any range. */
  rollupReturning(q: RollupRange): Promise<ReturningRollup>;
  /** The hourly rows (per store, zone, floor and UTC hour), oldest first: counts per type, dwell sums, funnel visits. */
  rollupHours(q: RollupRange & { storeId?: string | undefined }): Promise<RollupHourRow[]>;

  /** Row counts for the health route, from counters maintained with the rows (no table scan). */
  counts(): Promise<StoreCounts>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface PageQuery {
  limit: number;
  offset?: number;
}

export interface EventQuery {
  siteId?: string;
  type?: EventType;
  /** Event time lower bound (ms, inclusive). */
  since?: number;
  limit: number;
}

export interface EventRangeQuery {
  siteId: string;
  /** Event time bounds (ms): `from` inclusive, `to` exclusive. */
  from: number;
  to: number;
  types?: readonly EventType[];
}

export interface StoredEvent {
  event: PresenceEvent;
  receivedAt: number;
}

/** A member as imported (CSV row). `tokenKey` stays inside the store and the key publisher. */
export interface MemberRecord {
  memberId: string;
  name: string;
  tier: string;
  tags: string[];
  consent: boolean;
  tokenKey: string;
}

/** A phone or card the member registered with the member app (no push tokens: the push service holds those). */
export interface MemberDevice {
  deviceId: string;
  platform: 'ios' | 'android' | 'card' | 'other';
  label?: string | undefined;
  registeredAt?: number | undefined;
}

/**
 * What the API and the rules see of a member: everything but the token key. `consent` is the
 * presence consent (sensing, alerts); `marketingConsent` additionally allows offers. The optional
 * fields are always filled by the store; they are optional for callers that build profiles by hand.
 */
export interface MemberProfile {
  memberId: string;
  name: string;
  nickname?: string | undefined;
  tier: string;
  tags: string[];
  consent: boolean;
  marketingConsent?: boolean | undefined;
  /** Free key/value preferences (`size: M`, `colour: navy`, `language: zh`). */
  preferences?: Record<string, string> | undefined;
  devices?: MemberDevice[] | undefined;
  updatedAt: number;
}

/** A whole profile as written through the API; `tokenKey` is write-only. */
export type MemberUpsert = Omit<MemberProfile, 'updatedAt'> & { tokenKey?: string | undefined };

/** Activity derived from events: visits (distinct visit ids with an arrival), last sighting, spend. */
export interface MemberActivity {
  visits: number;
  lastSeenAt: number | null;
  totalSpend: number;
  /** Currency of the latest purchase (spend is summed as-is: one currency per deployment). */
  currency?: string | undefined;
}

export type MemberWithActivity = MemberProfile & MemberActivity;

export interface MemberSearch {
  /** Case-insensitive substring of id, name, nickname or a tag. */
  q?: string | undefined;
  tier?: string | undefined;
  /** Only members seen at this site (an event there), their activity counted at this site only. */
  siteId?: string | undefined;
  limit: number;
  offset?: number | undefined;
}

export type NewAlert = Omit<StaffAlert, 'seq'>;

/** What `raiseAlert` did: stored it, or found it stored (same event and rule, or the same id), or found another inside the cooldown. */
export interface RaisedAlert {
  alert: StaffAlert;
  inserted: boolean;
  cooldown?: true;
}

export interface AlertQuery {
  /** Alerts with seq strictly greater than this. */
  sinceSeq?: number;
  /** Alerts with seq less than or equal to this. */
  upToSeq?: number;
  /** Only this site's alerts; with `storeIds`, only those stores' alerts (a staff member's scope). */
  siteId?: string;
  storeIds?: readonly string[];
  /** Only claimed or acknowledged alerts (status catch-up after a reconnect). */
  handledOnly?: boolean;
  limit: number;
  /** Newest first when true (API listing); oldest first otherwise (socket catch-up). */
  newestFirst?: boolean;
}

export interface AlertKey {
  memberId: string;
  siteId: string;
  storeId: string | undefined;
  eventType: EventType;
}

export const OFFER_STATUSES = ['issued', 'delivered', 'failed', 'redeemed', 'expired'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/**
 * An offer. `memberId` is null for a prospect (an attract offer to an anonymous subject, whose
 * pseudonymous `subject` id is kept instead). Status: issued, then delivered or failed (push),
 * then redeemed (a purchase before expiry) or expired.
 */
export interface Offer {
  id: string;
  kind: string;
  memberId: string | null;
  siteId: string;
  storeId?: string | undefined;
  /** Site-local calendar day (YYYY-MM-DD) the offer belongs to; part of the unique key. */
  day: string;
  issuedAt: number;
  expiresAt: number;
  status: OfferStatus;
  eventId: string;
  ruleId?: string | undefined;
  subject?: string | undefined;
  title?: string | undefined;
  deliveredAt?: number | undefined;
  redeemedAt?: number | undefined;
  redeemedEventId?: string | undefined;
  /** Purchase amount attributed to the offer on redemption. */
  amount?: number | undefined;
  currency?: string | undefined;
}

export interface OfferQuery {
  memberId?: string | undefined;
  siteId?: string | undefined;
  storeId?: string | undefined;
  status?: OfferStatus | undefined;
  limit: number;
}

/** The limits of the rule action that issued an offer (see `insertOffer`). */
export interface OfferLimits {
  perMemberCapPerDay?: number | undefined;
  dailyBudgetPerStore?: number | undefined;
}

/** One offer's push through the delivery webhook: retried with backoff until delivered or given up. */
export interface OfferDelivery {
  offerId: string;
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  nextAttemptAt: number;
  lastStatus?: number | undefined;
  lastError?: string | undefined;
  updatedAt: number;
}

export interface GatewayCredential {
  siteId: string;
  gatewayId: string;
  username: string;
  /** scrypt(password, salt), hex. */
  passwordHash: string;
  salt: string;
  provisionedAt: number;
}

export interface GatewayStatus {
  siteId: string;
  gatewayId: string;
  provisioned: boolean;
  conn?: { state: ConnState['state']; at: number; version: string; receivedAt: number } | undefined;
  health?: { value: GatewayHealth; receivedAt: number } | undefined;
  /** Events its outbox dropped undelivered, from its gap records: an alarm while any exist. */
  gaps?: { records: number; dropped: number; lastAt: number } | undefined;
}

/** A model the cloud distributes (decision 133). */
export interface StoredModel {
  version: string;
  sha256: string;
  size: number;
  /** The training domain (firmware-config TrainingDomain), when stated. */
  domain?: Record<string, unknown> | undefined;
  createdAt: number;
}

/** The config last published to a gateway (remote configuration, decision 131). */
export interface PublishedGatewayConfig {
  version: number;
  sha256: string;
  /** The rendered gateway config as sent. */
  body: Record<string, unknown>;
  /** Operator overrides it was rendered with (sources, tickMs, ...). */
  overrides: Record<string, unknown>;
  publishedAt: number;
}

export interface GatewayConfigResult {
  version: number;
  status: 'applied' | 'unchanged' | 'refused';
  reasons: string[];
  at: number;
}

/** A gateway of the fleet: registered by an operator, enrolled with a one-time code, maybe revoked. */
export interface GatewayRegistration {
  siteId: string;
  gatewayId: string;
  registeredAt: number;
  enrolledAt?: number | undefined;
  revokedAt?: number | undefined;
  /** When the pending enrolment code expires (the code itself is never stored, only its hash). */
  codeExpiresAt?: number | undefined;
  config?: PublishedGatewayConfig | undefined;
  lastResult?: GatewayConfigResult | undefined;
}

/** A gap record as stored: the gateway's report plus when the cloud received it. */
export type StoredGap = GapReport & { receivedAt: number };

export interface OccupancySeriesQuery {
  siteId: string;
  storeId: string;
  from: number;
  to: number;
}

export interface OccupancySeries {
  minutes: OccupancyMinuteReport[];
  hours: OccupancyHourReport[];
}

export interface StoreCounts {
  events: number;
  alerts: number;
  members: number;
  offers: number;
  gateways: number;
}

export type AlertHandling = { status: StaffAlert['status']; handledBy: string | undefined };

export type StaffRole = 'operator' | 'staff' | 'analyst';

/** A person who logs in. Staff are scoped to stores of one site; operators and analysts see all. */
export interface StaffProfile {
  username: string;
  displayName: string;
  role: StaffRole;
  siteId?: string | undefined;
  storeIds: string[];
  updatedAt: number;
}

export interface StaffAccount extends StaffProfile {
  /** scrypt(password, salt), hex. */
  passwordHash: string;
  salt: string;
}

export type AuthTokenKind = 'session' | 'api' | 'ticket';

/** A bearer secret as stored: its SHA-256 and what it stands for (never the secret itself). */
export interface AuthToken {
  tokenHash: string;
  kind: AuthTokenKind;
  /** The staff account behind a session or ticket; absent for API tokens. */
  username?: string | undefined;
  /** A label: the username, or an API token's name. */
  name: string;
  role: StaffRole;
  siteId?: string | undefined;
  storeIds: string[];
  createdAt: number;
  /** Absent: no expiry (API tokens until deleted). */
  expiresAt?: number | undefined;
  /** API tokens: the account that minted it (absent: minted by the library, unbound). */
  createdBy?: string | undefined;
}

/** What a sweeper asks `leaseUnprocessedEvents` for (decision 170). */
export interface UnprocessedLeaseQuery {
  now: number;
  receivedBefore: number;
  limit: number;
  owner: string;
  leaseMs: number;
  maxAttempts: number;
}

/** The column parameters of an alert row, the same on both backends (`storeId` '' for none; body the alert as JSON). */
export function alertRowParams(alert: NewAlert) {
  return {
    id: alert.id,
    at: alert.at,
    eventAt: alert.eventAt,
    eventId: alert.eventId,
    eventType: alert.eventType,
    siteId: alert.siteId,
    storeId: alert.storeId ?? '',
    memberId: alert.memberId,
    body: JSON.stringify(alert),
  };
}
