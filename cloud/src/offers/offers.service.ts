import { newId, type PresenceEvent } from '@storesense/protocol';
import type { Site } from '@storesense/firmware-config';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Action } from '../rules/rules.js';
import type { CloudStore, Offer, OfferDelivery, OfferQuery, OfferStatus } from '../store/cloud-store.js';
import { pickRedemption } from './redemption.js';
import { checkWebhookUrl, type WebhookPolicy } from './webhook.client.js';

/**
 * The member app's push service, reached by webhook. A delivery channel exists for a member
 * offer whenever this is configured (issuing already needed marketing consent; the push service
 * finds the member's devices); for a prospect offer only with `prospects: true`, i.e. when the
 * push service says it can reach an anonymous subject by its pseudonym (mall app in guest mode,
 * signage by the zone). Without a channel an offer stays `issued`: it still counts for caps,
 * budgets and analytics, and a member can still redeem it at the till (staff can mention it).
 */
export interface OfferDeliveryConfig extends WebhookPolicy {
  url: string;
  /** Push prospect (attract) offers too. Default false. */
  prospects?: boolean;
  /** Attempts before giving up (default 6). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt (default 2000). */
  backoffMs?: number;
  /** Retry delay ceiling (default 5 minutes). */
  maxBackoffMs?: number;
  /** How often the queue is polled for due retries (default 1000). */
  pollMs?: number;
  /**
   * How long a worker holds the deliveries it took (default 2 minutes): another node takes them
   * only after this, so a crashed node's deliveries wait at most this long (decision 101).
   */
  leaseMs?: number;
  /** Signs every push (`storesense-signature`, webhook.signature.ts) so the push service can refuse forgeries. */
  secret?: string;
}

/** An offer as the API serves it (`GET /api/v1/offers`); prospects show their subject pseudonym, members never do. */
export interface OfferView {
  id: string;
  ruleId: string | null;
  kind: string;
  siteId: string;
  storeId: string | null;
  memberId: string | null;
  subject: string | null;
  title: string;
  status: OfferStatus;
  /** Site-local day the offer counts against (caps, budgets). */
  day: string;
  issuedAt: number;
  expiresAt: number;
  deliveredAt?: number;
  redeemedAt?: number;
  amount?: number;
  currency?: string;
}

type OfferAction = Extract<Action, { kind: 'offer' }>;

export interface OffersServiceOptions {
  store: CloudStore;
  sites: ReadonlyMap<string, Site>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  delivery?: OfferDeliveryConfig | undefined;
  /** Told when a delivery was queued (the worker sends at once instead of at its next poll). */
  onQueued?: () => void;
}

/**
 * Offers: issuing from rule actions (stored, delivery queued where a channel exists), redemption
 * from POS purchase events, and the API listing (expiry applied first).
 */
export class OffersService {
  private readonly log: Logger;

  constructor(private readonly o: OffersServiceOptions) {
    this.log = o.logger.child({ module: 'offers' });
    if (o.delivery) {
      // Refused at start, not at the first offer (architecture §7 habit 4: invalid config stops the process).
      const checked = checkWebhookUrl(o.delivery.url, o.delivery);
      if (!checked.ok) throw new TypeError(`offer delivery url refused: ${checked.reason}`);
    }
  }

