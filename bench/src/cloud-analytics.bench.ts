/**
 * Analytics at scale (issue 12 §5, decision 120): N events over D days of S stores in one site,
 * on SQLite or PostgreSQL. The events are written straight into the events table (the load is not
 * what is measured), then the store is opened, which rolls them up (the backfill, timed). Then each
 * analytics route's figures are computed from the rollups ("after") and from the raw events as
 * before the rollups ("before", `rollups: false`; skipped with --no-before), each with the longest
 * event-loop stall it caused and the process RSS; the health route's counts per second, and a site
 * without events listed, each against the statement the store ran before.
 *
 * Usage: node bench/dist/cloud-analytics.bench.js <sqlite|postgres> [events=1000000] [days=14] [stores=20] [--no-before]
 * PostgreSQL at STORESENSE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a
 * fresh schema dropped afterwards; SQLite in a temp directory. Prints one JSON line last.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Site } from '@storesense/firmware-config';
import { AnalyticsService, type CloudStore, openPostgresStore, openSqliteStore } from '@storesense/cloud';
import type { PresenceEvent } from '@storesense/protocol';
import Database from 'better-sqlite3';
import pg from 'pg';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const backend = args[0];
const total = Number(args[1] ?? 1_000_000);
const days = Number(args[2] ?? 14);
const storeCount = Number(args[3] ?? 20);
const withBefore = !process.argv.includes('--no-before');
if ((backend !== 'sqlite' && backend !== 'postgres') || !(total > 0) || !(days > 0) || !(storeCount > 0)) {
  process.stderr.write('usage: cloud-analytics.bench.js <sqlite|postgres> [events] [days] [stores] [--no-before]\n');
  process.exit(2);
}
const url = process.env.STORESENSE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;
const TZ = 'Asia/Shanghai';
// Data ends at a site-local midnight (16:00 UTC), so the ranges below are whole local days.
const END = Date.UTC(2026, 10, 30, 16);
const START = END - days * DAY;
const SITE = 'mall';

/** mulberry32: the same events on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Visits of shoppers during opening hours (10:00-22:00 local): an approach (re-detected once in
 * ten), then for six in ten an arrival, one to three zone dwells (start and end), a floor change
 * for one in five, a purchase for one in four, and an exit: about 5.2 events per visit.
 */
