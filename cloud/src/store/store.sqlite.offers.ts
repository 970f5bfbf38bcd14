import type Database from 'better-sqlite3';
import type { Offer, OfferDelivery, OfferLimits, OfferQuery } from './cloud-store.js';
import { toDelivery, toOffer, type Row } from './store.sqlite.rows.js';

const OPEN = `status IN ('issued', 'delivered', 'failed')`;

/**
 * The offers and offer_deliveries tables (migration 5). Status changes are compare-and-set on
 * the current status, so a late delivery never turns a redeemed offer back into "delivered".
 */
export class SqliteOfferTables {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO offers (id, kind, rule_id, member_id, subject, site_id, store_id, day, title, issued_at, expires_at, status, event_id,
           delivered_at, redeemed_at, redeemed_event_id, amount, currency)
         VALUES (@id, @kind, @ruleId, @memberId, @subject, @siteId, @storeId, @day, @title, @issuedAt, @expiresAt, @status, @eventId,
           @deliveredAt, @redeemedAt, @redeemedEventId, @amount, @currency)`,
      ),
      has: db.prepare('SELECT 1 FROM offers WHERE member_id = ? AND site_id = ? AND day = ? AND kind = ?'),
      list: db.prepare(
        `SELECT * FROM offers WHERE (@memberId IS NULL OR member_id = @memberId) AND (@siteId IS NULL OR site_id = @siteId)
           AND (@storeId IS NULL OR store_id = @storeId) AND (@status IS NULL OR status = @status)
         ORDER BY issued_at DESC, id DESC LIMIT @limit`,
      ),
      get: db.prepare('SELECT * FROM offers WHERE id = ?'),
      issuedBetween: db.prepare('SELECT * FROM offers WHERE site_id = ? AND issued_at >= ? AND issued_at < ? ORDER BY issued_at, id'),
      count: db.prepare(
        `SELECT count(*) AS n FROM offers WHERE site_id = @siteId AND (@storeId IS NULL OR store_id = @storeId) AND day = @day AND kind = @kind
           AND (@memberId IS NULL OR member_id = @memberId) AND (@subject IS NULL OR subject = @subject)`,
      ),
      lastIssued: db.prepare(
        `SELECT max(issued_at) AS at FROM offers WHERE site_id = @siteId AND kind = @kind
           AND (@memberId IS NULL OR member_id = @memberId) AND (@subject IS NULL OR subject = @subject)`,
      ),
      open: db.prepare(`SELECT * FROM offers WHERE member_id = ? AND site_id = ? AND ${OPEN} AND issued_at <= ? AND expires_at > ? ORDER BY expires_at, id`),
      redeem: db.prepare(
        `UPDATE offers SET status = 'redeemed', redeemed_at = @at, redeemed_event_id = @eventId, amount = @amount, currency = @currency
         WHERE id = @id AND ${OPEN} AND expires_at > @at`,
      ),
      expire: db.prepare(`UPDATE offers SET status = 'expired' WHERE ${OPEN} AND expires_at <= ?`),
      redeemedBy: db.prepare(`SELECT id, redeemed_event_id FROM offers WHERE redeemed_event_id IN (SELECT value FROM json_each(?))`),
      delivered: db.prepare(
        `UPDATE offers SET delivered_at = coalesce(delivered_at, @at), status = CASE WHEN status IN ('issued', 'failed') THEN 'delivered' ELSE status END WHERE id = @id`,
      ),
      failed: db.prepare(`UPDATE offers SET status = 'failed' WHERE id = @id AND status = 'issued'`),
      enqueue: db.prepare(`INSERT OR IGNORE INTO offer_deliveries (offer_id, status, attempts, next_attempt_at, updated_at) VALUES (?, 'pending', 0, ?, ?)`),
      due: db.prepare(`SELECT * FROM offer_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, offer_id LIMIT ?`),
      updateDelivery: db.prepare(
        `UPDATE offer_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt, last_status = @lastStatus,
           last_error = @lastError, updated_at = @updatedAt WHERE offer_id = @offerId`,
      ),
      getDelivery: db.prepare('SELECT * FROM offer_deliveries WHERE offer_id = ?'),
      lease: db.prepare(
        `UPDATE offer_deliveries SET lease_owner = @owner, lease_until = @until
         WHERE offer_id IN (SELECT offer_id FROM offer_deliveries WHERE status = 'pending' AND next_attempt_at <= @now
           AND (lease_until IS NULL OR lease_until <= @now) ORDER BY next_attempt_at, offer_id LIMIT @limit)
         RETURNING *`,
      ),
      settle: db.prepare(
        `UPDATE offer_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt, last_status = @lastStatus,
           last_error = @lastError, updated_at = @updatedAt, lease_owner = NULL, lease_until = NULL WHERE offer_id = @offerId AND lease_owner = @owner`,
      ),
    };
  }

  insert(o: Offer): boolean {
    const row = {
      ...o,
      ruleId: o.ruleId ?? null,
      subject: o.subject ?? null,
      storeId: o.storeId ?? null,
      title: o.title ?? '',
      deliveredAt: o.deliveredAt ?? null,
      redeemedAt: o.redeemedAt ?? null,
      redeemedEventId: o.redeemedEventId ?? null,
      amount: o.amount ?? null,
      currency: o.currency ?? null,
    };
    return this.stmt.insert.run(row).changes === 1;
  }

  /** Insert after re-checking cap and budget in one transaction (better-sqlite3 transactions are synchronous, so nothing interleaves). */
  insertWithin(o: Offer, limits: OfferLimits | undefined): { inserted: boolean; refused?: 'cap' | 'budget' } {
    return this.db.transaction(() => {
      const base = { siteId: o.siteId, day: o.day, kind: o.kind };
      if (limits?.perMemberCapPerDay !== undefined) {
        const who = o.memberId !== null ? { memberId: o.memberId } : { subject: o.subject };
        if (this.count({ ...base, storeId: undefined, ...who }) >= limits.perMemberCapPerDay) return { inserted: false, refused: 'cap' as const };
      }
      if (limits?.dailyBudgetPerStore !== undefined && this.count({ ...base, storeId: o.storeId }) >= limits.dailyBudgetPerStore) {
        return { inserted: false, refused: 'budget' as const };
      }
      return { inserted: this.insert(o) };
    })();
  }

  has(memberId: string, siteId: string, day: string, kind: string): boolean {
    return this.stmt.has.get(memberId, siteId, day, kind) !== undefined;
  }

  list(q: OfferQuery): Offer[] {
    const rows = this.stmt.list.all({
      memberId: q.memberId ?? null,
      siteId: q.siteId ?? null,
      storeId: q.storeId ?? null,
      status: q.status ?? null,
      limit: q.limit,
    });
    return (rows as Row[]).map(toOffer);
  }

  get(id: string): Offer | undefined {
    const row = this.stmt.get.get(id) as Row | undefined;
    return row ? toOffer(row) : undefined;
  }

  issuedBetween(siteId: string, from: number, to: number): Offer[] {
    return (this.stmt.issuedBetween.all(siteId, from, to) as Row[]).map(toOffer);
  }

  count(q: { siteId: string; storeId: string | undefined; day: string; kind: string; memberId?: string | undefined; subject?: string | undefined }): number {
    return (this.stmt.count.get({ ...q, storeId: q.storeId ?? null, memberId: q.memberId ?? null, subject: q.subject ?? null }) as { n: number }).n;
  }

  lastIssued(q: { memberId?: string | undefined; subject?: string | undefined; siteId: string; kind: string }): number | undefined {
    const row = this.stmt.lastIssued.get({ siteId: q.siteId, kind: q.kind, memberId: q.memberId ?? null, subject: q.subject ?? null }) as { at: number | null };
    return row.at ?? undefined;
  }

  open(memberId: string, siteId: string, at: number): Offer[] {
    return (this.stmt.open.all(memberId, siteId, at, at) as Row[]).map(toOffer);
  }

  redeem(id: string, r: { at: number; eventId: string; amount: number | undefined; currency: string | undefined }): boolean {
    return this.stmt.redeem.run({ id, at: r.at, eventId: r.eventId, amount: r.amount ?? null, currency: r.currency ?? null }).changes === 1;
  }

  expire(now: number): number {
    return this.stmt.expire.run(now).changes;
  }

  redeemedBy(eventIds: readonly string[]): Map<string, string> {
    const rows = this.stmt.redeemedBy.all(JSON.stringify(eventIds)) as { id: string; redeemed_event_id: string }[];
    return new Map(rows.map((r) => [r.redeemed_event_id, r.id]));
  }

  setDelivery(id: string, outcome: 'delivered' | 'failed', at: number): void {
    if (outcome === 'delivered') this.stmt.delivered.run({ id, at });
    else this.stmt.failed.run({ id });
  }

  enqueue(offerId: string, at: number): void {
    this.stmt.enqueue.run(offerId, at, at);
  }

  due(now: number, limit: number): OfferDelivery[] {
    return (this.stmt.due.all(now, limit) as Row[]).map(toDelivery);
  }

  updateDelivery(d: OfferDelivery): void {
    this.stmt.updateDelivery.run({ ...d, lastStatus: d.lastStatus ?? null, lastError: d.lastError ?? null });
  }

  lease(q: { now: number; limit: number; owner: string; leaseMs: number }): OfferDelivery[] {
    const leased = (this.stmt.lease.all({ owner: q.owner, until: q.now + q.leaseMs, now: q.now, limit: q.limit }) as Row[]).map(toDelivery);
    return leased.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.offerId < b.offerId ? -1 : 1));
  }

  settle(d: OfferDelivery, owner: string): boolean {
    return this.stmt.settle.run({ ...d, lastStatus: d.lastStatus ?? null, lastError: d.lastError ?? null, owner }).changes === 1;
  }

  getDelivery(offerId: string): OfferDelivery | undefined {
    const row = this.stmt.getDelivery.get(offerId) as Row | undefined;
    return row ? toDelivery(row) : undefined;
  }
}
