import type { Offer } from '../store/cloud-store.js';

/** Delivery and revenue figures of a set of offers (the analytics offers endpoint adds them to conversion). */
export interface OfferFigures {
  /** Offers pushed successfully (`deliveredAt` set, whatever happened after). */
  delivered: number;
  /** Offers whose push was given up. */
  deliveryFailed: number;
  /** delivered / issued; null when none were issued. */
  deliveryRate: number | null;
  /** Redeemed offers as recorded at redemption (a purchase before expiry at the offer's store). */
  redeemedRecorded: number;
  /** Purchase amounts attributed to redeemed offers (one currency per deployment assumed). */
  revenue: number;
  currency: string | null;
  expired: number;
  /** Attract offers to prospects (no member). */
  prospects: number;
}

/**
 * Pure: delivery, redemption and revenue counts from the offers' stored state.
 * @example offerFigures(await store.listOffersIssued(siteId, from, to)) // { delivered: 12, revenue: 8400, ... }
 */
export function offerFigures(offers: readonly Offer[]): OfferFigures {
  let delivered = 0,
    deliveryFailed = 0,
    redeemedRecorded = 0,
    revenue = 0,
    expired = 0,
    prospects = 0;
  let currency: string | null = null;
  for (const o of offers) {
    if (o.deliveredAt !== undefined) delivered++;
    if (o.status === 'failed') deliveryFailed++;
    if (o.status === 'expired') expired++;
    if (o.memberId === null) prospects++;
    if (o.status === 'redeemed') {
      redeemedRecorded++;
      revenue += o.amount ?? 0;
      currency ??= o.currency ?? null;
    }
  }
  return {
    delivered,
    deliveryFailed,
    deliveryRate: offers.length === 0 ? null : delivered / offers.length,
    redeemedRecorded,
    revenue,
    currency,
    expired,
    prospects,
  };
}
