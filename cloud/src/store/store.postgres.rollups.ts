import type { PresenceEvent } from '@storesense/protocol';
import type pg from 'pg';
import { type Queryable, rows, transaction } from './pg-sql.js';
import {
  type Contribution,
  cellKey,
  contributionOf,
  DWELL_BUCKETS,
  type DwellRollup,
  type DwellRollupStats,
  type FlowRollup,
  type FootfallRollup,
  MULTI_HOUR_STAGES,
  ROLLUP_COUNTERS,
  type ReturningRollup,
  type RollupHourRow,
  type RollupRange,
  VISIT_STAGES,
  visitHourKey,
  visitKey,
} from './rollups.js';
import type { Row } from './pg-sql.js';
import { toHourRow } from './store.sqlite.rollups.js';

const BACKFILL_CHUNK = 5_000;
const BUCKET_SQL = DWELL_BUCKETS.map((b, i) => {
  const lo = i === 0 ? 0 : DWELL_BUCKETS[i - 1]!.upToMs;
  const hi = Number.isFinite(b.upToMs) ? ` AND dwell_ms < ${b.upToMs}` : '';
  return `count(*) FILTER (WHERE dwell_ms >= ${lo}${hi}) AS b${i}`;
}).join(', ');

/**
 * The hourly rollups on PostgreSQL (decision 120). `apply` runs in the transaction that stored a
 * batch of new events, with set-based statements (one per table) whose rows are sorted by key, so
 * concurrent batches take row locks in the same order and cannot deadlock on them.
 */
