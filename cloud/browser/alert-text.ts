/**
 * How an alert and a place read for people, in the chosen language, from the alert's facts and the
 * site model (GET /api/v1/sites): shared by the console's live list and the staff view.
 */
import type { StaffAlert } from '@storesense/protocol';
import { t, tOr } from './i18n.js';
import { floorName, storeName, zoneOf } from './sites.js';

/** "Orient Department Store / 2F · Silk scarves": names from the site model, ids when unknown. */
export function place(siteId: string, storeId?: string, zoneId?: string): string {
  const zone = zoneOf(siteId, zoneId);
  const store = storeName(siteId, storeId) ?? storeId;
  const where = zone ? `${floorName(siteId, zone.floor)} · ${zone.name}` : zoneId;
  return [store, where].filter(Boolean).join(' / ') || siteId;
}

/** The alert's headline in the reader's language, from its facts (the rule's own wording stays in `message`). */
export function alertTitle(a: StaffAlert): string {
  const store = storeName(a.siteId, a.storeId) ?? a.storeId ?? a.siteId;
  const zone = zoneOf(a.siteId, a.zoneId)?.name ?? a.zoneId ?? '';
  const tier = a.tier ? tOr(`tier.${a.tier}`, a.tier) : '–';
  return tOr(`alert.${a.eventType}`, t('alert.other', { name: a.memberName, tier, store }), { name: a.memberName, tier, store, zone });
}
