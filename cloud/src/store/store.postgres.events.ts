import type { PresenceEvent } from '@storesense/protocol';
import type pg from 'pg';
import type { EventQuery, EventRangeQuery, StoredEvent, UnprocessedLeaseQuery } from './cloud-store.js';
import { rows, transaction } from './pg-sql.js';
import type { PgRollupTables } from './store.postgres.rollups.js';

const MONTH_PARTITION = /^events_p\d{6}$/;
/** Events per statement, and statements in flight (each holds one pooled connection). */
const MAX_BATCH = 500;
const MAX_FLUSHES = 4;

type InsertOutcome = { inserted: boolean; owner?: { siteId: string; gatewayId: string } };
interface Pending {
  event: PresenceEvent;
  receivedAt: number;
  resolve: (outcome: InsertOutcome) => void;
  reject: (error: unknown) => void;
}

/** UTC month bounds (ms) of the partition holding event time `at`, and its table name. */
export function monthPartition(at: number): { name: string; from: number; to: number } {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const name = `events_p${String(y).padStart(4, '0')}${String(m + 1).padStart(2, '0')}`;
  if (!MONTH_PARTITION.test(name)) throw new Error(`event time ${at} is outside the partitioned range`);
  return { name, from: Date.UTC(y, m, 1), to: Date.UTC(y, m + 1, 1) };
}

/**
 * Events in a table range-partitioned by month of `at` (decision 76): retention drops a month, and
 * range queries touch only the months they span. Partitions are created on first use; the names
 * known to exist are cached per process.
 */