export class PgRollupTables {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Two statements per batch (three when a visit gained a second hour): round trips are what a
   * batch's transaction costs, and the rows every batch of a store-hour shares are locked last.
   */
  async apply(c: Queryable, events: readonly PresenceEvent[]): Promise<void> {
    if (events.length === 0) return;
    const contribs = events.map(contributionOf);
    const byKey = <T>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    const firstOfVisitHour = new Map<string, Contribution>();
    for (const x of contribs) if (x.visitHour && !firstOfVisitHour.has(visitHourKey(x.visitHour))) firstOfVisitHour.set(visitHourKey(x.visitHour), x);
    const vhs = byKey(firstOfVisitHour).map((x) => x.visitHour!);
    const added = new Set<string>();
    if (vhs.length > 0) {
      // 1. The new visit-hours, and for footfall visits their hour count on the `rollup_visits` row,
      // whose lock makes a batch adding another hour of the same visit wait for this one's commit
      // and then count both (ON CONFLICT DO UPDATE sees the committed row).
      const r = await rows(
        c,
        `WITH vh AS (
           INSERT INTO rollup_visit_hours (site_id, store_id, type, subject_id, visit_id, hour)
           SELECT * FROM unnest(@sites::text[], @stores::text[], @types::text[], @subjects::text[], @visits::text[], @hours::bigint[])
           ON CONFLICT DO NOTHING RETURNING site_id, store_id, type, subject_id, visit_id, hour),
         vis AS (
           INSERT INTO rollup_visits (site_id, store_id, type, subject_id, visit_id, hours)
           SELECT site_id, store_id, type, subject_id, visit_id, count(*)::int FROM vh WHERE type = ANY(@multiTypes::text[])
           GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
           ON CONFLICT (site_id, store_id, type, subject_id, visit_id) DO UPDATE SET hours = rollup_visits.hours + excluded.hours
           RETURNING site_id, store_id, type, subject_id, visit_id, hours)
         SELECT site_id, store_id, type, subject_id, visit_id, hour, NULL::int AS hours FROM vh
         UNION ALL SELECT site_id, store_id, type, subject_id, visit_id, NULL, hours FROM vis`,
        {
          sites: vhs.map((v) => v.siteId),
          stores: vhs.map((v) => v.storeId),
          types: vhs.map((v) => v.type),
          subjects: vhs.map((v) => v.subjectId),
          visits: vhs.map((v) => v.visitId),
          hours: vhs.map((v) => v.hour),
          multiTypes: [...MULTI_HOUR_STAGES],
        },
      );
      const multi: Row[] = [];
      for (const x of r) {
        if (x.hour === null) {
          if ((x.hours as number) > 1) multi.push(x);
          continue;
        }
        added.add(
          visitHourKey({
            siteId: x.site_id as string,
            storeId: x.store_id as string,
            type: x.type as string,
            subjectId: x.subject_id as string,
            visitId: x.visit_id as string,
            hour: x.hour as number,
          }),
        );
      }
      // 1b. Rare: a visit now seen in several hours; a new statement sees every committed hour of it.
      if (multi.length > 0)
        await rows(
          c,
          `INSERT INTO rollup_multi_visits (site_id, store_id, type, subject_id, visit_id, hour)
           SELECT v.site_id, v.store_id, v.type, v.subject_id, v.visit_id, v.hour
           FROM unnest(@sites::text[], @stores::text[], @types::text[], @subjects::text[], @visits::text[]) AS k(site_id, store_id, type, subject_id, visit_id)
           JOIN rollup_visit_hours v USING (site_id, store_id, type, subject_id, visit_id)
           ORDER BY 1, 6, 2, 3, 4, 5
           ON CONFLICT DO NOTHING`,
          {
            sites: multi.map((x) => x.site_id),
            stores: multi.map((x) => x.store_id),
            types: multi.map((x) => x.type),
            subjects: multi.map((x) => x.subject_id),
            visits: multi.map((x) => x.visit_id),
          },
        );
    }
    // 2. Everything else in one statement: per-event indexes, floor flows, then the hourly cells
    // (counters summed per cell, rows in key order) and the event counter.
    const cells = new Map<string, { x: Contribution; sums: Record<string, number> }>();
    for (const x of contribs) {
      const k = cellKey(x.cell);
      let cell = cells.get(k);
      if (!cell) cells.set(k, (cell = { x, sums: Object.fromEntries(ROLLUP_COUNTERS.map((n) => [n, 0])) }));
      for (const [n, v] of Object.entries(x.counters)) cell.sums[n]! += v;
      if (x.visitHour && firstOfVisitHour.get(visitHourKey(x.visitHour)) === x && added.has(visitHourKey(x.visitHour)))
        cell.sums[VISIT_STAGES[x.visitHour.type as keyof typeof VISIT_STAGES]]! += 1;
    }
    const sorted = byKey(cells);
    const flows = new Map<string, { f: NonNullable<Contribution['flow']>; n: number }>();
    for (const x of contribs) {
      if (!x.flow) continue;
      const k = `${x.flow.siteId}\u001f${x.flow.hour}\u001f${x.flow.storeId}\u001f${x.flow.fromFloor}\u001f${x.flow.toFloor}`;
      const f = flows.get(k);
      if (f) f.n++;
      else flows.set(k, { f: x.flow, n: 1 });
    }
    const fl = byKey(flows);
    const arrivals = contribs.flatMap((x) => (x.arrival ? [x.arrival] : []));
    const ends = contribs.flatMap((x) => (x.dwellEnd ? [x.dwellEnd] : []));
    await rows(
      c,
      `WITH ar AS (
         INSERT INTO rollup_arrivals (id, site_id, at, subject_id, member_id)
         SELECT * FROM unnest(@aIds::text[], @aSites::text[], @aAts::bigint[], @aSubjects::text[], @aMembers::text[]) ON CONFLICT DO NOTHING RETURNING 1),
       de AS (
         INSERT INTO rollup_dwell_ends (id, site_id, store_id, zone_id, at, dwell_ms)
         SELECT * FROM unnest(@dIds::text[], @dSites::text[], @dStores::text[], @dZones::text[], @dAts::bigint[], @dMs::bigint[]) ON CONFLICT DO NOTHING RETURNING 1),
       fl AS (
         INSERT INTO rollup_floor_flows (site_id, store_id, from_floor, to_floor, hour, n)
         SELECT * FROM unnest(@fSites::text[], @fStores::text[], @fFroms::int[], @fTos::int[], @fHours::bigint[], @fNs::bigint[])
         ON CONFLICT (site_id, hour, store_id, from_floor, to_floor) DO UPDATE SET n = rollup_floor_flows.n + excluded.n RETURNING 1),
       up AS (
         INSERT INTO rollup_hours (site_id, store_id, zone_id, floor, hour, ${ROLLUP_COUNTERS.join(', ')})
         SELECT * FROM unnest(@sites::text[], @stores::text[], @zones::text[], @floors::int[], @hours::bigint[],
           ${ROLLUP_COUNTERS.map((n) => `@${n}::${n === 'purchase_amount' ? 'float8' : 'bigint'}[]`).join(', ')})
         ON CONFLICT (site_id, hour, store_id, zone_id, floor) DO UPDATE SET ${ROLLUP_COUNTERS.map((n) => `${n} = rollup_hours.${n} + excluded.${n}`).join(', ')}
         RETURNING 1)
       UPDATE row_counts SET n = n + @n WHERE name = 'events' AND shard = @shard`,
      {
        aIds: arrivals.map((a) => a.id),
        aSites: arrivals.map((a) => a.siteId),
        aAts: arrivals.map((a) => a.at),
        aSubjects: arrivals.map((a) => a.subjectId),
        aMembers: arrivals.map((a) => a.memberId),
        dIds: ends.map((a) => a.id),
        dSites: ends.map((a) => a.siteId),
        dStores: ends.map((a) => a.storeId),
        dZones: ends.map((a) => a.zoneId),
        dAts: ends.map((a) => a.at),
        dMs: ends.map((a) => a.dwellMs),
        fSites: fl.map((v) => v.f.siteId),
        fStores: fl.map((v) => v.f.storeId),
        fFroms: fl.map((v) => v.f.fromFloor),
        fTos: fl.map((v) => v.f.toFloor),
        fHours: fl.map((v) => v.f.hour),
        fNs: fl.map((v) => v.n),
        sites: sorted.map((x) => x.x.cell.siteId),
        stores: sorted.map((x) => x.x.cell.storeId),
        zones: sorted.map((x) => x.x.cell.zoneId),
        floors: sorted.map((x) => x.x.cell.floor),
        hours: sorted.map((x) => x.x.cell.hour),
        ...Object.fromEntries(ROLLUP_COUNTERS.map((n) => [n, sorted.map((x) => x.sums[n])])),
        n: events.length,
        shard: Math.floor(Math.random() * 16),
      },
    );
  }

