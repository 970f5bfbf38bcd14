import type { PresenceEvent } from '@storesense/protocol';
import type Database from 'better-sqlite3';
import {
  contributionOf,
  HOUR_MS,
  sortedDwellStats,
  MULTI_HOUR_STAGES,
  NO_FLOOR,
  ROLLUP_COUNTERS,
  VISIT_STAGES,
  type DwellRollup,
  type FlowRollup,
  type FootfallRollup,
  type ReturningRollup,
  type RollupHourRow,
  type RollupRange,
} from './rollups.js';
import type { Row } from './store.sqlite.rows.js';

/** Events read per transaction while backfilling the rollups of a database from before them. */
const BACKFILL_CHUNK = 5_000;

/**
 * The hourly rollups of SQLite (decision 120): `apply` runs inside the transaction that inserted
 * the event, and only when it was new; the readers answer the analytics from them.
 */
export class SqliteRollupTables {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    const cols = ROLLUP_COUNTERS.join(', ');
    this.stmt = {
      upsertCell: db.prepare(
        `INSERT INTO rollup_hours (site_id, store_id, zone_id, floor, hour, ${cols})
         VALUES (@siteId, @storeId, @zoneId, @floor, @hour, ${ROLLUP_COUNTERS.map((c) => `@${c}`).join(', ')})
         ON CONFLICT (site_id, hour, store_id, zone_id, floor) DO UPDATE SET ${ROLLUP_COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
      ),
      visitHour: db.prepare(
        `INSERT OR IGNORE INTO rollup_visit_hours (site_id, store_id, type, subject_id, visit_id, hour)
         VALUES (@siteId, @storeId, @type, @subjectId, @visitId, @hour)`,
      ),
      visitHours: db.prepare(
        `SELECT hour FROM rollup_visit_hours WHERE site_id = @siteId AND store_id = @storeId AND type = @type AND subject_id = @subjectId AND visit_id = @visitId`,
      ),
      multi: db.prepare(
        `INSERT OR IGNORE INTO rollup_multi_visits (site_id, store_id, type, subject_id, visit_id, hour)
         VALUES (@siteId, @storeId, @type, @subjectId, @visitId, @hour)`,
      ),
      flow: db.prepare(
        `INSERT INTO rollup_floor_flows (site_id, store_id, from_floor, to_floor, hour, n) VALUES (@siteId, @storeId, @fromFloor, @toFloor, @hour, 1)
         ON CONFLICT (site_id, hour, store_id, from_floor, to_floor) DO UPDATE SET n = n + 1`,
      ),
      arrival: db.prepare('INSERT OR IGNORE INTO rollup_arrivals (id, site_id, at, subject_id, member_id) VALUES (@id, @siteId, @at, @subjectId, @memberId)'),
      dwellEnd: db.prepare(
        'INSERT OR IGNORE INTO rollup_dwell_ends (id, site_id, store_id, zone_id, at, dwell_ms) VALUES (@id, @siteId, @storeId, @zoneId, @at, @dwellMs)',
      ),
      footfallHours: db.prepare(
        `SELECT store_id, hour, sum(approach_visits) AS approaches, sum(arrival_visits) AS arrivals FROM rollup_hours
         WHERE site_id = @siteId AND hour >= @from AND hour < @to GROUP BY store_id, hour HAVING sum(approach_visits) > 0 OR sum(arrival_visits) > 0`,
      ),
      footfallMulti: db.prepare(
        'SELECT store_id, type, subject_id, visit_id, hour FROM rollup_multi_visits WHERE site_id = @siteId AND hour >= @from AND hour < @to',
      ),
      flows: db.prepare(
        `SELECT store_id, from_floor, to_floor, sum(n) AS n FROM rollup_floor_flows WHERE site_id = @siteId AND hour >= @from AND hour < @to
         GROUP BY store_id, from_floor, to_floor`,
      ),
      // The zones with dwell ends in the hours around the range (a superset), then each zone's values.
      dwellZones: db.prepare(
        `SELECT DISTINCT store_id, zone_id FROM rollup_hours WHERE site_id = @siteId AND hour >= @fromHour AND hour < @toHour AND dwell_ends > 0
           AND (@storeId IS NULL OR store_id = @storeId) AND (@zoneId IS NULL OR zone_id = @zoneId)`,
      ),
      dwellZoneValues: db.prepare(
        `SELECT dwell_ms FROM rollup_dwell_ends INDEXED BY rollup_dwell_ends_zone_at
         WHERE site_id = @siteId AND store_id = @storeId AND zone_id = @zoneId AND at >= @from AND at < @to`,
      ),
      returning: db.prepare(
        `WITH a AS (SELECT subject_id, member_id FROM rollup_arrivals WHERE site_id = @siteId AND at >= @from AND at < @to),
              s AS (SELECT count(*) AS n FROM a GROUP BY subject_id),
              m AS (SELECT count(*) AS n FROM a WHERE member_id IS NOT NULL GROUP BY member_id)
         SELECT (SELECT count(*) FROM a) AS arrivals, (SELECT count(*) FROM s) AS subjects, (SELECT count(*) FROM s WHERE n > 1) AS returning_subjects,
                (SELECT coalesce(sum(n), 0) FROM m) AS member_arrivals, (SELECT count(*) FROM m) AS members, (SELECT count(*) FROM m WHERE n > 1) AS returning_members`,
      ),
      repeatMembers: db.prepare(
        // One scan and a sort (as on PostgreSQL, where an IN over the grouped members became a
        // nested loop on a freshly backfilled table).
        `SELECT member_id, at FROM (
           SELECT member_id, at, count(*) OVER (PARTITION BY member_id) AS n FROM rollup_arrivals
           WHERE site_id = @siteId AND at >= @from AND at < @to AND member_id IS NOT NULL) x
         WHERE n > 1`,
      ),
      hours: db.prepare(
        `SELECT * FROM rollup_hours WHERE site_id = @siteId AND hour >= @from AND hour < @to AND (@storeId IS NULL OR store_id = @storeId)
         ORDER BY hour, store_id, floor, zone_id`,
      ),
      eraseMember: db.prepare('UPDATE rollup_arrivals SET member_id = @p WHERE member_id = @m'),
      backfilled: db.prepare('SELECT backfilled FROM rollup_state WHERE id = 1'),
      markBackfilled: db.prepare('UPDATE rollup_state SET backfilled = 1 WHERE id = 1'),
      eventsAfter: db.prepare('SELECT rowid AS r, body FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?'),
    };
  }

  /** Adds a newly stored event to the rollups; call inside the transaction that inserted it. */
  apply(e: PresenceEvent): void {
    const c = contributionOf(e);
    const counters: Record<string, number> = {};
    for (const name of ROLLUP_COUNTERS) counters[name] = c.counters[name] ?? 0;
    if (c.visitHour && this.stmt.visitHour.run(c.visitHour).changes === 1) {
      counters[VISIT_STAGES[c.visitHour.type as keyof typeof VISIT_STAGES]] = 1;
      if (MULTI_HOUR_STAGES.includes(c.visitHour.type)) {
        const { hour: _hour, ...visit } = c.visitHour;
        const hours = this.stmt.visitHours.all(visit) as { hour: number }[];
        if (hours.length > 1) for (const h of hours) this.stmt.multi.run({ ...visit, hour: h.hour });
      }
    }
    this.stmt.upsertCell.run({ ...c.cell, ...counters });
    if (c.flow) this.stmt.flow.run(c.flow);
    if (c.arrival) this.stmt.arrival.run(c.arrival);
    if (c.dwellEnd) this.stmt.dwellEnd.run(c.dwellEnd);
  }

  /**
   * Rolls up the events of a database migrated from before the rollups (migration 11), in chunks
   * of one transaction each, then marks it done; a crash in between redoes it from scratch.
   */
  backfill(): number {
    if ((this.stmt.backfilled.get() as { backfilled: number }).backfilled === 1) return 0;
    this.db.exec(
      'DELETE FROM rollup_hours; DELETE FROM rollup_visit_hours; DELETE FROM rollup_multi_visits; DELETE FROM rollup_floor_flows; DELETE FROM rollup_arrivals; DELETE FROM rollup_dwell_ends;',
    );
    let after = 0;
    let n = 0;
    for (;;) {
      const rows = this.stmt.eventsAfter.all(after, BACKFILL_CHUNK) as { r: number; body: string }[];
      if (rows.length === 0) break;
      this.db.transaction(() => {
        for (const row of rows) this.apply(JSON.parse(row.body) as PresenceEvent);
      })();
      after = rows[rows.length - 1]!.r;
      n += rows.length;
    }
    this.stmt.markBackfilled.run();
    return n;
  }

  footfall(q: RollupRange): FootfallRollup {
    const hours = (this.stmt.footfallHours.all(q) as Row[]).map((r) => ({
      storeId: r.store_id as string,
      hour: r.hour as number,
      approaches: r.approaches as number,
      arrivals: r.arrivals as number,
    }));
    const multi = (this.stmt.footfallMulti.all(q) as Row[]).map((r) => ({
      storeId: r.store_id as string,
      type: r.type as 'approach' | 'arrival',
      subjectId: r.subject_id as string,
      visitId: r.visit_id as string,
      hour: r.hour as number,
    }));
    return { hours, multi };
  }

  floorFlows(q: RollupRange): FlowRollup[] {
    return (this.stmt.flows.all(q) as Row[]).map((r) => ({
      storeId: r.store_id as string,
      fromFloor: r.from_floor as number,
      toFloor: r.to_floor as number,
      count: r.n as number,
    }));
  }

  /**
   * One zone at a time (its own index range), yielding to the event loop between zones, so a long
   * range never blocks ingest for more than one zone's values (decision 123); the store and site
   * figures merge the zones' sorted values.
   */
  async dwell(q: RollupRange & { storeId?: string | undefined; zoneId?: string | undefined }): Promise<DwellRollup> {
    const zones = (
      this.stmt.dwellZones.all({
        siteId: q.siteId,
        fromHour: Math.floor(q.from / HOUR_MS) * HOUR_MS,
        toHour: Math.ceil(q.to / HOUR_MS) * HOUR_MS,
        storeId: q.storeId ?? null,
        zoneId: q.zoneId ?? null,
      }) as { store_id: string; zone_id: string }[]
    ).sort((a, b) => (a.store_id < b.store_id ? -1 : a.store_id > b.store_id ? 1 : a.zone_id < b.zone_id ? -1 : a.zone_id > b.zone_id ? 1 : 0));
    const zoneStats: DwellRollup['zones'] = [];
    const byStore = new Map<string, Float64Array[]>();
    const all: Float64Array[] = [];
    for (const z of zones) {
      const values = Float64Array.from(
        this.stmt.dwellZoneValues.pluck().all({ siteId: q.siteId, storeId: z.store_id, zoneId: z.zone_id, from: q.from, to: q.to }) as number[],
      ).sort();
      await new Promise((resolve) => setImmediate(resolve));
      if (values.length === 0) continue;
      zoneStats.push({ storeId: z.store_id, zoneId: z.zone_id, ...sortedDwellStats(values) });
      let s = byStore.get(z.store_id);
      if (!s) byStore.set(z.store_id, (s = []));
      s.push(values);
      all.push(values);
    }
    const merged = (parts: Float64Array[]): Float64Array => {
      const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
      let i = 0;
      for (const p of parts) {
        out.set(p, i);
        i += p.length;
      }
      return out.sort();
    };
    const stores = [...byStore.entries()].map(([storeId, parts]) => ({ storeId, ...sortedDwellStats(merged(parts)) }));
    return { overall: sortedDwellStats(merged(all)), stores, zones: zoneStats };
  }

  returning(q: RollupRange): ReturningRollup {
    const r = this.stmt.returning.get(q) as Row;
    return {
      arrivals: r.arrivals as number,
      subjects: r.subjects as number,
      returningSubjects: r.returning_subjects as number,
      memberArrivals: r.member_arrivals as number,
      members: r.members as number,
      returningMembers: r.returning_members as number,
      repeatMemberArrivals: (this.stmt.repeatMembers.all(q) as Row[]).map((x) => ({ memberId: x.member_id as string, at: x.at as number })),
    };
  }

  hours(q: RollupRange & { storeId?: string | undefined }): RollupHourRow[] {
    return (this.stmt.hours.all({ siteId: q.siteId, from: q.from, to: q.to, storeId: q.storeId ?? null }) as Row[]).map(toHourRow);
  }

  eraseMember(memberId: string, pseudonym: string): void {
    this.stmt.eraseMember.run({ m: memberId, p: pseudonym });
  }
}

export function toHourRow(r: Row): RollupHourRow {
  const out = {
    storeId: r.store_id as string,
    zoneId: r.zone_id as string,
    floor: r.floor === NO_FLOOR ? null : (r.floor as number),
    hour: r.hour as number,
  } as RollupHourRow;
  for (const c of ROLLUP_COUNTERS) out[c] = r[c] as number;
  return out;
}
