import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { dropSchema, freshSchemaName, POSTGRES_TEST_URL, pgQuery, postgresUnavailable } from '../testing/postgres.fixture.js';
import { runCloudStoreContract } from './cloud-store.contract.js';
import { PG_MIGRATIONS } from './migrations.postgres.js';
import { randomJourneyEvents } from './rollups.contract.js';
import type { RollupHourRow } from './rollups.js';
import { openPostgresStore } from './store.postgres.js';

// The same contract suite as SQLite, against a real PostgreSQL: each test in a fresh random
// schema, dropped afterwards. Without a server the suite skips saying why, except under CI=true
// (CI runs the service), where it fails (postgres.fixture.ts).
const URL = POSTGRES_TEST_URL;
const unreachable = await postgresUnavailable();
const freshSchema = freshSchemaName;

describe.skipIf(unreachable !== undefined)('PostgreSQL store', () => {
  runCloudStoreContract('postgres', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: URL, schema, masterKey: randomBytes(32), maxConnections: 4 });
    return { store, cleanup: () => dropSchema(schema) };
  });

  it('records migrations, partitions events by month, keeps data across reopen and refuses another master key', async () => {
    const schema = freshSchema();
    const masterKey = randomBytes(32);
    try {
      const store = await openPostgresStore({ url: URL, schema, masterKey });
      const e = makeEvent({ at: Date.UTC(2026, 10, 23, 12) });
      await store.insertEvent(e, 1);
      await store.insertEvent(makeEvent({ at: Date.UTC(2026, 11, 1) }), 1);
      await store.upsertMembers([{ memberId: 'm1', name: 'Ann', tier: 'gold', tags: [], consent: true, tokenKey: 'a'.repeat(32) }], 1);
      await store.close();
      const reopened = await openPostgresStore({ url: URL, schema, masterKey });
      expect(await reopened.insertEvent(e, 2)).toEqual({ inserted: false, owner: { siteId: e.siteId, gatewayId: e.gatewayId } });
      expect(await reopened.listConsentingMemberKeys()).toEqual([{ memberId: 'm1', key: 'a'.repeat(32) }]);
      await reopened.close();
      await expect(openPostgresStore({ url: URL, schema, masterKey: randomBytes(32) })).rejects.toThrow(/does not open with this master key/);

      const raw = new pg.Client({ connectionString: URL });
      await raw.connect();
      try {
        const versions = await raw.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
        expect(versions.rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
        const parts = await raw.query(
          `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace WHERE p.relname = 'events' AND n.nspname = $1 ORDER BY 1`,
          [schema],
        );
        expect(parts.rows.map((r) => r.relname)).toEqual(['events_p202611', 'events_p202612']);
        // Sealed at rest: the plain key appears nowhere in the table.
        const keys = await raw.query(`SELECT token_key FROM ${schema}.members`);
        expect(keys.rows[0].token_key).toMatch(/^s1\./);
      } finally {
        await raw.end();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  it('coalesces concurrent inserts: each caller gets its own outcome, and one bad event fails alone', async () => {
    const schema = freshSchema();
    try {
      const store = await openPostgresStore({ url: URL, schema, masterKey: randomBytes(32), maxConnections: 4 });
      const at = Date.UTC(2026, 2, 31, 23, 59);
      const events = Array.from({ length: 300 }, (_, i) => makeEvent({ at: at + i * 1000 })); // spans a month boundary
      const reused = { ...events[0]!, gatewayId: 'other-gw' };
      const bad = { ...makeEvent(), at: 1e16 }; // no such date: no partition can hold it
      const calls = [...events.map((e) => store.insertEvent(e, 1)), store.insertEvent(events[1]!, 2), store.insertEvent(reused, 3), store.insertEvent(bad, 4)];
      const outcomes = await Promise.allSettled(calls);
      const values = outcomes.slice(0, 302).map((o) => (o.status === 'fulfilled' ? o.value : o.reason));
      expect(values.slice(0, 300).every((v) => v.inserted === true)).toBe(true);
      expect(values[300]).toEqual({ inserted: false, owner: { siteId: events[1]!.siteId, gatewayId: events[1]!.gatewayId } });
      expect(values[301]).toEqual({ inserted: false, owner: { siteId: events[0]!.siteId, gatewayId: events[0]!.gatewayId } });
      expect(outcomes[302]).toMatchObject({
        status: 'rejected',
        reason: expect.objectContaining({ message: expect.stringMatching(/outside the partitioned range/) }),
      });
      expect((await store.counts()).events).toBe(300);
      expect((await store.listEventsInRange({ siteId: events[0]!.siteId, from: 0, to: 2 ** 50 })).map((e) => e.id)).toEqual(events.map((e) => e.id));
      await store.close();
    } finally {
      await dropSchema(schema);
    }
  });

  it('stores an event id exactly once when many inserts race across connections', async () => {
    const schema = freshSchema();
    try {
      const store = await openPostgresStore({ url: URL, schema, masterKey: randomBytes(32), maxConnections: 8 });
      const e = makeEvent({ at: Date.UTC(2026, 0, 5) });
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => store.insertEvent(e, i)));
      expect(results.filter((r) => r.inserted)).toHaveLength(1);
      expect((await store.counts()).events).toBe(1);
      await store.close();
    } finally {
      await dropSchema(schema);
    }
  });
  it('rolls up the events stored before migration 4 at the next start, as if ingested live (backfill)', async () => {
    const events = fc.sample(randomJourneyEvents('old', 80), { numRuns: 1, seed: 12 })[0]!;
    const [a, b] = [freshSchema(), freshSchema()];
    try {
      const masterKey = randomBytes(32);
      const first = await openPostgresStore({ url: URL, schema: a, masterKey });
      const live = await openPostgresStore({ url: URL, schema: b, masterKey });
      for (const e of events) {
        await first.insertEvent(e, 1);
        await live.insertEvent(e, 1);
      }
      await first.close();
      // The state migration 4 leaves on a database with events: empty rollups, counters from count(*).
      await pgQuery(`SET search_path = ${a};
        TRUNCATE rollup_hours, rollup_visit_hours, rollup_visits, rollup_multi_visits, rollup_floor_flows, rollup_arrivals, rollup_dwell_ends;
        UPDATE row_counts SET n = CASE WHEN shard = 0 THEN (SELECT count(*) FROM events) ELSE 0 END WHERE name = 'events';
        UPDATE rollup_state SET backfilled = false`);
      const migrated = await openPostgresStore({ url: URL, schema: a, masterKey });
      const range = { siteId: 'old', from: 0, to: 2 ** 50 };
      const sortRows = <T>(r: T[]) => r.map((x) => JSON.stringify(x)).sort();
      // Which zone/floor row a distinct visit counts in follows the order events are stored in (live:
      // arrival; backfill: event time), so visits compare per store and hour, every other counter per row.
      const VISITS = ['approach_visits', 'arrival_visits', 'dwell_visits', 'purchase_visits'] as const;
      const split = (r: RollupHourRow[]) => {
        const perStoreHour = new Map<string, number[]>();
        for (const x of r) {
          const k = `${x.storeId}|${x.hour}`;
          const v = perStoreHour.get(k) ?? [0, 0, 0, 0];
          VISITS.forEach((c, i) => {
            v[i]! += x[c];
          });
          perStoreHour.set(k, v);
        }
        return { cells: sortRows(r.map((x) => ({ ...x, approach_visits: 0, arrival_visits: 0, dwell_visits: 0, purchase_visits: 0 }))), perStoreHour };
      };
      expect(split(await migrated.rollupHours(range))).toEqual(split(await live.rollupHours(range)));
      const [mf, lf] = [await migrated.rollupFootfall(range), await live.rollupFootfall(range)];
      expect([sortRows(mf.hours), sortRows(mf.multi)]).toEqual([sortRows(lf.hours), sortRows(lf.multi)]);
      expect(await migrated.rollupDwell(range)).toEqual(await live.rollupDwell(range));
      expect(await migrated.rollupReturning(range)).toMatchObject({ ...(await live.rollupReturning(range)), repeatMemberArrivals: expect.any(Array) });
      expect((await migrated.counts()).events).toBe(new Set(events.map((e) => e.id)).size);
      await migrated.close();
      await live.close();
    } finally {
      await dropSchema(a);
      await dropSchema(b);
    }
  }, 30_000);
  it('two nodes adding different hours of the same visits at once: every such visit is a multi-hour visit, with both hours', async () => {
    const schema = freshSchema();
    try {
      const masterKey = randomBytes(32);
      const [a, b] = [await openPostgresStore({ url: URL, schema, masterKey }), await openPostgresStore({ url: URL, schema, masterKey })];
      const h = Date.UTC(2026, 10, 22, 10);
      const approach = (visit: number, hour: number) =>
        makeEvent({
          type: 'approach',
          siteId: 'race',
          storeId: 'st1',
          at: h + hour * 3_600_000 + visit,
          visitId: `v${visit}`,
          subject: { id: `s${visit}`, signals: [] },
        });
      await Promise.all(Array.from({ length: 40 }, (_, v) => [a.insertEvent(approach(v, 0), 1), b.insertEvent(approach(v, 1), 1)]).flat());
      const ff = await a.rollupFootfall({ siteId: 'race', from: h, to: h + 2 * 3_600_000 });
      expect(ff.multi).toHaveLength(80);
      expect(ff.hours.map((x) => x.approaches)).toEqual([40, 40]);
      await a.close();
      await b.close();
    } finally {
      await dropSchema(schema);
    }
  }, 30_000);
});