  /**
   * Rolls up the events stored before migration 4, once (the first node to start does it under
   * the migrations' advisory lock, the others wait and find it done), in one transaction.
   */
  async backfill(): Promise<number> {
    return transaction(this.pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('storesense.migrations', 0))");
      const state = await rows(c, 'SELECT backfilled FROM rollup_state WHERE id = 1 FOR UPDATE');
      if (state[0]?.backfilled !== false) return 0;
      // The counter already holds every event (migration 4 counted them); apply() adds each again.
      const before = await rows(c, `SELECT coalesce(sum(n), 0) AS n FROM row_counts WHERE name = 'events'`);
      let n = 0;
      let after: { at: number; id: string } | undefined;
      for (;;) {
        const batch = await rows(
          c,
          `SELECT at, id, body FROM events WHERE (@at::bigint IS NULL OR (at, id) > (@at::bigint, @id::text)) ORDER BY at, id LIMIT ${BACKFILL_CHUNK}`,
          { at: after?.at ?? null, id: after?.id ?? '' },
        );
        if (batch.length === 0) break;
        await this.apply(
          c,
          batch.map((r) => r.body as PresenceEvent),
        );
        const last = batch[batch.length - 1]!;
        after = { at: last.at as number, id: last.id as string };
        n += batch.length;
      }
      await rows(c, `UPDATE row_counts SET n = CASE WHEN shard = 0 THEN @n ELSE 0 END WHERE name = 'events'`, { n: before[0]!.n as number });
      await rows(c, 'UPDATE rollup_state SET backfilled = true WHERE id = 1');
      return n;
    }).then(async (n) => {
      // Fresh statistics, or the planner takes the just-filled tables for empty ones.
      if (n > 0)
        await this.pool.query(
          'ANALYZE rollup_hours, rollup_visit_hours, rollup_visits, rollup_multi_visits, rollup_floor_flows, rollup_arrivals, rollup_dwell_ends',
        );
      return n;
    });
  }

  async footfall(q: RollupRange): Promise<FootfallRollup> {
    const [hours, multi] = await Promise.all([
      rows(
        this.pool,
        `SELECT store_id, hour, sum(approach_visits) AS approaches, sum(arrival_visits) AS arrivals FROM rollup_hours
         WHERE site_id = @siteId AND hour >= @from AND hour < @to GROUP BY store_id, hour HAVING sum(approach_visits) > 0 OR sum(arrival_visits) > 0`,
        { siteId: q.siteId, from: q.from, to: q.to },
      ),
      rows(this.pool, 'SELECT store_id, type, subject_id, visit_id, hour FROM rollup_multi_visits WHERE site_id = @siteId AND hour >= @from AND hour < @to', {
        siteId: q.siteId,
        from: q.from,
        to: q.to,
      }),
    ]);
    return {
      hours: hours.map((r) => ({ storeId: r.store_id as string, hour: r.hour as number, approaches: r.approaches as number, arrivals: r.arrivals as number })),
      multi: multi.map((r) => ({
        storeId: r.store_id as string,
        type: r.type as 'approach' | 'arrival',
        subjectId: r.subject_id as string,
        visitId: r.visit_id as string,
        hour: r.hour as number,
      })),
    };
  }

  async floorFlows(q: RollupRange): Promise<FlowRollup[]> {
    const r = await rows(
      this.pool,
      `SELECT store_id, from_floor, to_floor, sum(n) AS n FROM rollup_floor_flows WHERE site_id = @siteId AND hour >= @from AND hour < @to
       GROUP BY store_id, from_floor, to_floor`,
      { siteId: q.siteId, from: q.from, to: q.to },
    );
    return r.map((x) => ({ storeId: x.store_id as string, fromFloor: x.from_floor as number, toFloor: x.to_floor as number, count: x.n as number }));
  }

  /** percentile_disc takes row ceil(p·n) of the sorted values, as `percentile()` does (nearest rank, the same double arithmetic). */
  async dwell(q: RollupRange & { storeId?: string | undefined; zoneId?: string | undefined }): Promise<DwellRollup> {
    const r = await rows(
      this.pool,
      `SELECT store_id, zone_id, GROUPING(store_id) AS gs, GROUPING(zone_id) AS gz, count(*) AS n,
         percentile_disc(0.5::float8) WITHIN GROUP (ORDER BY dwell_ms) AS p50, percentile_disc(0.9::float8) WITHIN GROUP (ORDER BY dwell_ms) AS p90, ${BUCKET_SQL}
       FROM rollup_dwell_ends
       WHERE site_id = @siteId AND at >= @from AND at < @to AND (@storeId::text IS NULL OR store_id = @storeId) AND (@zoneId::text IS NULL OR zone_id = @zoneId)
       GROUP BY GROUPING SETS ((), (store_id), (store_id, zone_id))`,
      { siteId: q.siteId, from: q.from, to: q.to, storeId: q.storeId ?? null, zoneId: q.zoneId ?? null },
    );
    const stats = (x: Row): DwellRollupStats => ({
      count: x.n as number,
      p50Ms: (x.p50 as number | null) ?? null,
      p90Ms: (x.p90 as number | null) ?? null,
      buckets: DWELL_BUCKETS.map((_b, i) => x[`b${i}`] as number),
    });
    const overall = r.find((x) => x.gs === 1 && x.gz === 1);
    return {
      overall: overall ? stats(overall) : { count: 0, p50Ms: null, p90Ms: null, buckets: DWELL_BUCKETS.map(() => 0) },
      stores: r.filter((x) => x.gs === 0 && x.gz === 1).map((x) => ({ storeId: x.store_id as string, ...stats(x) })),
      zones: r.filter((x) => x.gs === 0 && x.gz === 0).map((x) => ({ storeId: x.store_id as string, zoneId: x.zone_id as string, ...stats(x) })),
    };
  }

  async returning(q: RollupRange): Promise<ReturningRollup> {
    const p = { siteId: q.siteId, from: q.from, to: q.to };
    const [agg, repeat] = await Promise.all([
      rows(
        this.pool,
        `WITH a AS (SELECT subject_id, member_id FROM rollup_arrivals WHERE site_id = @siteId AND at >= @from AND at < @to),
              s AS (SELECT count(*) AS n FROM a GROUP BY subject_id),
              m AS (SELECT count(*) AS n FROM a WHERE member_id IS NOT NULL GROUP BY member_id)
         SELECT (SELECT count(*) FROM a) AS arrivals, (SELECT count(*) FROM s) AS subjects, (SELECT count(*) FROM s WHERE n > 1) AS returning_subjects,
                (SELECT coalesce(sum(n), 0) FROM m) AS member_arrivals, (SELECT count(*) FROM m) AS members, (SELECT count(*) FROM m WHERE n > 1) AS returning_members`,
        p,
      ),
      rows(
        this.pool,
        // One scan and a sort, whatever the statistics say (an IN over the grouped members
        // became a nested loop on a freshly backfilled table: minutes at 1 M events).
        `SELECT member_id, at FROM (
           SELECT member_id, at, count(*) OVER (PARTITION BY member_id) AS n FROM rollup_arrivals
           WHERE site_id = @siteId AND at >= @from AND at < @to AND member_id IS NOT NULL) x
         WHERE n > 1`,
        p,
      ),
    ]);
    const r = agg[0]!;
    return {
      arrivals: r.arrivals as number,
      subjects: r.subjects as number,
      returningSubjects: r.returning_subjects as number,
      memberArrivals: r.member_arrivals as number,
      members: r.members as number,
      returningMembers: r.returning_members as number,
      repeatMemberArrivals: repeat.map((x) => ({ memberId: x.member_id as string, at: x.at as number })),
    };
  }

  async hours(q: RollupRange & { storeId?: string | undefined }): Promise<RollupHourRow[]> {
    const r = await rows(
      this.pool,
      `SELECT * FROM rollup_hours WHERE site_id = @siteId AND hour >= @from AND hour < @to AND (@storeId::text IS NULL OR store_id = @storeId)
       ORDER BY hour, store_id, floor, zone_id`,
      { siteId: q.siteId, from: q.from, to: q.to, storeId: q.storeId ?? null },
    );
    return r.map(toHourRow);
  }
}
