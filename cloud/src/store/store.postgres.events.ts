import type { PresenceEvent } from '@storesense/protocol';
import type pg from 'pg';
import type { EventQuery, EventRangeQuery, StoredEvent } from './cloud-store.js';
import { one, rows, run } from './pg-sql.js';

const MONTH_PARTITION = /^events_p\d{6}$/;

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

  constructor(private readonly pool: pg.Pool) {}

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

  async insert(event: PresenceEvent, receivedAt: number): Promise<{ inserted: boolean; owner?: { siteId: string; gatewayId: string } }> {
    await this.ensurePartition(event.at);
    // One statement: claiming the id and inserting the event commit together, so a crash cannot
    // leave a claimed id without its event, and concurrent nodes store an id exactly once.
    const result = await run(
      this.pool,
      `WITH claim AS (
         INSERT INTO event_ids (id, site_id, gateway_id, at) VALUES (@id, @siteId, @gatewayId, @at) ON CONFLICT (id) DO NOTHING RETURNING id)
       INSERT INTO events (id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body)
       SELECT claim.id, @siteId, @gatewayId, @seq, @type, @at, @receivedAt, @storeId, @memberId, @body FROM claim`,
      {
        id: event.id, siteId: event.siteId, gatewayId: event.gatewayId, seq: event.seq, type: event.type, at: event.at, receivedAt,
        storeId: event.storeId ?? null, memberId: event.subject.memberId ?? null, body: JSON.stringify(event),
      },
    );
    if (result.rowCount === 1) return { inserted: true };
    const owner = await one(this.pool, 'SELECT site_id, gateway_id FROM event_ids WHERE id = @id', { id: event.id });
    return { inserted: false, ...(owner ? { owner: { siteId: owner.site_id as string, gatewayId: owner.gateway_id as string } } : {}) };
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