  async issue(action: OfferAction): Promise<Offer | undefined> {
    const offer: Offer = {
      id: newId(action.issuedAt),
      kind: action.offerKind,
      ruleId: action.ruleId,
      memberId: action.memberId ?? null,
      subject: action.subjectId,
      title: action.title,
      siteId: action.event.siteId,
      storeId: action.storeId,
      day: action.day,
      issuedAt: action.issuedAt,
      expiresAt: action.expiresAt,
      status: 'issued',
      eventId: action.event.id,
    };
    const { inserted, refused } = await this.o.store.insertOffer(offer, action.limits);
    if (refused) {
      // Another event of the same store or shopper got there first (decided concurrently).
      this.o.metrics.inc(`offers.refused_${refused}`);
      this.log.info(
        { memberId: offer.memberId, siteId: offer.siteId, storeId: offer.storeId, kind: offer.kind, refused },
        'offer not issued: limit reached at insert',
      );
      return undefined;
    }
    if (!inserted) return undefined; // this event already issued it (replay)
    const prospect = offer.memberId === null;
    this.o.metrics.inc(prospect ? 'offers.issued_prospect' : 'offers.issued');
    const channel = this.o.delivery !== undefined && (!prospect || this.o.delivery.prospects === true);
    this.log.info(
      { offerId: offer.id, memberId: offer.memberId, siteId: offer.siteId, storeId: offer.storeId, kind: offer.kind, day: offer.day, channel },
      'offer issued',
    );
    if (channel) {
      await this.o.store.enqueueDelivery(offer.id, this.o.clock.now());
      this.o.onQueued?.();
    }
    return offer;
  }

  /** A POS purchase by a member redeems at most one open offer (see `pickRedemption`). */
  async onPurchase(event: PresenceEvent): Promise<Offer | undefined> {
    const memberId = event.subject.memberId;
    if (event.type !== 'purchase' || memberId === undefined) return undefined;
    const storeId = event.storeId ?? this.o.sites.get(event.siteId)?.gateways.find((g) => g.id === event.gatewayId)?.storeId;
    let open = await this.o.store.listOpenOffers(memberId, event.siteId, event.at);
    // Two tries: an offer redeemed or expired between the read and the write is skipped.
    for (let attempt = 0; attempt < 3; attempt++) {
      const chosen = pickRedemption(open, { at: event.at, storeId });
      if (!chosen) return undefined;
      if (await this.o.store.redeemOffer(chosen.id, { at: event.at, eventId: event.id, amount: event.amount, currency: event.currency })) {
        this.o.metrics.inc('offers.redeemed');
        this.log.info({ offerId: chosen.id, memberId, eventId: event.id, storeId, amount: event.amount }, 'offer redeemed');
        return { ...chosen, status: 'redeemed', redeemedAt: event.at, redeemedEventId: event.id, amount: event.amount, currency: event.currency };
      }
      open = open.filter((o) => o.id !== chosen.id);
    }
    return undefined;
  }

  async list(q: OfferQuery): Promise<OfferView[]> {
    await this.o.store.expireOffers(this.o.clock.now());
    return (await this.o.store.listOffers(q)).map(toView);
  }

  async get(id: string): Promise<{ offer: OfferView; delivery: Omit<OfferDelivery, 'offerId'> | null } | undefined> {
    await this.o.store.expireOffers(this.o.clock.now());
    const offer = await this.o.store.getOffer(id);
    if (!offer) return undefined;
    const d = await this.o.store.getDelivery(id);
    return {
      offer: toView(offer),
      delivery: d
        ? { status: d.status, attempts: d.attempts, nextAttemptAt: d.nextAttemptAt, lastStatus: d.lastStatus, lastError: d.lastError, updatedAt: d.updatedAt }
        : null,
    };
  }
}

export function toView(o: Offer): OfferView {
  return {
    id: o.id,
    ruleId: o.ruleId ?? null,
    kind: o.kind,
    siteId: o.siteId,
    storeId: o.storeId ?? null,
    memberId: o.memberId,
    // A member's subject id would link their sightings; only prospects are known by it.
    subject: o.memberId === null ? (o.subject ?? null) : null,
    title: o.title ?? o.kind,
    status: o.status,
    day: o.day,
    issuedAt: o.issuedAt,
    expiresAt: o.expiresAt,
    ...(o.deliveredAt !== undefined ? { deliveredAt: o.deliveredAt } : {}),
    ...(o.redeemedAt !== undefined ? { redeemedAt: o.redeemedAt } : {}),
    ...(o.amount !== undefined ? { amount: o.amount } : {}),
    ...(o.currency !== undefined ? { currency: o.currency } : {}),
  };
}
