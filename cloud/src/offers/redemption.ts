import type { Offer } from '../store/cloud-store.js';

/**
 * Pure: which open offer a member's purchase redeems. An offer for a store is redeemed by a
 * purchase at that store; a site-wide offer (no store) by a purchase anywhere on the site; a
 * purchase whose store is unknown only redeems site-wide offers. One purchase redeems one offer:
 * the one expiring soonest (the member loses least), then the oldest, so revenue is attributed once.
 * @example pickRedemption(openOffers, { at, storeId: 'boutique' }) // the boutique offer expiring first
 */
export function pickRedemption(open: readonly Offer[], purchase: { at: number; storeId: string | undefined }): Offer | undefined {
  const fits = open.filter(
    (o) =>
      (o.status === 'issued' || o.status === 'delivered' || o.status === 'failed') &&
      o.issuedAt <= purchase.at &&
      purchase.at < o.expiresAt &&
      (o.storeId === undefined || o.storeId === purchase.storeId),
  );
  fits.sort((a, b) => a.expiresAt - b.expiresAt || a.issuedAt - b.issuedAt || a.id.localeCompare(b.id));
  return fits[0];
}
