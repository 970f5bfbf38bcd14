import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { runCloudStoreContract } from './cloud-store.contract.js';
import { MIGRATIONS } from './migrations.sqlite.js';
import { randomJourneyEvents } from './rollups.contract.js';
import { openSqliteStore } from './store.sqlite.js';

runCloudStoreContract('sqlite', () => {
  const t = tempDir();
  return { store: openSqliteStore({ path: join(t.dir, 'cloud.db') }), cleanup: t.cleanup };
});

describe('openSqliteStore', () => {
  it('uses WAL, records the schema version and keeps data across reopen', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const store = openSqliteStore({ path });
    const e = makeEvent();
    await store.insertEvent(e, 1);
    await store.close();
    const reopened = openSqliteStore({ path });
    expect(await reopened.insertEvent(e, 2)).toMatchObject({ inserted: false });
    await reopened.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();
    t.cleanup();
  });

  it('group commit: concurrent inserts share a transaction, a re-sent id in the same batch is a duplicate, a bad event fails alone, and each resolves only once committed', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const store = openSqliteStore({ path });
    const events = Array.from({ length: 300 }, (_, i) => makeEvent({ gatewayId: `gw${i % 7}` }));
    const bad = makeEvent() as ReturnType<typeof makeEvent> & { self?: unknown };
    bad.self = bad; // JSON.stringify throws inside the batch
    const raw = new Database(path, { readonly: true });
    const count = () => (raw.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const calls = [...events, events[0]!, bad, events[1]!].map((e) =>
      store.insertEvent(e, 1).then(
        (r) => ({ r, committed: count() }),
        (err: unknown) => ({ err }),
      ),
    );
    const results = await Promise.all(calls);
    expect(results.slice(0, 300).every((x) => 'r' in x && x.r.inserted)).toBe(true);
    expect(results[300]).toMatchObject({ r: { inserted: false, owner: { siteId: events[0]!.siteId, gatewayId: events[0]!.gatewayId } } });
    expect(results[301]).toMatchObject({ err: expect.any(TypeError) });
    expect(results[302]).toMatchObject({ r: { inserted: false } });
    // Read from another connection the moment each caller resolved: its event was already committed.
    expect(results.every((x) => !('committed' in x) || x.committed === 300)).toBe(true);
    // Inserts still queued when the store closes are committed first, not lost.
    const late = makeEvent();
    const pending = store.insertEvent(late, 2);
    await store.close();
    expect(await pending).toEqual({ inserted: true });
    expect(count()).toBe(301);
    raw.close();
    t.cleanup();
  });

  it('migrates a version-1 database: earlier alerts are open and can be claimed', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const v1 = new Database(path);
    v1.exec(MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    const body = {
      id: 'old',
      at: 1,
      eventAt: 1,
      eventId: 'e1',
      eventType: 'arrival',
      siteId: 's',
      storeId: 'st',
      memberId: 'm',
      memberName: 'M',
      tags: [],
      message: 'hi',
      status: 'open',
    };
    v1.prepare(
      `INSERT INTO alerts (id, at, event_at, event_id, event_type, site_id, store_id, member_id, body) VALUES ('old', 1, 1, 'e1', 'arrival', 's', 'st', 'm', ?)`,
    ).run(JSON.stringify(body));
    v1.close();
    const store = openSqliteStore({ path });
    expect(await store.getAlertHandling('old')).toEqual({ status: 'open', handledBy: undefined });
    const alert = (await store.getAlert('old'))!;
    expect(await store.updateAlertStatus('old', { status: 'open', handledBy: undefined }, { ...alert, status: 'claimed', claimedBy: 'A' }, 'a')).toBe(true);
    expect((await store.listAlerts({ limit: 5, storeIds: ['st'], handledOnly: true }))[0]).toMatchObject({ id: 'old', status: 'claimed' });
    await store.close();
    t.cleanup();
  });

  it('migrates a version-4 database: old offers keep their rows, and a second offer per member and day is allowed', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const v4 = new Database(path);
    for (const m of MIGRATIONS.slice(0, 4)) v4.exec(m);
    v4.pragma('user_version = 4');
    v4.prepare(`INSERT INTO members (member_id, name, tier, tags, consent, token_key, updated_at) VALUES ('m1', 'Ann', 'gold', '[]', 1, ?, 1)`).run(
      'a'.repeat(32),
    );
    v4.prepare(
      `INSERT INTO offers (id, kind, member_id, site_id, store_id, day, issued_at, expires_at, status, event_id) VALUES ('o1', 'welcome', 'm1', 's', 'st', 'd', 1, 9, 'issued', 'e1')`,
    ).run();
    v4.close();
    const store = openSqliteStore({ path });
    expect(await store.getOffer('o1')).toMatchObject({ memberId: 'm1', kind: 'welcome', status: 'issued', title: 'welcome' });
    expect(
      await store.insertOffer({ id: 'o2', kind: 'welcome', memberId: 'm1', siteId: 's', day: 'd', issuedAt: 2, expiresAt: 9, status: 'issued', eventId: 'e2' }),
    ).toEqual({ inserted: true });
    expect((await store.getMember('m1'))?.marketingConsent).toBe(true); // consent carried over
    await store.close();
    t.cleanup();
  });
  it('migrates a version-8 database: the events stored before the rollups are rolled up at open, as if ingested live; counters start from the rows', async () => {
    const events = fc.sample(randomJourneyEvents('old', 80), { numRuns: 1, seed: 12 })[0]!;
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const v8 = new Database(path);
    for (const m of MIGRATIONS.slice(0, 8)) v8.exec(m);
    v8.pragma('user_version = 8');
    const insert = v8.prepare(
      `INSERT OR IGNORE INTO events (id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    );
    for (const e of events) insert.run(e.id, e.siteId, e.gatewayId, e.seq, e.type, e.at, e.storeId ?? null, e.subject.memberId ?? null, JSON.stringify(e));
    v8.close();
    const migrated = openSqliteStore({ path });
    const live = openSqliteStore({ path: ':memory:' });
    for (const e of events) await live.insertEvent(e, 1);
    const range = { siteId: 'old', from: 0, to: 2 ** 50 };
    expect(await migrated.rollupHours(range)).toEqual(await live.rollupHours(range));
    expect(await migrated.rollupFootfall(range)).toEqual(await live.rollupFootfall(range));
    expect(await migrated.rollupDwell(range)).toEqual(await live.rollupDwell(range));
    expect(await migrated.rollupReturning(range)).toEqual(await live.rollupReturning(range));
    expect((await migrated.counts()).events).toBe(new Set(events.map((e) => e.id)).size);
    expect((await migrated.rollupHours(range)).length).toBeGreaterThan(0);
    await migrated.close();
    await live.close();
    t.cleanup();
  });
  it('reads a long range in keyset pages: every event once, in (at, id) order, ties across page edges included', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const store = openSqliteStore({ path });
    const raw = new Database(path);
    const insert = raw.prepare(
      `INSERT INTO events (id, site_id, gateway_id, seq, type, at, received_at, store_id, member_id, body) VALUES (?, 'pg', 'gw1', ?, ?, ?, 1, NULL, NULL, ?)`,
    );
    const events = Array.from({ length: 4_500 }, (_, i) =>
      makeEvent({ siteId: 'pg', at: 1_000 + Math.floor(i / 7), type: i % 5 === 0 ? 'dwell' : 'arrival', ...(i % 5 === 0 ? { phase: 'end' as const } : {}) }),
    );
    raw.transaction(() => {
      for (const e of events) insert.run(e.id, e.seq, e.type, e.at, JSON.stringify(e));
    })();
    raw.close();
    const byAtId = (a: { at: number; id: string }, b: { at: number; id: string }) => a.at - b.at || (a.id < b.id ? -1 : 1);
    expect((await store.listEventsInRange({ siteId: 'pg', from: 0, to: 10_000 })).map((e) => e.id)).toEqual([...events].sort(byAtId).map((e) => e.id));
    const dwells = events.filter((e) => e.type === 'dwell' && e.at >= 1_100 && e.at < 1_600).sort(byAtId);
    expect((await store.listEventsInRange({ siteId: 'pg', from: 1_100, to: 1_600, types: ['dwell'] })).map((e) => e.id)).toEqual(dwells.map((e) => e.id));
    await store.close();
    t.cleanup();
  }, 30_000);
});