function* generate(): Generator<PresenceEvent[]> {
  const rand = prng(12);
  const visits = Math.ceil(total / 5.2);
  const subjects = Math.max(1, Math.floor(visits / 3));
  let n = 0;
  let batch: PresenceEvent[] = [];
  const push = (e: Omit<PresenceEvent, 'v' | 'id' | 'seq' | 'siteId' | 'gatewayId' | 'confidence' | 'model'>) => {
    if (n >= total) return;
    batch.push({
      v: 1,
      id: `ev${String(n).padStart(12, '0')}`,
      seq: n,
      siteId: SITE,
      gatewayId: 'gw1',
      confidence: 0.9,
      model: { name: 'rules', version: '1' },
      ...e,
    } as PresenceEvent);
    n++;
  };
  for (let v = 0; n < total; v++) {
    const day = Math.floor(rand() * days);
    const at0 = START + day * DAY + 2 * 3_600_000 + Math.floor(rand() * 12 * 3_600_000); // 10:00-22:00 local
    const storeId = `st${Math.floor(rand() * storeCount)}`;
    const s = Math.floor(rand() * subjects);
    const subject = { id: `sub${s}`, signals: ['ble' as const], ...(s % 20 === 0 ? { memberId: `M${s}` } : {}) };
    const visitId = `v${v}`;
    const floor = Math.floor(rand() * 3);
    let at = at0;
    push({ type: 'approach', at, storeId, subject, visitId, floor });
    if (rand() < 0.1) push({ type: 'approach', at: at + 60_000 + Math.floor(rand() * 240_000), storeId, subject, visitId, floor });
    if (rand() < 0.6) {
      at += 20_000;
      push({ type: 'arrival', at, storeId, subject, visitId, floor });
      const zones = 1 + Math.floor(rand() * 3);
      for (let z = 0; z < zones; z++) {
        const dwellMs = Math.round(10_000 * 90 ** rand()); // 10 s to 15 min, log-uniform
        const zoneId = `z${Math.floor(rand() * 6)}`;
        push({ type: 'dwell', phase: 'start', at: at + 5_000, storeId, subject, visitId, zoneId, floor, dwellMs: 5_000 });
        at += dwellMs;
        push({ type: 'dwell', phase: 'end', at, storeId, subject, visitId, zoneId, floor, dwellMs });
      }
      if (rand() < 0.2)
        push({ type: 'floor_change', at: at + 1_000, storeId, subject, visitId, fromFloor: floor, toFloor: (floor + 1) % 3, floor: (floor + 1) % 3 });
      if (rand() < 0.25) push({ type: 'purchase', at: at + 2_000, storeId, subject, visitId, amount: Math.round(rand() * 300), currency: 'CNY' });
      push({ type: 'exit', at: at + 30_000, storeId, subject, visitId });
    }
    if (batch.length >= 5_000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

const dir = mkdtempSync(join(tmpdir(), 'storesense-analytics-bench-'));
const sqlitePath = join(dir, 'cloud.db');
const schema = `bench_${randomBytes(4).toString('hex')}`;
const masterKey = randomBytes(32);
const tty = process.stderr.isTTY;
const progress = (msg: string) => {
  if (tty) process.stderr.write(`\r${msg}\u001b[K`);
};

async function open(): Promise<CloudStore> {
  return backend === 'sqlite' ? openSqliteStore({ path: sqlitePath, masterKey }) : openPostgresStore({ url, schema, masterKey, maxConnections: 4 });
}

/** Writes the events straight into the tables and marks the rollups for a backfill at the next open. */
async function load(): Promise<number> {
  await (await open()).close(); // creates and migrates
  let loaded = 0;
  if (backend === 'sqlite') {
    const db = new Database(sqlitePath);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    const insert = db.prepare(
      'INSERT INTO events (id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const tx = db.transaction((events: PresenceEvent[]) => {
      for (const e of events)
        insert.run(e.id, e.siteId, e.gatewayId, e.seq, e.type, e.at, e.at, e.storeId ?? null, e.subject.memberId ?? null, JSON.stringify(e));
    });
    for (const b of generate()) {
      tx(b);
      loaded += b.length;
      progress(`loading ${loaded.toLocaleString('en-US')} events`);
    }
    db.exec('UPDATE rollup_state SET backfilled = 0; ANALYZE;');
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    for (let m = new Date(START); m.getTime() < END; m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))) {
      const from = Date.UTC(m.getUTCFullYear(), m.getUTCMonth(), 1);
      const to = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
      const name = `events_p${m.getUTCFullYear()}${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
      await client.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF events FOR VALUES FROM (${from}) TO (${to})`);
    }
    for (const b of generate()) {
      const col = <T>(f: (e: PresenceEvent) => T) => b.map(f);
      await client.query('INSERT INTO event_ids (id, site_id, gateway_id, at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])', [
        col((e) => e.id),
        col((e) => e.siteId),
        col((e) => e.gatewayId),
        col((e) => e.at),
      ]);
      await client.query(
        `INSERT INTO events (id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::jsonb[])`,
        [
          col((e) => e.id),
          col((e) => e.siteId),
          col((e) => e.gatewayId),
          col((e) => e.seq),
          col((e) => e.type),
          col((e) => e.at),
          col((e) => e.at),
          col((e) => e.storeId ?? null),
          col((e) => e.subject.memberId ?? null),
          col((e) => JSON.stringify(e)),
        ],
      );
      loaded += b.length;
      progress(`loading ${loaded.toLocaleString('en-US')} events`);
    }
    await client.query(
      `UPDATE row_counts SET n = CASE WHEN shard = 0 THEN (SELECT count(*) FROM events) ELSE 0 END WHERE name = 'events';
       UPDATE rollup_state SET backfilled = false; ANALYZE`,
    );
    await client.end();
  }
  progress('');
  return loaded;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = () => Math.round(process.memoryUsage().rss / 2 ** 20);

/** Wall time of `f` and the longest event-loop stall while it ran (ms): a 1 ms interval timer's largest lateness. */
async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; stallMs: number; result: T }> {
  let last = performance.now();
  let stall = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 1);
    last = now;
  }, 1);
  const t0 = performance.now();
  const result = await f();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2));
  clearInterval(tick);
  return { ms: Math.round(ms * 10) / 10, stallMs: Math.round(Math.max(0, stall) * 10) / 10, result };
}

