import type { ConnState, EventType, GatewayHealth, PresenceEvent, StaffAlert } from '@storesense/protocol';
import type { Rule } from '../rules/rule.schema.js';

/**
 * Persistence of the cloud behind one interface (DESIGN §5), so PostgreSQL can follow SQLite:
 * every method is async even where SQLite answers synchronously. One contract suite
 * (`cloud-store.contract.ts`) runs against each implementation.
 * @example
 * const store = openSqliteStore({ path: `${dataDir}/cloud.db` });
 * const { inserted } = await store.insertEvent(event, clock.now());
 */
export interface CloudStore {
  // events: the unique key is the event id (the gateway's idempotency key)
  insertEvent(event: PresenceEvent, receivedAt: number): Promise<{ inserted: boolean }>;
  listEvents(query: EventQuery): Promise<StoredEvent[]>;
  /** A site's events with `from <= at < to`, oldest first, optionally of some types only (analytics input; no limit). */
  listEventsInRange(query: EventRangeQuery): Promise<PresenceEvent[]>;

  // members
  upsertMembers(members: readonly MemberRecord[], at: number): Promise<{ inserted: number; updated: number }>;
  getMember(memberId: string): Promise<MemberProfile | undefined>;
  listMembers(query: PageQuery): Promise<MemberProfile[]>;
  /** Token keys of consenting members only; the caller must never log or serve them over HTTP. */
  listConsentingMemberKeys(): Promise<{ memberId: string; key: string }[]>;

  // staff alerts: `seq` is assigned by the store, increasing
  insertAlert(alert: NewAlert): Promise<StaffAlert>;
  listAlerts(query: AlertQuery): Promise<StaffAlert[]>;
  /** Event time of the newest alert for this member, site, store and event type (cooldowns). */
  lastAlertEventAt(key: AlertKey): Promise<number | undefined>;
  getAlert(id: string): Promise<StaffAlert | undefined>;
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
  /** Signs a person out everywhere (sessions and tickets), e.g. after a password change. */
  deleteAuthTokensOfUser(username: string): Promise<number>;
  deleteExpiredAuthTokens(now: number): Promise<number>;

  // offers: one per (member, site, day, kind)
  insertOffer(offer: Offer): Promise<{ inserted: boolean }>;
  hasOffer(memberId: string, siteId: string, day: string, kind: string): Promise<boolean>;
  listOffers(query: OfferQuery): Promise<Offer[]>;
  /** A site's offers issued with `from <= issuedAt < to`, oldest first (analytics input). */
  listOffersIssued(siteId: string, from: number, to: number): Promise<Offer[]>;

  // gateways: credentials (provisioning) and status (from retained state topics)
  upsertGatewayCredential(credential: GatewayCredential): Promise<void>;
  getGatewayCredential(username: string): Promise<GatewayCredential | undefined>;
  listGatewayCredentials(siteId?: string): Promise<GatewayCredential[]>;
  updateGatewayConn(siteId: string, gatewayId: string, conn: ConnState, receivedAt: number): Promise<void>;
  updateGatewayHealth(siteId: string, gatewayId: string, health: GatewayHealth, receivedAt: number): Promise<void>;
  listGateways(): Promise<GatewayStatus[]>;

  /** Offers of a kind issued at a site (and store, when given) on a site-local day (rule budgets). */
  countOffersOnDay(q: { siteId: string; storeId: string | undefined; day: string; kind: string }): Promise<number>;

  // rules (declarative, edited through the API): listed in insertion order
  listRules(): Promise<Rule[]>;
  getRule(id: string): Promise<Rule | undefined>;
  /** Creates or replaces (a replaced rule keeps its place in the order). */
  putRule(rule: Rule, at: number): Promise<{ created: boolean }>;
  deleteRule(id: string): Promise<boolean>;

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

/** What the API and the rules see of a member: everything but the token key. */
export type MemberProfile = Omit<MemberRecord, 'tokenKey'> & { updatedAt: number };

export type NewAlert = Omit<StaffAlert, 'seq'>;

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

export interface Offer {
  id: string;
  kind: string;
  memberId: string;
  siteId: string;
  storeId?: string | undefined;
  /** Site-local calendar day (YYYY-MM-DD) the offer belongs to; part of the unique key. */
  day: string;
  issuedAt: number;
  expiresAt: number;
  status: 'issued' | 'redeemed' | 'expired';
  eventId: string;
}

export interface OfferQuery {
  memberId?: string;
  siteId?: string;
  limit: number;
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
}