export class PgEventTables {
  private readonly partitions = new Set<string>();
  private readonly queue: Pending[] = [];
  private flushing = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly rollups: PgRollupTables,
  ) {}

  async ensurePartition(at: number): Promise<void> {
    const p = monthPartition(at);
    if (this.partitions.has(p.name)) return;
    try {
      await this.pool.query(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF events FOR VALUES FROM (${p.from}) TO (${p.to})`);
    } catch (error) {
      // Another node created it between IF NOT EXISTS and the insert into the catalog.
      if ((error as { code?: string }).code !== '42P07') throw error;
    }
    this.partitions.add(p.name);
  }

  /**
   * Stores an event once by id. Calls arriving while a write is in flight are coalesced into one
   * multi-row statement (group commit: one round trip and one WAL flush for many events), up to
   * MAX_BATCH per statement and MAX_FLUSHES statements at a time; each caller still resolves only
   * after its own event is committed, so an ack always follows durability.
   */
  insert(event: PresenceEvent, receivedAt: number): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, receivedAt, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.flushing < MAX_FLUSHES && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.flushing++;
      this.flushOrSplit(batch).finally(() => {
        this.flushing--;
        this.pump();
      });
    }
  }

  /**
   * One bad event must not fail its neighbours: a failed batch is retried in halves, down to the
   * event that fails alone (log2(n) rounds for one bad event, not n single-event transactions).
   */
  private async flushOrSplit(batch: Pending[]): Promise<void> {
    try {
      await this.flush(batch);
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else {
        const half = Math.ceil(batch.length / 2);
        await Promise.all([this.flushOrSplit(batch.slice(0, half)), this.flushOrSplit(batch.slice(half))]);
      }
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    for (const at of new Set(batch.map((p) => monthPartition(p.event.at).from))) await this.ensurePartition(at);
    // The first occurrence of an id in the batch is the candidate; later ones are re-sends.
    const first = new Map<string, Pending>();
    for (const p of batch) if (!first.has(p.event.id)) first.set(p.event.id, p);
    const cand = [...first.values()];
    const col = <T>(f: (p: Pending) => T): T[] => cand.map(f);
    // One statement: claiming the ids and inserting their events commit together, so a crash cannot
    // leave a claimed id without its event, and concurrent nodes store an id exactly once. The
    // rollups of the events it stored commit in the same transaction (decision 120).
    const claimed = await transaction(this.pool, async (c) => {
      const stored = await rows(
        c,
        `WITH input AS (
         SELECT * FROM unnest(@ids::text[], @sites::text[], @gws::text[], @seqs::bigint[], @types::text[], @ats::bigint[], @recv::bigint[],
           @stores::text[], @members::text[], @bodies::jsonb[]) AS t(id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body)),
       claim AS (
         INSERT INTO event_ids (id, site_id, gateway_id, at) SELECT id, site_id, gateway_id, at FROM input ON CONFLICT (id) DO NOTHING RETURNING id),
       stored AS (
         INSERT INTO events (id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body)
         SELECT i.id, i.site_id, i.gateway_id, i.seq, i.type, i.at, i.received_at, i.store_id, i.member_id, i.body FROM input i JOIN claim USING (id)
         RETURNING id)
       SELECT id FROM stored`,
        {
          ids: col((p) => p.event.id),
          sites: col((p) => p.event.siteId),
          gws: col((p) => p.event.gatewayId),
          seqs: col((p) => p.event.seq),
          types: col((p) => p.event.type),
          ats: col((p) => p.event.at),
          recv: col((p) => p.receivedAt),
          stores: col((p) => p.event.storeId ?? null),
          members: col((p) => p.event.subject.memberId ?? null),
          bodies: col((p) => JSON.stringify(p.event)),
        },
      );
      const ids = new Set(stored.map((r) => r.id as string));
      await this.rollups.apply(
        c,
        cand.filter((p) => ids.has(p.event.id)).map((p) => p.event),
      );
      return stored;
    });
    const inserted = new Set(claimed.map((r) => r.id as string));
    const others = batch.filter((p) => !(inserted.has(p.event.id) && first.get(p.event.id) === p));
    const owners = new Map<string, { siteId: string; gatewayId: string }>();
    if (others.length > 0) {
      const r = await rows(this.pool, 'SELECT id, site_id, gateway_id FROM event_ids WHERE id = ANY(@ids::text[])', {
        ids: [...new Set(others.map((p) => p.event.id))],
      });
      for (const x of r) owners.set(x.id as string, { siteId: x.site_id as string, gatewayId: x.gateway_id as string });
    }
    for (const p of batch) {
      if (inserted.has(p.event.id) && first.get(p.event.id) === p) p.resolve({ inserted: true });
      else {
        const owner = owners.get(p.event.id);
        p.resolve({ inserted: false, ...(owner ? { owner } : {}) });
      }
    }
  }

  async markProcessed(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await rows(this.pool, 'DELETE FROM events_unprocessed WHERE id = ANY(@ids::text[])', { ids: [...ids] });
  }

  /** Leased with SKIP LOCKED: two nodes sweeping at once take disjoint events (decision 170). */
  async leaseUnprocessed(q: UnprocessedLeaseQuery): Promise<PresenceEvent[]> {
    const leased = await rows(
      this.pool,
      `WITH picked AS (
         SELECT id FROM events_unprocessed
         WHERE received_at < @receivedBefore AND attempts < @maxAttempts AND (lease_until IS NULL OR lease_until <= @now)
         ORDER BY received_at, id LIMIT @limit FOR UPDATE SKIP LOCKED)
       UPDATE events_unprocessed u SET lease_owner = @owner, lease_until = @until, attempts = u.attempts + 1
       FROM picked WHERE u.id = picked.id RETURNING u.id, u.at`,
      { owner: q.owner, until: q.now + q.leaseMs, now: q.now, receivedBefore: q.receivedBefore, maxAttempts: q.maxAttempts, limit: q.limit },
    );
    if (leased.length === 0) return [];
    const found = await rows(this.pool, 'SELECT id, body FROM events WHERE id = ANY(@ids::text[]) AND at = ANY(@ats::bigint[])', {
      ids: leased.map((r) => r.id as string),
      ats: [...new Set(leased.map((r) => r.at as number))],
    });
    const bodies = new Map(found.map((r) => [r.id as string, r.body as PresenceEvent]));
    // An event dropped since (retention) has nothing left to process.
    await this.markProcessed(leased.map((r) => r.id as string).filter((id) => !bodies.has(id)));
    return [...bodies.values()].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  }

  async list(q: EventQuery): Promise<StoredEvent[]> {
    const r = await rows(
      this.pool,
      `SELECT body, received_at FROM events
       WHERE (@siteId::text IS NULL OR site_id = @siteId) AND (@type::text IS NULL OR type = @type) AND (@since::bigint IS NULL OR at >= @since)
       ORDER BY at DESC, id DESC LIMIT @limit`,
      { siteId: q.siteId ?? null, type: q.type ?? null, since: q.since ?? null, limit: q.limit },
    );
    return r.map((x) => ({ event: x.body as PresenceEvent, receivedAt: x.received_at as number }));
  }

  async inRange(q: EventRangeQuery): Promise<PresenceEvent[]> {
    const r = await rows(
      this.pool,
      `SELECT body FROM events WHERE site_id = @siteId AND at >= @from AND at < @to AND (@types::text[] IS NULL OR type = ANY(@types))
       ORDER BY at, id`,
      { siteId: q.siteId, from: q.from, to: q.to, types: q.types ? [...q.types] : null },
    );
    return r.map((x) => x.body as PresenceEvent);
  }
}
