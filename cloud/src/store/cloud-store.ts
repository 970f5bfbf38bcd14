import type { ConnState, EventType, GatewayHealth, PresenceEvent, StaffAlert } from '@storesense/protocol';

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

  // offers: one per (member, site, day, kind)
  insertOffer(offer: Offer): Promise<{ inserted: boolean }>;
  hasOffer(memberId: string, siteId: string, day: string, kind: string): Promise<boolean>;
  listOffers(query: OfferQuery): Promise<Offer[]>;

  // gateways: credentials (provisioning) and status (from retained state topics)
  upsertGatewayCredential(credential: GatewayCredential): Promise<void>;
  getGatewayCredential(username: string): Promise<GatewayCredential | undefined>;
  listGatewayCredentials(siteId?: string): Promise<GatewayCredential[]>;
  updateGatewayConn(siteId: string, gatewayId: string, conn: ConnState, receivedAt: number): Promise<void>;
  updateGatewayHealth(siteId: string, gatewayId: string, health: GatewayHealth, receivedAt: number): Promise<void>;
  listGateways(): Promise<GatewayStatus[]>;

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
