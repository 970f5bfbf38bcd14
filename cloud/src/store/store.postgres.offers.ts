import type pg from 'pg';
import type { Offer, OfferDelivery, OfferLimits, OfferQuery } from './cloud-store.js';
import { one, rows, run, transaction, type Queryable } from './pg-sql.js';
import { toDelivery, toOffer } from './store.sqlite.rows.js';

const OPEN = `status IN ('issued', 'delivered', 'failed')`;
type CountQuery = { siteId: string; storeId: string | undefined; day: string; kind: string; memberId?: string | undefined; subject?: string | undefined };

/** Offers and their delivery queue; status changes are compare-and-set on the current status. */
export class PgOfferTables {
  constructor(private readonly pool: pg.Pool) {}

  private async insert(db: Queryable, o: Offer): Promise<boolean> {
    const r = await run(
      db,
      `INSERT INTO offers (id, kind, rule_id, member_id, subject, site_id, store_id, day, title, issued_at, expires_at, status, event_id,
         delivered_at, redeemed_at, redeemed_event_id, amount, currency)
       VALUES (@id, @kind, @ruleId, @memberId, @subject, @siteId, @storeId, @day, @title, @issuedAt, @expiresAt, @status, @eventId,
         @deliveredAt, @redeemedAt, @redeemedEventId, @amount, @currency)
       ON CONFLICT DO NOTHING`,
      {
        id: o.id,
        kind: o.kind,
        ruleId: o.ruleId ?? null,
        memberId: o.memberId,
        subject: o.subject ?? null,
        siteId: o.siteId,
        storeId: o.storeId ?? null,
        day: o.day,
        title: o.title ?? '',
        issuedAt: o.issuedAt,
        expiresAt: o.expiresAt,
        status: o.status,
        eventId: o.eventId,
        deliveredAt: o.deliveredAt ?? null,
        redeemedAt: o.redeemedAt ?? null,
        redeemedEventId: o.redeemedEventId ?? null,
        amount: o.amount ?? null,
        currency: o.currency ?? null,
      },
    );
    return r.rowCount === 1;
  }

  /**
   * Cap and budget re-checked in the insert's transaction under an advisory lock on (site, day,
   * kind): offers decided concurrently on several nodes serialise there, so no budget overspends.
   */
  async insertWithin(o: Offer, limits: OfferLimits | undefined): Promise<{ inserted: boolean; refused?: 'cap' | 'budget' }> {
    if (limits?.perMemberCapPerDay === undefined && limits?.dailyBudgetPerStore === undefined) return { inserted: await this.insert(this.pool, o) };
    return transaction(this.pool, async (c) => {
      await run(c, 'SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))', { key: JSON.stringify(['offer', o.siteId, o.day, o.kind]) });
      const base = { siteId: o.siteId, day: o.day, kind: o.kind };
      if (limits.perMemberCapPerDay !== undefined) {
        const who = o.memberId !== null ? { memberId: o.memberId } : { subject: o.subject };
        if ((await this.countOn(c, { ...base, storeId: undefined, ...who })) >= limits.perMemberCapPerDay) return { inserted: false, refused: 'cap' as const };
      }
      if (limits.dailyBudgetPerStore !== undefined && (await this.countOn(c, { ...base, storeId: o.storeId })) >= limits.dailyBudgetPerStore) {
        return { inserted: false, refused: 'budget' as const };
      }
      return { inserted: await this.insert(c, o) };
    });
  }

  async has(memberId: string, siteId: string, day: string, kind: string): Promise<boolean> {
    return (
      (await one(this.pool, 'SELECT 1 FROM offers WHERE member_id = @memberId AND site_id = @siteId AND day = @day AND kind = @kind LIMIT 1', {
        memberId,
        siteId,
        day,
        kind,
      })) !== undefined
    );
  }

  async list(q: OfferQuery): Promise<Offer[]> {
    const r = await rows(
      this.pool,
      `SELECT * FROM offers WHERE (@memberId::text IS NULL OR member_id = @memberId) AND (@siteId::text IS NULL OR site_id = @siteId)
         AND (@storeId::text IS NULL OR store_id = @storeId) AND (@status::text IS NULL OR status = @status)
       ORDER BY issued_at DESC, id DESC LIMIT @limit`,
      { memberId: q.memberId ?? null, siteId: q.siteId ?? null, storeId: q.storeId ?? null, status: q.status ?? null, limit: q.limit },
    );
    return r.map(toOffer);
  }

  async get(id: string): Promise<Offer | undefined> {
    const r = await one(this.pool, 'SELECT * FROM offers WHERE id = @id', { id });
    return r ? toOffer(r) : undefined;
  }

  async issuedBetween(siteId: string, from: number, to: number): Promise<Offer[]> {
    return (
      await rows(this.pool, 'SELECT * FROM offers WHERE site_id = @siteId AND issued_at >= @from AND issued_at < @to ORDER BY issued_at, id', {
        siteId,
        from,
        to,
      })
    ).map(toOffer);
  }

  count(q: CountQuery): Promise<number> {
    return this.countOn(this.pool, q);
  }

  private async countOn(db: Queryable, q: CountQuery): Promise<number> {
    const r = await one(
      db,
      `SELECT count(*) AS n FROM offers WHERE site_id = @siteId AND (@storeId::text IS NULL OR store_id = @storeId) AND day = @day AND kind = @kind
         AND (@memberId::text IS NULL OR member_id = @memberId) AND (@subject::text IS NULL OR subject = @subject)`,
      { siteId: q.siteId, storeId: q.storeId ?? null, day: q.day, kind: q.kind, memberId: q.memberId ?? null, subject: q.subject ?? null },
    );
    return r?.n as number;
  }

