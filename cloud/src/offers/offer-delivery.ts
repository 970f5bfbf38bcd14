import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore, Offer, OfferDelivery } from '../store/cloud-store.js';
import type { OfferDeliveryConfig } from './offers.service.js';
import { postJson } from './webhook.client.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook.signature.js';

/** What the push service receives (one POST per offer; `Idempotency-Key` is the offer id). */
export interface OfferPush {
  v: 1;
  type: 'offer';
  offer: { id: string; kind: string; title: string; siteId: string; storeId: string | null; issuedAt: number; expiresAt: number };
  /** The member to reach; null for a prospect. */
  memberId: string | null;
  /** The prospect's pseudonymous subject id; null for a member. */
  subject: string | null;
}

const BATCH = 20;
const DEFAULT_LEASE_MS = 120_000;

/**
 * The delivery worker: sends queued offers to the push webhook, retrying with exponential
 * backoff and jitter (the queue is a table, so retries survive a restart), signed when a secret is set. Expiry of open offers is swept
 * on the same timer. `kick()` runs a pass at once (after an offer is queued). Work is taken with a
 * lease in the database, so the workers of several nodes never send one delivery at once and a
 * crashed node's deliveries are taken over when its lease runs out (decision 101).
 */
export class OfferDeliveryWorker {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private active = false;

  private readonly random: () => number;
  /** This worker's name on its leases: unique per process start. */
  readonly owner: string;

  constructor(
    private readonly o: {
      store: CloudStore;
      clock: Clock;
      logger: Logger;
      metrics: Metrics;
      config: OfferDeliveryConfig | undefined;
      random?: () => number;
      owner?: string;
    },
  ) {
    this.log = o.logger.child({ module: 'offer-delivery' });
    this.random = o.random ?? Math.random;
    this.owner = o.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  start(): void {
    this.active = true;
    const pollMs = this.o.config?.pollMs ?? 1000;
    this.timer = setInterval(() => this.kick(), pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.active = false;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a pass now, or right after the one in progress. */
  kick(): void {
    if (!this.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        // A timer must never die of one bad pass (architecture §7 habit 6).
        this.o.metrics.inc('offers.delivery_pass_failed');
        this.log.error({ err }, 'delivery pass failed');
      }
    } while (this.again && this.active);
  }

  /** One pass: sweep expiry, then send what is due. Returns how many deliveries were attempted. */
  async pass(): Promise<number> {
    const { store, clock } = this.o;
    const expired = await store.expireOffers(clock.now());
    if (expired > 0) this.o.metrics.inc('offers.expired', expired);
    if (!this.o.config) return 0;
    const config = this.o.config;
    const leaseMs = config.leaseMs ?? DEFAULT_LEASE_MS;
    const leasedAt = clock.now();
    const due = await store.leaseDeliveries({ now: leasedAt, limit: BATCH, owner: this.owner, leaseMs });
    let attempted = 0;
    for (const d of due) {
      // A push must end before the lease does, or another node could take it meanwhile; what is
      // left is taken again (by any node) once the lease has run out.
      if (clock.now() + (config.timeoutMs ?? 5000) >= leasedAt + leaseMs) break;
      await this.attempt(d, config);
      attempted++;
    }
    if (due.length === BATCH) this.again = true; // more waiting
    return attempted;
  }

  /** Writes the outcome while this worker still holds the lease; a lost lease is counted (the push carried an Idempotency-Key). */
  private async settle(d: OfferDelivery): Promise<void> {
    if (await this.o.store.settleDelivery(d, this.owner)) return;
    this.o.metrics.inc('offers.delivery_lease_lost');
    this.log.warn({ offerId: d.offerId, owner: this.owner }, 'delivery lease lost before the outcome was written');
  }

  private async attempt(d: OfferDelivery, config: OfferDeliveryConfig): Promise<void> {
    const { store, clock, metrics } = this.o;
    const offer = await store.getOffer(d.offerId);
    const now = clock.now();
    if (!offer || offer.status === 'expired' || offer.status === 'redeemed' || offer.expiresAt <= now) {
      // A push after the fact is noise: an expired offer is not sent, a redeemed one needs no push.
      const why = !offer ? 'offer gone' : offer.status === 'redeemed' ? 'already redeemed' : 'expired before delivery';
      await this.settle({ ...d, status: 'cancelled', lastError: why, updatedAt: now });
      return;
    }
    if (offer.memberId !== null) {
      // Consent is read again at send time: a member who withdrew it since the offer was issued gets no push.
      const member = await store.getMember(offer.memberId);
      if (!member?.consent || member.marketingConsent !== true) {
        await this.settle({ ...d, status: 'cancelled', lastError: 'no marketing consent', updatedAt: now });
        return;
      }
    }
    const secret = config.secret;
    const sign = secret === undefined ? undefined : (payload: Buffer) => ({ [SIGNATURE_HEADER]: signatureHeader(secret, clock.now(), payload) });
    const result = await postJson(config.url, pushOf(offer), config, { 'idempotency-key': offer.id }, sign);
    const at = clock.now();
    const attempts = d.attempts + 1;
    if (result.ok) {
      await this.settle({ ...d, status: 'delivered', attempts, lastStatus: result.status, lastError: undefined, updatedAt: at });
      await store.setOfferDelivery(offer.id, 'delivered', at);
      metrics.inc('offers.delivered');
      this.log.info({ offerId: offer.id, attempts }, 'offer delivered');
      return;
    }
    const maxAttempts = config.maxAttempts ?? 6;
    if (result.retry && attempts < maxAttempts) {
      // Equal jitter: half the exponential delay fixed, half random, so offers that failed together
      // (the push service was down) do not all retry in the same instant when it comes back.
      const ceilingMs = Math.min(config.maxBackoffMs ?? 300_000, (config.backoffMs ?? 2000) * 2 ** (attempts - 1));
      const delayMs = Math.round(ceilingMs / 2 + this.random() * (ceilingMs / 2));
      await this.settle({
        ...d,
        status: 'pending',
        attempts,
        nextAttemptAt: at + delayMs,
        lastStatus: result.status,
        lastError: result.error,
        updatedAt: at,
      });
      metrics.inc('offers.delivery_retry');
      this.log.warn({ offerId: offer.id, attempts, status: result.status, error: result.error, retryInMs: delayMs }, 'offer delivery failed; will retry');
      return;
    }
    await this.settle({ ...d, status: 'failed', attempts, lastStatus: result.status, lastError: result.error, updatedAt: at });
    await store.setOfferDelivery(offer.id, 'failed', at);
    metrics.inc('offers.delivery_failed');
    this.log.warn({ offerId: offer.id, attempts, status: result.status, error: result.error }, 'offer delivery given up');
  }
}

export function pushOf(o: Offer): OfferPush {
  return {
    v: 1,
    type: 'offer',
    offer: { id: o.id, kind: o.kind, title: o.title ?? o.kind, siteId: o.siteId, storeId: o.storeId ?? null, issuedAt: o.issuedAt, expiresAt: o.expiresAt },
    memberId: o.memberId,
    subject: o.memberId === null ? (o.subject ?? null) : null,
  };
}
