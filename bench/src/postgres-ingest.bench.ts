/**
 * Events/s stored by the PostgreSQL store (decision 76) with C concurrent callers of insertEvent,
 * each awaiting its own commit (as ingest awaits before the PUBACK). A fresh schema, dropped after.
 * Usage: node bench/dist/postgres-ingest.bench.js [events=20000] [callers=200] (needs PostgreSQL at
 * STORESENSE_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). Prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '@storesense/cloud';
import type { PresenceEvent } from '@storesense/protocol';

const url = process.env.STORESENSE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const total = Number(process.argv[2] ?? 20_000);
const callers = Number(process.argv[3] ?? 200);
const schema = `bench_${randomBytes(4).toString('hex')}`;

const base = Date.UTC(2026, 10, 1);
const events: PresenceEvent[] = Array.from(
  { length: total },
  (_, i) =>
    ({
      v: 1,
      id: `01BENCH${String(i).padStart(19, '0')}`,
      siteId: 'site1',
      gatewayId: `gw${i % 50}`,
      seq: i,
      type: 'approach',
      at: base + i * 100,
      storeId: 'st1',
      zoneId: 'entrance',
      visitId: `v${i}`,
      subject: { id: `s${i % 997}`, signals: ['ble'] },
      confidence: 0.9,
    }) as unknown as PresenceEvent,
);

const store = await openPostgresStore({ url, schema, masterKey: randomBytes(32) });
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: callers }, async () => {
    while (next < total) await store.insertEvent(events[next++]!, base);
  }),
);
const seconds = (performance.now() - t0) / 1000;
const stored = (await store.counts()).events;
await store.close();
const { default: pg } = await import('pg');
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.end();
if (stored !== total) throw new Error(`stored ${stored} of ${total}`);
console.log(JSON.stringify({ events: total, callers, eventsPerSecond: Math.round(total / seconds) }));