  async lastIssued(q: { memberId?: string | undefined; subject?: string | undefined; siteId: string; kind: string }): Promise<number | undefined> {
    const r = await one(
      this.pool,
      `SELECT max(issued_at) AS at FROM offers WHERE site_id = @siteId AND kind = @kind
         AND (@memberId::text IS NULL OR member_id = @memberId) AND (@subject::text IS NULL OR subject = @subject)`,
      { siteId: q.siteId, kind: q.kind, memberId: q.memberId ?? null, subject: q.subject ?? null },
    );
    return (r?.at as number | null) ?? undefined;
  }

  async open(memberId: string, siteId: string, at: number): Promise<Offer[]> {
    const sql = `SELECT * FROM offers WHERE member_id = @memberId AND site_id = @siteId AND ${OPEN} AND issued_at <= @at AND expires_at > @at ORDER BY expires_at, id`;
    return (await rows(this.pool, sql, { memberId, siteId, at })).map(toOffer);
  }

  async redeem(id: string, r: { at: number; eventId: string; amount: number | undefined; currency: string | undefined }): Promise<boolean> {
    const res = await run(
      this.pool,
      `UPDATE offers SET status = 'redeemed', redeemed_at = @at, redeemed_event_id = @eventId, amount = @amount, currency = @currency
       WHERE id = @id AND ${OPEN} AND expires_at > @at`,
      { id, at: r.at, eventId: r.eventId, amount: r.amount ?? null, currency: r.currency ?? null },
    );
    return res.rowCount === 1;
  }

  async expire(now: number): Promise<number> {
    return (await run(this.pool, `UPDATE offers SET status = 'expired' WHERE ${OPEN} AND expires_at <= @now`, { now })).rowCount ?? 0;
  }

  async redeemedBy(eventIds: readonly string[]): Promise<Map<string, string>> {
    const r = await rows(this.pool, 'SELECT id, redeemed_event_id FROM offers WHERE redeemed_event_id = ANY(@ids::text[])', { ids: [...eventIds] });
    return new Map(r.map((x) => [x.redeemed_event_id as string, x.id as string]));
  }

  async setDelivery(id: string, outcome: 'delivered' | 'failed', at: number): Promise<void> {
    if (outcome === 'delivered') {
      await run(
        this.pool,
        `UPDATE offers SET delivered_at = coalesce(delivered_at, @at), status = CASE WHEN status IN ('issued', 'failed') THEN 'delivered' ELSE status END WHERE id = @id`,
        { id, at },
      );
    } else await run(this.pool, `UPDATE offers SET status = 'failed' WHERE id = @id AND status = 'issued'`, { id });
  }

  async enqueue(offerId: string, at: number): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO offer_deliveries (offer_id, status, attempts, next_attempt_at, updated_at) VALUES (@offerId, 'pending', 0, @at, @at) ON CONFLICT DO NOTHING`,
      { offerId, at },
    );
  }

  async due(now: number, limit: number): Promise<OfferDelivery[]> {
    const sql = `SELECT * FROM offer_deliveries WHERE status = 'pending' AND next_attempt_at <= @now ORDER BY next_attempt_at, offer_id LIMIT @limit`;
    return (await rows(this.pool, sql, { now, limit })).map(toDelivery);
  }

  async updateDelivery(d: OfferDelivery): Promise<void> {
    await run(
      this.pool,
      `UPDATE offer_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt, last_status = @lastStatus,
         last_error = @lastError, updated_at = @updatedAt WHERE offer_id = @offerId`,
      {
        offerId: d.offerId,
        status: d.status,
        attempts: d.attempts,
        nextAttemptAt: d.nextAttemptAt,
        lastStatus: d.lastStatus ?? null,
        lastError: d.lastError ?? null,
        updatedAt: d.updatedAt,
      },
    );
  }

  /** SKIP LOCKED: a worker passes over rows another is leasing right now instead of queueing behind it. */
  async lease(q: { now: number; limit: number; owner: string; leaseMs: number }): Promise<OfferDelivery[]> {
    const r = await rows(
      this.pool,
      `UPDATE offer_deliveries d SET lease_owner = @owner, lease_until = @until
       FROM (SELECT offer_id FROM offer_deliveries WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
             ORDER BY next_attempt_at, offer_id LIMIT @limit FOR UPDATE SKIP LOCKED) due
       WHERE d.offer_id = due.offer_id RETURNING d.*`,
      { owner: q.owner, until: q.now + q.leaseMs, now: q.now, limit: q.limit },
    );
    return r.map(toDelivery).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.offerId < b.offerId ? -1 : 1));
  }

  async settle(d: OfferDelivery, owner: string): Promise<boolean> {
    const r = await run(
      this.pool,
      `UPDATE offer_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt, last_status = @lastStatus,
         last_error = @lastError, updated_at = @updatedAt, lease_owner = NULL, lease_until = NULL WHERE offer_id = @offerId AND lease_owner = @owner`,
      {
        offerId: d.offerId,
        status: d.status,
        attempts: d.attempts,
        nextAttemptAt: d.nextAttemptAt,
        lastStatus: d.lastStatus ?? null,
        lastError: d.lastError ?? null,
        updatedAt: d.updatedAt,
        owner,
      },
    );
    return r.rowCount === 1;
  }

  async getDelivery(offerId: string): Promise<OfferDelivery | undefined> {
    const r = await one(this.pool, 'SELECT * FROM offer_deliveries WHERE offer_id = @offerId', { offerId });
    return r ? toDelivery(r) : undefined;
  }
}
