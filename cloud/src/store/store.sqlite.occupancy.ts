import type Database from 'better-sqlite3';
import type { OccupancyReport } from '@storesense/protocol';
import type { OccupancySeries, OccupancySeriesQuery } from './cloud-store.js';
import type { Row } from './store.sqlite.rows.js';

/**
 * WiFi occupancy counts per store minute and hour (decision 45): counts only, keyed
 * by (site, store, period start) so a republished period replaces the stored one.
 */
export class SqliteOccupancyTables {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      putMinute: db.prepare(
        `INSERT INTO occupancy_minutes (site_id, store_id, start, gateway_id, occupancy, addresses, fixed, received_at)
         VALUES (@siteId, @storeId, @start, @gatewayId, @occupancy, @addresses, @fixed, @receivedAt)
         ON CONFLICT (site_id, store_id, start) DO UPDATE SET gateway_id = excluded.gateway_id, occupancy = excluded.occupancy,
           addresses = excluded.addresses, fixed = excluded.fixed, received_at = excluded.received_at`,
      ),
      putHour: db.prepare(
        `INSERT INTO occupancy_hours (site_id, store_id, start, gateway_id, unique_visitors, received_at)
         VALUES (@siteId, @storeId, @start, @gatewayId, @uniqueVisitors, @receivedAt)
         ON CONFLICT (site_id, store_id, start) DO UPDATE SET gateway_id = excluded.gateway_id,
           unique_visitors = excluded.unique_visitors, received_at = excluded.received_at`,
      ),
      minutes: db.prepare(
        `SELECT start, occupancy, addresses, fixed FROM occupancy_minutes
         WHERE site_id = @siteId AND store_id = @storeId AND start >= @from AND start < @to ORDER BY start`,
      ),
      hours: db.prepare(
        `SELECT start, unique_visitors FROM occupancy_hours
         WHERE site_id = @siteId AND store_id = @storeId AND start >= @from AND start < @to ORDER BY start`,
      ),
    };
  }

  put(siteId: string, gatewayId: string, report: OccupancyReport, receivedAt: number): void {
    this.db.transaction(() => {
      for (const m of report.minutes) this.stmt.putMinute.run({ siteId, gatewayId, storeId: report.storeId, receivedAt, ...m });
      for (const h of report.hours) this.stmt.putHour.run({ siteId, gatewayId, storeId: report.storeId, receivedAt, ...h });
    })();
  }

  series(q: OccupancySeriesQuery): OccupancySeries {
    const args = { siteId: q.siteId, storeId: q.storeId, from: q.from, to: q.to };
    return {
      minutes: (this.stmt.minutes.all(args) as Row[]).map((r) => ({
        start: r.start as number,
        occupancy: r.occupancy as number,
        addresses: r.addresses as number,
        fixed: r.fixed as number,
      })),
      hours: (this.stmt.hours.all(args) as Row[]).map((r) => ({ start: r.start as number, uniqueVisitors: r.unique_visitors as number })),
    };
  }
}
