import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { PresenceEvent } from '@storesense/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { openPostgresStore } from '../store/store.postgres.js';
import { openSqliteStore } from '../store/store.sqlite.js';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { MemoryLink } from '../testing/memory.link.js';
import { dropSchema, freshSchemaName, POSTGRES_TEST_URL, postgresUnavailable } from '../testing/postgres.fixture.js';
import { Ingest, type IngestOptions } from './ingest.js';

// Decision 170: an event stored by a node that died before its rules ran is processed later, by
// the same node at start (SQLite) or by any node's sweeper (PostgreSQL), and never twice at once.
const unreachable = await postgresUnavailable();
const logger = createLogger({ level: 'silent' });

function ingestOn(store: CloudStore, seen: string[], now: () => number, extra: Partial<IngestOptions> = {}): Ingest {
  return new Ingest({
    link: new MemoryLink(),
    store,
    clock: { now },
    logger,
    metrics: new Metrics(),
    ackDelayMs: 5,
    onNewEvent: async (event) => {
      seen.push(event.id);
    },
    ...extra,
  });
}

describe('unprocessed events on SQLite (one node)', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('runs at start the rules of events stored before a crash, none of those processed, and nothing twice', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'cloud.db');
    const now = () => 1_700_000_100_000;
    // Run 1: ingest stores and processes two events; then the "crash": two more are stored (the
    // transaction committed) but their rules never ran.
    let store = openSqliteStore({ path });
    const before: string[] = [];
    let ingest = ingestOn(store, before, now, { unprocessed: {} });
    await ingest.start();
    const processed = [makeEvent({ at: 1_700_000_000_000 }), makeEvent({ at: 1_700_000_001_000 })];
    for (const e of processed) expect(await ingest.ingestEvent(e)).toMatchObject({ status: 'stored' });
    await ingest.stop();
    const lost = [makeEvent({ at: 1_700_000_002_000 }), makeEvent({ at: 1_700_000_003_000 })];
    for (const e of lost) await store.insertEvent(e, now());
    await store.close();
    expect(before).toEqual(processed.map((e) => e.id));

    // Run 2: the lost ones are processed before anything new; a re-send of one is only acked.
    store = openSqliteStore({ path });
    const after: string[] = [];
    ingest = ingestOn(store, after, now, { unprocessed: {} });
    await ingest.start();
    expect(after).toEqual(lost.map((e) => e.id));
    expect(await ingest.ingestEvent(lost[0])).toMatchObject({ status: 'duplicate' });
    await ingest.stop();
    expect(
      await store.leaseUnprocessedEvents({ now: now(), receivedBefore: Number.MAX_SAFE_INTEGER, limit: 10, owner: 'x', leaseMs: 1, maxAttempts: 9 }),
    ).toEqual([]);
    await store.close();
  });

  it('leaves an event whose rules failed for the next start, and gives up after the attempts', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const store = openSqliteStore({ path: join(t.dir, 'cloud.db') });
    let failures = 0;
    let now = 1_700_000_100_000;
    const failing = (runs: string[]) =>
      new Ingest({
        link: new MemoryLink(),
        store,
        clock: { now: () => now },
        logger,
        metrics: new Metrics(),
        unprocessed: { maxAttempts: 2, leaseMs: 60_000 },
        onNewEvent: async (event) => {
          runs.push(event.id);
          failures++;
          throw new Error('rules down');
        },
      });
    const runs: string[] = [];
    let ingest = failing(runs);
    await ingest.start();
    const e = makeEvent({ at: 1_700_000_000_000 });
    await ingest.ingestEvent(e);
    await ingest.stop();
    for (let i = 0; i < 3; i++) {
      now += 61_000; // restarts, each after the last one's lease ran out
      ingest = failing(runs);
      await ingest.start();
      await ingest.stop();
    }
    // Once on arrival, then two leased attempts; the third start leaves it alone.
    expect(runs).toEqual([e.id, e.id, e.id]);
    expect(failures).toBe(3);
    await store.close();
  });
});

describe.skipIf(unreachable !== undefined)('unprocessed events on PostgreSQL (two nodes sweeping)', () => {
  let schema: string | undefined;
  const stores: CloudStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    if (schema) await dropSchema(schema);
  });

  it('sweeps what a dead node left: every event processed exactly once across two sweeping nodes, fresh ones left to their node', async () => {
    schema = freshSchemaName();
    const masterKey = randomBytes(32);
    for (let i = 0; i < 3; i++) stores.push(await openPostgresStore({ url: POSTGRES_TEST_URL, schema, masterKey, maxConnections: 4 }));
    const [dead, a, b] = stores as [CloudStore, CloudStore, CloudStore];
    let now = 1_700_000_100_000;
    const lost: PresenceEvent[] = Array.from({ length: 240 }, (_, i) => makeEvent({ at: 1_700_000_000_000 + i }));
    for (const e of lost) await dead.insertEvent(e, now); // stored, then the node died
    const fresh = makeEvent({ at: 1_700_000_050_000 });
    await dead.insertEvent(fresh, now + 9_000); // still being processed by its (live) node
    now += 10_000;
    const seenA: string[] = [];
    const seenB: string[] = [];
    const nodeA = ingestOn(a, seenA, () => now, { unprocessed: { olderThanMs: 5_000 } });
    const nodeB = ingestOn(b, seenB, () => now, { unprocessed: { olderThanMs: 5_000 } });
    await Promise.all([nodeA.start(), nodeB.start(), nodeA.sweepAll(5_000), nodeB.sweepAll(5_000)]);
    const all = [...seenA, ...seenB];
    expect(all).toHaveLength(lost.length);
    expect(new Set(all)).toEqual(new Set(lost.map((e) => e.id)));
    expect(all).not.toContain(fresh.id);
    now += 10_000;
    expect(await nodeA.sweepAll(5_000)).toBe(1);
    expect(seenA.at(-1)).toBe(fresh.id);
    await Promise.all([nodeA.stop(), nodeB.stop()]);
    expect(await a.leaseUnprocessedEvents({ now: now + 1e9, receivedBefore: now + 1e9, limit: 10, owner: 'x', leaseMs: 1, maxAttempts: 9 })).toEqual([]);
  });
});
