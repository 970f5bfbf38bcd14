import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Site } from '@storesense/firmware-config';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudStore } from '../store/cloud-store.js';
import { randomJourneyEvents } from '../store/rollups.contract.js';
import { openPostgresStore } from '../store/store.postgres.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { tempDir } from '../testing/fixtures.js';
import { dropSchema, freshSchemaName, POSTGRES_TEST_URL, postgresUnavailable } from '../testing/postgres.fixture.js';
import { AnalyticsService } from './analytics.service.js';

// Old (raw events) vs new (rollups) analytics on random journeys: the same figures on both backends.
// 13:00 UTC start: six hours cross Asia/Shanghai's midnight (16:00 UTC); Asia/Kolkata (+5:30) has
// local hours off UTC hours, so it takes the raw path and must still agree.
const T0 = Date.UTC(2026, 10, 22, 13);
const H = 3_600_000;
const ZONES = ['Asia/Shanghai', 'UTC', 'Asia/Kolkata', 'America/New_York'];

function equivalence(name: string, open: () => Promise<{ store: CloudStore; cleanup: () => Promise<void> | void }>) {
  describe(`analytics from rollups equal analytics from raw events: ${name}`, () => {
    let store: CloudStore;
    let cleanup: () => Promise<void> | void;
    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('footfall (hour, day, one store), dwell (all, store, zone), floors, returning and summary', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: ZONES.length - 1 }).chain((z) => randomJourneyEvents(`eq${run++}z${z}`, 60, T0)),
          fc.integer({ min: -2, max: 2 }),
          fc.integer({ min: 4, max: 8 }),
          fc.boolean(),
          async (events, startHour, hours, unaligned) => {
            const siteId = events[0]?.siteId ?? `empty${run}`;
            const tz = ZONES[Number(siteId.split('z')[1] ?? 0)]!;
            const sites = new Map([[siteId, { timezone: tz } as Site]]);
            for (const e of events) await store.insertEvent(e, 1);
            const fresh = new AnalyticsService({ store, sites });
            const old = new AnalyticsService({ store, sites, rollups: false });
            const from = T0 + startHour * H + (unaligned ? 17 * 60_000 : 0);
            const r = { siteId, from, to: from + hours * H };
            for (const bucket of ['hour', 'day'] as const) {
              expect(await fresh.footfall(r, bucket)).toEqual(await old.footfall(r, bucket));
              expect(await fresh.footfall(r, bucket, 'st1')).toEqual(await old.footfall(r, bucket, 'st1'));
            }
            for (const filter of [{}, { storeId: 'st2' }, { zoneId: 'z1' }, { storeId: 'st1', zoneId: 'z2' }])
              expect(await fresh.dwell(r, filter)).toEqual(await old.dwell(r, filter));
            expect(await fresh.floors(r)).toEqual(await old.floors(r));
            expect(await fresh.returning(r)).toEqual(await old.returning(r));
            expect(await fresh.summary(r)).toEqual(await old.summary(r));
          },
        ),
        { numRuns: 30 },
      );
    }, 180_000);
  });
}

equivalence('sqlite', async () => {
  const t = tempDir();
  return { store: openSqliteStore({ path: join(t.dir, 'cloud.db') }), cleanup: t.cleanup };
});

const unreachable = await postgresUnavailable();
describe.skipIf(unreachable !== undefined)('on PostgreSQL', () => {
  equivalence('postgres', async () => {
    const schema = freshSchemaName();
    const store = await openPostgresStore({ url: POSTGRES_TEST_URL, schema, masterKey: randomBytes(32), maxConnections: 4 });
    return { store, cleanup: () => dropSchema(schema) };
  });
});
