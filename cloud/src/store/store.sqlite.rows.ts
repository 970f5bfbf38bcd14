import type { ConnState, GapReport, GatewayHealth } from '@storesense/protocol';
import type { GatewayCredential, GatewayStatus, MemberDevice, MemberProfile, Offer, OfferDelivery, StoredGap } from './cloud-store.js';

/** Row-to-domain mappers of the SQLite store (snake_case columns to camelCase values). */
export type Row = Record<string, unknown>;

export function toProfile(r: Row): MemberProfile {
  return {
    memberId: r.member_id as string,
    name: r.name as string,
    ...(typeof r.nickname === 'string' ? { nickname: r.nickname } : {}),
    tier: r.tier as string,
    tags: JSON.parse(r.tags as string) as string[],
    consent: r.consent === 1,
    marketingConsent: r.consent_marketing === 1,
    preferences: JSON.parse((r.preferences as string | undefined) ?? '{}') as Record<string, string>,
    devices: JSON.parse((r.devices as string | undefined) ?? '[]') as MemberDevice[],
    updatedAt: r.updated_at as number,
  };
}

export function toCredential(r: Row): GatewayCredential {
  return {
    siteId: r.site_id as string,
    gatewayId: r.gateway_id as string,
    username: r.username as string,
    passwordHash: r.password_hash as string,
    salt: r.salt as string,
    provisionedAt: r.provisioned_at as number,
  };
}

export function toGatewayStatus(r: Row): GatewayStatus {
  return {
    siteId: r.site_id as string,
    gatewayId: r.gateway_id as string,
    provisioned: r.provisioned === 1,
    conn:
      r.conn_state === null || r.conn_state === undefined
        ? undefined
        : {
            state: r.conn_state as ConnState['state'],
            at: r.conn_at as number,
            version: r.conn_version as string,
            receivedAt: r.conn_received_at as number,
          },
    health:
      r.health === null || r.health === undefined
        ? undefined
        : { value: JSON.parse(r.health as string) as GatewayHealth, receivedAt: r.health_received_at as number },
    gaps:
      r.gap_records === null || r.gap_records === undefined
        ? undefined
        : { records: r.gap_records as number, dropped: r.gap_dropped as number, lastAt: r.gap_last_at as number },
  };
}

const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

export function toOffer(r: Row): Offer {
  return {
    id: r.id as string,
    kind: r.kind as string,
    memberId: (r.member_id as string | null) ?? null,
    siteId: r.site_id as string,
    storeId: (r.store_id as string | null) ?? undefined,
    day: r.day as string,
    issuedAt: r.issued_at as number,
    expiresAt: r.expires_at as number,
    status: r.status as Offer['status'],
    eventId: r.event_id as string,
    ruleId: opt<string>(r.rule_id),
    subject: opt<string>(r.subject),
    title: r.title === '' ? undefined : opt<string>(r.title),
    deliveredAt: opt<number>(r.delivered_at),
    redeemedAt: opt<number>(r.redeemed_at),
    redeemedEventId: opt<string>(r.redeemed_event_id),
    amount: opt<number>(r.amount),
    currency: opt<string>(r.currency),
  };
}

export function toDelivery(r: Row): OfferDelivery {
  return {
    offerId: r.offer_id as string,
    status: r.status as OfferDelivery['status'],
    attempts: r.attempts as number,
    nextAttemptAt: r.next_attempt_at as number,
    lastStatus: opt<number>(r.last_status),
    lastError: opt<string>(r.last_error),
    updatedAt: r.updated_at as number,
  };
}

/** A gaps row (the same column names in both stores) as a StoredGap. */
export function toStoredGap(r: Row): StoredGap {
  return {
    v: 1,
    id: r.id as string,
    siteId: r.site_id as string,
    gatewayId: r.gateway_id as string,
    at: r.at as number,
    reason: r.reason as GapReport['reason'],
    count: r.count as number,
    fromSeq: r.from_seq as number,
    toSeq: r.to_seq as number,
    fromAt: r.from_at as number,
    toAt: r.to_at as number,
    receivedAt: r.received_at as number,
  };
}
