/**
 * The shapes of the API answers the views read (types only; erased when compiled). Protocol types
 * come from @storesense/protocol; the rest mirror the cloud's routes (`/api/v1/openapi.json`).
 */
import type { ConnState, GatewayHealth, PresenceEvent, Recommendation, StaffAlert } from '@storesense/protocol';

export type { PresenceEvent, Recommendation, StaffAlert };

export type Role = 'operator' | 'analyst' | 'staff';
export interface User {
  username: string;
  displayName: string;
  role: Role;
  siteId?: string;
  storeIds: string[];
}

/** Any JSON answer: error answers carry `error` and, for a 400, `issues` (`path: message`). */
export interface ApiError {
  error?: string;
  /** The error in the language the request asked for (Accept-Language). */
  message?: string;
  issues?: string[];
}

export interface GatewayRow {
  siteId: string;
  gatewayId: string;
  provisioned: boolean;
  conn?: { state: ConnState['state']; at: number; version: string; receivedAt: number } | undefined;
  health?: { value: GatewayHealth; receivedAt: number } | undefined;
  gaps?: { records: number; dropped: number; lastAt: number } | undefined;
}

export interface Health {
  ok: boolean;
  auth: 'open' | 'required';
  db: { ok: boolean };
  broker: { connected: boolean; kind: string; clients?: number };
  counts?: Partial<Record<'gateways' | 'events' | 'members' | 'alerts' | 'offers', number>>;
}

export interface MemberSummary {
  id: string;
  name?: string;
  nickname?: string;
  tier?: string;
  tags: string[];
  consent?: boolean | Record<string, boolean>;
  visits?: number;
  lastSeenAt?: number | null;
  totalSpend?: number;
  currency?: string;
  preferences?: Record<string, string>;
  devices?: unknown[];
}

export interface Purchase {
  at: number;
  storeId?: string;
  amount?: number;
  currency?: string;
  offerId?: string;
}

export interface MemberImportReport {
  imported: number;
  updated: number;
  rejected: number;
  errors: { row: number; field: string; message: string }[];
}

export interface RuleAction {
  kind: string;
  offerKind?: string;
  [k: string]: unknown;
}
export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  eventTypes: string[];
  audience: string;
  siteIds?: string[];
  storeIds?: string[];
  zoneIds?: string[];
  memberTiers?: string[];
  memberTags?: string[];
  timeOfDay?: { from: string; to: string };
  minDwellMs?: number;
  cooldownMs: number;
  actions: RuleAction[];
}

export interface Offer {
  id: string;
  kind?: string;
  title?: string;
  ruleId?: string;
  memberId?: string;
  subject?: string;
  storeId?: string;
  status: string;
  issuedAt?: number;
  deliveredAt?: number;
  redeemedAt?: number;
  expiresAt?: number;
  amount?: number;
  currency?: string;
}

export interface OfferConversion {
  issued: number;
  redeemed: number;
  conversion: number | null;
  byKind: { kind: string; issued: number; redeemed: number }[];
}

export interface AnalyticsSummary {
  timeZone: string;
  footfall: { approaches: number; arrivals: number; captureRate: number | null };
  returning: { memberShare: number | null; returningSubjects: number };
  offers: { issued: number; redeemed: number; conversion: number | null };
  dwell: { p50Ms: number | null; p90Ms: number | null };
}
export interface FootfallRow {
  bucket: string;
  approaches: number;
  arrivals: number;
}
export interface DwellReport {
  overall: { buckets: { label: string; count: number }[] };
  zones: { zoneId: string; p50Ms: number | null; p90Ms: number | null }[];
}
export interface FloorFlows {
  flows: { fromFloor: number; toFloor: number; count: number }[];
}