/** Calls per second of `f`, over about two seconds. */
async function rate(f: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2_000) {
    await f();
    n++;
  }
  return Math.round(n / ((performance.now() - t0) / 1000));
}

try {
  const t0 = performance.now();
  const loaded = await load();
  const loadS = Math.round((performance.now() - t0) / 100) / 10;
  const b0 = performance.now();
  const store = await open(); // rolls the loaded events up
  const backfillS = Math.round((performance.now() - b0) / 100) / 10;
  const sites = new Map([[SITE, { timezone: TZ } as Site]]);
  const fresh = new AnalyticsService({ store, sites });
  const old = new AnalyticsService({ store, sites, rollups: false });
  const ranges = [...new Set([Math.min(7, days), days])].map((d) => ({ days: d, range: { siteId: SITE, from: END - d * DAY, to: END } }));
  const routes: [string, (a: AnalyticsService, r: { siteId: string; from: number; to: number }) => Promise<unknown>][] = [
    ['footfall?bucket=hour', (a, r) => a.footfall(r, 'hour')],
    ['footfall?bucket=day', (a, r) => a.footfall(r, 'day')],
    ['dwell', (a, r) => a.dwell(r, {})],
    ['floors', (a, r) => a.floors(r)],
    ['returning', (a, r) => a.returning(r)],
    ['offers', (a, r) => a.offers(r)],
    ['summary', (a, r) => a.summary(r)],
  ];
  const rows: Record<string, unknown>[] = [];
  for (const { days: d, range } of ranges) {
    for (const [name, call] of routes) {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await timed(() => call(fresh, range)));
      const row: Record<string, unknown> = {
        route: name,
        days: d,
        afterMs: median(runs.map((x) => x.ms)),
        afterStallMs: Math.max(...runs.map((x) => x.stallMs)),
        afterRssMiB: mib(),
      };
      rows.push(row);
      progress(`${name} ${d} d: ${row.afterMs} ms`);
    }
  }
  const peakAfterMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  if (withBefore)
    for (const { days: d, range } of ranges)
      for (const [name, call] of routes) {
        const x = await timed(() => call(old, range));
        const row = rows.find((r) => r.route === name && r.days === d)!;
        Object.assign(row, { beforeMs: x.ms, beforeStallMs: x.stallMs, beforeRssMiB: mib() });
        // Same figures both ways (the equivalence tests check it on random data; here on this load).
        const again = await call(fresh, range);
        row.sameFigures = JSON.stringify(again) === JSON.stringify(x.result);
        progress(`${name} ${d} d before: ${x.ms} ms`);
      }
  const peakBeforeMiB = Math.round(process.resourceUsage().maxRSS / 1024);

  // Health and listing, against the statements the store ran before (decision 121).
  const healthAfter = await rate(() => store.counts());
  const emptyAfter = await timed(() => store.listEvents({ siteId: 'no-events-here', limit: 50 }));
  let healthBefore: number;
  let emptyBeforeMs: number;
  if (backend === 'sqlite') {
    const db = new Database(sqlitePath, { readonly: true });
    const counts = db.prepare(
      `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM members) AS members,
              (SELECT count(*) FROM offers) AS offers`,
    );
    healthBefore = await rate(async () => counts.get());
    const list = db.prepare(
      `SELECT body, received_at FROM events WHERE (@siteId IS NULL OR site_id = @siteId) AND (@type IS NULL OR type = @type) AND (@since IS NULL OR at >= @since)
       ORDER BY at DESC, id DESC LIMIT @limit`,
    );
    emptyBeforeMs = (await timed(async () => list.all({ siteId: 'no-events-here', type: null, since: null, limit: 50 }))).ms;
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    healthBefore = await rate(() =>
      client.query('SELECT (SELECT count(*) FROM event_ids) AS events, (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM members) AS members'),
    );
    emptyBeforeMs = emptyAfter.ms; // the PostgreSQL listing statement is unchanged
    await client.end();
  }
  await store.close();
  progress('');
  console.log(
    JSON.stringify({
      backend,
      events: loaded,
      days,
      stores: storeCount,
      loadS,
      backfillS,
      routes: rows,
      peakRssAfterMiB: peakAfterMiB,
      peakRssBeforeMiB: withBefore ? peakBeforeMiB : undefined,
      healthCountsPerSecond: { before: healthBefore, after: healthAfter },
      emptySiteListingMs: { before: emptyBeforeMs, after: emptyAfter.ms },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (backend === 'postgres') {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}
