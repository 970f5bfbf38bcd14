import type Database from 'better-sqlite3';
import type { ConnState, GapReport, GatewayHealth } from '@storesense/protocol';
import type { GatewayCredential, GatewayStatus, StoredGap } from './cloud-store.js';
import { toCredential, toGatewayStatus, toStoredGap, type Row } from './store.sqlite.rows.js';

/** The gateways (credentials) and gateway_status (retained state topics) tables (migration 1), and gap records (migration 6). */
export class SqliteGatewayTables {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      upsertCredential: db.prepare(
        `INSERT INTO gateways (site_id, gateway_id, username, password_hash, salt, provisioned_at)
         VALUES (@siteId, @gatewayId, @username, @passwordHash, @salt, @provisionedAt)
         ON CONFLICT (site_id, gateway_id) DO UPDATE SET username = excluded.username,
           password_hash = excluded.password_hash, salt = excluded.salt, provisioned_at = excluded.provisioned_at`,
      ),
      getCredential: db.prepare('SELECT * FROM gateways WHERE username = ?'),
      listCredentials: db.prepare('SELECT * FROM gateways WHERE (@siteId IS NULL OR site_id = @siteId) ORDER BY site_id, gateway_id'),
      updateConn: db.prepare(
        `INSERT INTO gateway_status (site_id, gateway_id, conn_state, conn_at, conn_version, conn_received_at)
         VALUES (@siteId, @gatewayId, @state, @at, @version, @receivedAt)
         ON CONFLICT (site_id, gateway_id) DO UPDATE SET conn_state = excluded.conn_state, conn_at = excluded.conn_at,
           conn_version = excluded.conn_version, conn_received_at = excluded.conn_received_at`,
      ),
      updateHealth: db.prepare(
        `INSERT INTO gateway_status (site_id, gateway_id, health, health_received_at)
         VALUES (@siteId, @gatewayId, @health, @receivedAt)
         ON CONFLICT (site_id, gateway_id) DO UPDATE SET health = excluded.health, health_received_at = excluded.health_received_at`,
      ),
      listGateways: db.prepare(
        `SELECT k.site_id, k.gateway_id, g.username IS NOT NULL AS provisioned, s.conn_state, s.conn_at, s.conn_version,
                s.conn_received_at, s.health, s.health_received_at, x.gap_records, x.gap_dropped, x.gap_last_at
         FROM (SELECT site_id, gateway_id FROM gateways UNION SELECT site_id, gateway_id FROM gateway_status
               UNION SELECT site_id, gateway_id FROM gaps) k
         LEFT JOIN gateways g ON g.site_id = k.site_id AND g.gateway_id = k.gateway_id
         LEFT JOIN gateway_status s ON s.site_id = k.site_id AND s.gateway_id = k.gateway_id
         LEFT JOIN (SELECT site_id, gateway_id, count(*) AS gap_records, sum(count) AS gap_dropped, max(at) AS gap_last_at
                    FROM gaps GROUP BY site_id, gateway_id) x ON x.site_id = k.site_id AND x.gateway_id = k.gateway_id
         ORDER BY k.site_id, k.gateway_id`,
      ),
      insertGap: db.prepare(
        `INSERT INTO gaps (id, site_id, gateway_id, at, reason, count, from_seq, to_seq, from_at, to_at, received_at)
         VALUES (@id, @siteId, @gatewayId, @at, @reason, @count, @fromSeq, @toSeq, @fromAt, @toAt, @receivedAt)
         ON CONFLICT (id) DO NOTHING`,
      ),
      listGaps: db.prepare(
        `SELECT * FROM gaps WHERE (@siteId IS NULL OR site_id = @siteId) AND (@gatewayId IS NULL OR gateway_id = @gatewayId)
           AND received_at >= @since ORDER BY at DESC, id DESC LIMIT @limit`,
      ),
    };
  }

  upsertCredential(c: GatewayCredential): void {
    this.stmt.upsertCredential.run({ ...c });
  }

  getCredential(username: string): GatewayCredential | undefined {
    const row = this.stmt.getCredential.get(username) as Row | undefined;
    return row ? toCredential(row) : undefined;
  }

  listCredentials(siteId?: string): GatewayCredential[] {
    return (this.stmt.listCredentials.all({ siteId: siteId ?? null }) as Row[]).map(toCredential);
  }

  updateConn(siteId: string, gatewayId: string, conn: ConnState, receivedAt: number): void {
    this.stmt.updateConn.run({ siteId, gatewayId, state: conn.state, at: conn.at, version: conn.version, receivedAt });
  }

  insertGap(gap: GapReport, receivedAt: number): { inserted: boolean } {
    const { v: _v, ...g } = gap;
    return { inserted: this.stmt.insertGap.run({ ...g, receivedAt }).changes === 1 };
  }

  listGaps(q: { siteId?: string | undefined; gatewayId?: string | undefined; since?: number | undefined; limit: number }): StoredGap[] {
    const rows = this.stmt.listGaps.all({ siteId: q.siteId ?? null, gatewayId: q.gatewayId ?? null, since: q.since ?? 0, limit: q.limit }) as Row[];
    return rows.map(toStoredGap);
  }

  updateHealth(siteId: string, gatewayId: string, health: GatewayHealth, receivedAt: number): void {
    this.stmt.updateHealth.run({ siteId, gatewayId, health: JSON.stringify(health), receivedAt });
  }

  list(): GatewayStatus[] {
    return (this.stmt.listGateways.all() as Row[]).map(toGatewayStatus);
  }
}
