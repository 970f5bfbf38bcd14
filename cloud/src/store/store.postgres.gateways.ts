import type pg from 'pg';
import type { ConnState, GapReport, GatewayHealth, OccupancyReport } from '@storesense/protocol';
import type { Rule } from '../rules/rule.schema.js';
import type { GatewayCredential, GatewayStatus, OccupancySeries, OccupancySeriesQuery, StoredGap } from './cloud-store.js';
import { one, rows, run, transaction } from './pg-sql.js';
import { toCredential, toGatewayStatus, toStoredGap } from './store.sqlite.rows.js';

/** Gateway credentials and status, gap records, occupancy counts and rules of the PostgreSQL store. */
export class PgGatewayTables {
  constructor(private readonly pool: pg.Pool) {}

  async upsertCredential(c: GatewayCredential): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO gateways (site_id, gateway_id, username, password_hash, salt, provisioned_at)
       VALUES (@siteId, @gatewayId, @username, @passwordHash, @salt, @provisionedAt)
       ON CONFLICT (site_id, gateway_id) DO UPDATE SET username = excluded.username,
         password_hash = excluded.password_hash, salt = excluded.salt, provisioned_at = excluded.provisioned_at`,
      { ...c },
    );
  }

  async getCredential(username: string): Promise<GatewayCredential | undefined> {
    const r = await one(this.pool, 'SELECT * FROM gateways WHERE username = @username', { username });
    return r ? toCredential(r) : undefined;
  }

  async listCredentials(siteId?: string): Promise<GatewayCredential[]> {
    return (
      await rows(this.pool, 'SELECT * FROM gateways WHERE (@siteId::text IS NULL OR site_id = @siteId) ORDER BY site_id, gateway_id', {
        siteId: siteId ?? null,
      })
    ).map(toCredential);
  }

  async updateConn(siteId: string, gatewayId: string, conn: ConnState, receivedAt: number): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO gateway_status (site_id, gateway_id, conn_state, conn_at, conn_version, conn_received_at)
       VALUES (@siteId, @gatewayId, @state, @at, @version, @receivedAt)
       ON CONFLICT (site_id, gateway_id) DO UPDATE SET conn_state = excluded.conn_state, conn_at = excluded.conn_at,
         conn_version = excluded.conn_version, conn_received_at = excluded.conn_received_at`,
      { siteId, gatewayId, state: conn.state, at: conn.at, version: conn.version, receivedAt },
    );
  }

  async updateHealth(siteId: string, gatewayId: string, health: GatewayHealth, receivedAt: number): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO gateway_status (site_id, gateway_id, health, health_received_at) VALUES (@siteId, @gatewayId, @health, @receivedAt)
       ON CONFLICT (site_id, gateway_id) DO UPDATE SET health = excluded.health, health_received_at = excluded.health_received_at`,
      { siteId, gatewayId, health: JSON.stringify(health), receivedAt },
    );
  }

  async list(): Promise<GatewayStatus[]> {
    const r = await rows(
      this.pool,
      `SELECT k.site_id, k.gateway_id, (g.username IS NOT NULL)::int AS provisioned, s.conn_state, s.conn_at, s.conn_version,
              s.conn_received_at, s.health, s.health_received_at, x.gap_records, x.gap_dropped, x.gap_last_at
       FROM (SELECT site_id, gateway_id FROM gateways UNION SELECT site_id, gateway_id FROM gateway_status
             UNION SELECT site_id, gateway_id FROM gaps) k
       LEFT JOIN gateways g ON g.site_id = k.site_id AND g.gateway_id = k.gateway_id
       LEFT JOIN gateway_status s ON s.site_id = k.site_id AND s.gateway_id = k.gateway_id
       LEFT JOIN (SELECT site_id, gateway_id, count(*) AS gap_records, sum(count) AS gap_dropped, max(at) AS gap_last_at
                  FROM gaps GROUP BY site_id, gateway_id) x ON x.site_id = k.site_id AND x.gateway_id = k.gateway_id
       ORDER BY k.site_id, k.gateway_id`,
    );
    return r.map(toGatewayStatus);
  }

  async insertGap(gap: GapReport, receivedAt: number): Promise<{ inserted: boolean }> {
    const r = await run(
      this.pool,
      `INSERT INTO gaps (id, site_id, gateway_id, at, reason, count, from_seq, to_seq, from_at, to_at, received_at)
       VALUES (@id, @siteId, @gatewayId, @at, @reason, @count, @fromSeq, @toSeq, @fromAt, @toAt, @receivedAt) ON CONFLICT (id) DO NOTHING`,
      {
        id: gap.id,
        siteId: gap.siteId,
        gatewayId: gap.gatewayId,
        at: gap.at,
        reason: gap.reason,
        count: gap.count,
        fromSeq: gap.fromSeq,
        toSeq: gap.toSeq,
        fromAt: gap.fromAt,
        toAt: gap.toAt,
        receivedAt,
      },
    );
    return { inserted: r.rowCount === 1 };
  }

  async listGaps(q: { siteId?: string | undefined; gatewayId?: string | undefined; since?: number | undefined; limit: number }): Promise<StoredGap[]> {
    const r = await rows(
      this.pool,
      `SELECT * FROM gaps WHERE (@siteId::text IS NULL OR site_id = @siteId) AND (@gatewayId::text IS NULL OR gateway_id = @gatewayId)
         AND received_at >= @since ORDER BY at DESC, id DESC LIMIT @limit`,
      { siteId: q.siteId ?? null, gatewayId: q.gatewayId ?? null, since: q.since ?? 0, limit: q.limit },
    );
    return r.map(toStoredGap);
  }

  /** A report's minutes and hours in two batched upserts (unnest), in one transaction. */
  async putOccupancy(siteId: string, gatewayId: string, report: OccupancyReport, receivedAt: number): Promise<void> {
    const base = { siteId, gatewayId, storeId: report.storeId, receivedAt };
    await transaction(this.pool, async (c) => {
      if (report.minutes.length > 0) {
        await run(
          c,
          `INSERT INTO occupancy_minutes (site_id, store_id, start, gateway_id, occupancy, addresses, fixed, received_at)
           SELECT @siteId, @storeId, s, @gatewayId, o, a, f, @receivedAt::bigint FROM unnest(@starts::bigint[], @occ::float8[], @addr::int[], @fixed::int[]) AS t(s, o, a, f)
           ON CONFLICT (site_id, store_id, start) DO UPDATE SET gateway_id = excluded.gateway_id, occupancy = excluded.occupancy,
             addresses = excluded.addresses, fixed = excluded.fixed, received_at = excluded.received_at`,
          {
            ...base,
            starts: report.minutes.map((m) => m.start),
            occ: report.minutes.map((m) => m.occupancy),
            addr: report.minutes.map((m) => m.addresses),
            fixed: report.minutes.map((m) => m.fixed),
          },
        );
      }
      if (report.hours.length > 0) {
        await run(
          c,
          `INSERT INTO occupancy_hours (site_id, store_id, start, gateway_id, unique_visitors, received_at)
           SELECT @siteId, @storeId, s, @gatewayId, u, @receivedAt::bigint FROM unnest(@starts::bigint[], @uv::int[]) AS t(s, u)
           ON CONFLICT (site_id, store_id, start) DO UPDATE SET gateway_id = excluded.gateway_id,
             unique_visitors = excluded.unique_visitors, received_at = excluded.received_at`,
          { ...base, starts: report.hours.map((h) => h.start), uv: report.hours.map((h) => h.uniqueVisitors) },
        );
      }
    });
  }

  async occupancySeries(q: OccupancySeriesQuery): Promise<OccupancySeries> {
    const args = { siteId: q.siteId, storeId: q.storeId, from: q.from, to: q.to };
    const where = 'WHERE site_id = @siteId AND store_id = @storeId AND start >= @from AND start < @to ORDER BY start';
    const minutes = await rows(this.pool, `SELECT start, occupancy, addresses, fixed FROM occupancy_minutes ${where}`, args);
    const hours = await rows(this.pool, `SELECT start, unique_visitors FROM occupancy_hours ${where}`, args);
    return {
      minutes: minutes.map((r) => ({ start: r.start as number, occupancy: r.occupancy as number, addresses: r.addresses as number, fixed: r.fixed as number })),
      hours: hours.map((r) => ({ start: r.start as number, uniqueVisitors: r.unique_visitors as number })),
    };
  }

  async listRules(): Promise<Rule[]> {
    return (await rows(this.pool, 'SELECT body FROM rules ORDER BY position, id')).map((r) => r.body as Rule);
  }

  async getRule(id: string): Promise<Rule | undefined> {
    return (await one(this.pool, 'SELECT body FROM rules WHERE id = @id', { id }))?.body as Rule | undefined;
  }

  /** Upsert; a new rule goes last (position under a table lock so two nodes cannot take one place). */
  async putRule(rule: Rule, at: number): Promise<{ created: boolean }> {
    return transaction(this.pool, async (c) => {
      await c.query('LOCK TABLE rules IN SHARE ROW EXCLUSIVE MODE');
      const r = await one(
        c,
        `INSERT INTO rules (id, position, enabled, body, updated_at) VALUES (@id, (SELECT coalesce(max(position), -1) + 1 FROM rules), @enabled, @body, @at)
         ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, body = excluded.body, updated_at = excluded.updated_at RETURNING (xmax = 0) AS created`,
        { id: rule.id, enabled: rule.enabled, body: JSON.stringify(rule), at },
      );
      return { created: r?.created === true };
    });
  }

  async deleteRule(id: string): Promise<boolean> {
    return ((await run(this.pool, 'DELETE FROM rules WHERE id = @id', { id })).rowCount ?? 0) > 0;
  }
}
