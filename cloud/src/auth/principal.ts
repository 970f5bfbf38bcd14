import type { StaffAlert } from '@storesense/protocol';
import type { StaffRole } from '../store/cloud-store.js';

/**
 * Who a request or socket acts for, resolved from a bearer token or a ticket.
 * Staff are scoped to stores of one site; operators and analysts see a whole site (or every site
 * when `siteId` is absent).
 */
export interface Principal {
  kind: 'session' | 'api';
  /** The staff account (sessions); absent for API tokens. */
  username?: string | undefined;
  /** Shown to colleagues ("claimed by ..."). */
  displayName: string;
  role: StaffRole;
  siteId?: string | undefined;
  storeIds: readonly string[];
  /** API tokens: the account that minted it, whose current reach bounds the token (decision 69). */
  createdBy?: string | undefined;
}

/** The alerts a principal may see: the store filter of listings and sockets. */
export interface AlertScope {
  siteId?: string | undefined;
  /** Absent: every store of the site. */
  storeIds?: readonly string[] | undefined;
}

export function scopeOf(p: Principal): AlertScope {
  if (p.role === 'staff') return { siteId: p.siteId, storeIds: p.storeIds };
  return p.siteId ? { siteId: p.siteId } : {};
}

export function inScope(scope: AlertScope, alert: Pick<StaffAlert, 'siteId' | 'storeId'>): boolean {
  if (scope.siteId !== undefined && alert.siteId !== scope.siteId) return false;
  if (scope.storeIds === undefined) return true;
  return alert.storeId !== undefined && scope.storeIds.includes(alert.storeId);
}

/**
 * The one site a principal is limited to; undefined when it reaches every site. Staff always have
 * one (their stores' site); operators and analysts when their account or token names a site.
 */
export function siteOf(p: Principal | undefined): string | undefined {
  return p?.siteId;
}

/** True when the principal may see data of `siteId` (no principal: open mode, everything). */
export function coversSite(p: Principal | undefined, siteId: string): boolean {
  const site = siteOf(p);
  return site === undefined || site === siteId;
}

/** What a role may hand on: an operator any role, the others only their own. */
const GRANTABLE: Record<Principal['role'], readonly Principal['role'][]> = {
  operator: ['operator', 'analyst', 'staff'],
  analyst: ['analyst'],
  staff: ['staff'],
};

/** A token, account or grant as far as reach goes. */
export interface Reach {
  role: Principal['role'];
  siteId?: string | undefined;
  storeIds?: readonly string[] | undefined;
}

/**
 * Why `granter` may not create (or see, or revoke) something reaching `wanted`, or undefined when
 * it may: a token never carries more than its creator holds. Role: an operator may grant any role,
 * others only their own. Scope: an unscoped granter any scope; a site-scoped one only that same
 * site (never "every site"); a staff member only its own site and a subset of its stores.
 * @example grantRefusal(opOfSiteA, { role: 'analyst' }) // 'reaches every site; yours is site-a'
 */
export function grantRefusal(granter: Principal, wanted: Reach): string | undefined {
  if (!GRANTABLE[granter.role].includes(wanted.role)) return `role ${granter.role} may not grant role ${wanted.role}`;
  if (granter.siteId !== undefined) {
    if (wanted.siteId === undefined) return `reaches every site; yours is ${granter.siteId}`;
    if (wanted.siteId !== granter.siteId) return `reaches another site; yours is ${granter.siteId}`;
  }
  if (granter.role === 'staff') {
    const outside = (wanted.storeIds ?? []).filter((s) => !granter.storeIds.includes(s));
    if ((wanted.storeIds ?? []).length === 0 || outside.length > 0) return 'reaches stores beyond yours';
  }
  return undefined;
}
