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
