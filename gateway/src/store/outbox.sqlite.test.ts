import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { silentLogger } from '../log.js';
import { draft } from '../testing/fixtures.js';
import Database from 'better-sqlite3';
import { SqliteOutbox } from './outbox.sqlite.js';

describe('SqliteOutbox on a real file', () => {
  let dir: string;
  let clock: ManualClock;
  const open = (maxRows = 1000, maxAgeMs = 3_600_000) =>
    new SqliteOutbox({ path: join(dir, 'sub', 'outbox.db'), maxRows, maxAgeMs, clock, logger: silentLogger() });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    clock = new ManualClock(1_700_000_000_000);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('assigns increasing seqs and returns pending rows oldest first', () => {
    const ob = open();
    const stored = ob.append([draft(1), draft(2), draft(3)]);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(ob.depth()).toBe(3);
    const rows = ob.pending(2);
    expect(rows.map((r) => r.event.id)).toEqual([draft(1).id, draft(2).id]);
    expect(rows[0]!.event.seq).toBe(1);
    expect(rows[0]!.event.subject.id).toBe('s1');
    ob.close();
  });

  it('markSent hides rows from pending until requeued; ack deletes', () => {
    const ob = open();
    ob.append([draft(1), draft(2)]);
    ob.markSent([1, 2], clock.now());
    expect(ob.pending(10)).toHaveLength(0);
    expect(ob.requeueSentBefore(clock.now())).toBe(0);
    clock.advance(20_000);
    expect(ob.requeueSentBefore(clock.now() - 15_000)).toBe(2);
    expect(ob.pending(10).map((r) => r.attempts)).toEqual([1, 1]);
    ob.markSent([1], clock.now());
    expect(ob.requeueAll()).toBe(1);
    expect(ob.ack([draft(1).id, 'unknown-id'])).toBe(1);
    expect(ob.depth()).toBe(1);
    expect(ob.pending(10).map((r) => r.seq)).toEqual([2]);
    ob.close();
  });

  it('keeps rows and keeps seq increasing across close and reopen, even after acking the newest', () => {
    let ob = open();
    ob.append([draft(1), draft(2), draft(3)]);
    ob.ack([draft(3).id]);
    ob.close();
    ob = open();
    expect(ob.depth()).toBe(2);
    expect(ob.pending(10).map((r) => r.seq)).toEqual([1, 2]);
    const [next] = ob.append([draft(4)]);
    expect(next!.seq).toBe(4);
    ob.close();
  });

  it('drops the oldest rows beyond maxRows and counts the drops persistently', () => {
    let ob = open(3);
    ob.append([draft(1), draft(2)]);
    ob.append([draft(3), draft(4), draft(5)]);
    expect(ob.depth()).toBe(3);
    expect(ob.dropped()).toBe(2);
    expect(ob.pending(10).map((r) => r.event.id)).toEqual([draft(3).id, draft(4).id, draft(5).id]);
    ob.close();
    ob = open(3);
    expect(ob.dropped()).toBe(2);
    ob.close();
  });

  it('drops rows older than maxAgeMs and reports the oldest creation time', () => {
    const ob = open(1000, 60_000);
    ob.append([draft(1)]);
    const first = clock.now();
    expect(ob.oldestAt()).toBe(first);
    clock.advance(30_000);
    ob.append([draft(2)]);
    expect(ob.oldestAt()).toBe(first);
    clock.advance(40_000);
    ob.append([draft(3)]);
    expect(ob.depth()).toBe(2);
    expect(ob.dropped()).toBe(1);
    expect(ob.oldestAt()).toBe(first + 30_000);
    ob.ack([draft(2).id, draft(3).id]);
    expect(ob.oldestAt()).toBeUndefined();
    ob.close();
  });

  it('an append batch is one transaction: a duplicate id rolls the whole batch back', () => {
    const ob = open();
    ob.append([draft(1)]);
    expect(() => ob.append([draft(2), draft(1)])).toThrow();
    expect(ob.depth()).toBe(1);
    ob.close();
  });
});

describe('SqliteOutbox at its limits', () => {
  let dir: string;
  let clock: ManualClock;
  const open = (maxRows = 1000, maxAgeMs = 3_600_000) => new SqliteOutbox({ path: join(dir, 'outbox.db'), maxRows, maxAgeMs, clock, logger: silentLogger() });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-limits-'));
    clock = new ManualClock(1_700_000_000_000);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('no statement of the append path scans the table (a 1 M-row outbox made each append scan it twice)', () => {
    const ob = open();
    const plans = ob.appendPathPlans();
    // The cap's two statements read the k oldest rows in key order and stop (ORDER BY seq LIMIT k).
    for (const [name, details] of Object.entries(plans)) {
      if (name === 'overflowRange' || name === 'dropOverflow') continue;
      for (const d of details) expect(d, name).not.toMatch(/^SCAN outbox\b/);
    }
    // The age bound goes through the created_at index.
    expect(plans.staleRange!.join(' ')).toMatch(/outbox_created/);
    expect(plans.dropOld!.join(' ')).toMatch(/outbox_created/);
    ob.close();
  });

  it('the depth counter matches the table through appends, drops, acks, rollbacks and reopen', () => {
    let ob = open(50, 120_000);
    const live: string[] = [];
    let n = 0;
    for (let round = 0; round < 40; round += 1) {
      const batch = Array.from({ length: 1 + (round % 7) }, () => draft(++n));
      ob.append(batch);
      live.push(...batch.map((d) => d.id));
      if (round % 3 === 0) ob.ack(live.splice(0, 2));
      if (round % 5 === 0) expect(() => ob.append([draft(10_000 + round), draft(10_000 + round)])).toThrow(); // duplicate id: rolled back
      clock.advance(7_000);
      const counted = new Database(join(dir, 'outbox.db'), { readonly: true });
      const { c } = counted.prepare('SELECT COUNT(*) AS c FROM outbox').get() as { c: number };
      counted.close();
      expect(ob.depth()).toBe(c);
      if (round === 20) {
        ob.close();
        ob = open(50, 120_000);
      }
    }
    ob.close();
  });

  it('a drop by the row cap becomes one durable gap record (count, seq and time range), deleted on the cloud ack', () => {
    let ob = open(3);
    ob.append([draft(1), draft(2)]);
    clock.advance(1_000);
    ob.append([draft(3), draft(4), draft(5)]);
    expect(ob.depth()).toBe(3);
    const [gap] = ob.pendingGaps(10);
    expect(gap).toMatchObject({
      reason: 'max_rows',
      count: 2,
      fromSeq: 1,
      toSeq: 2,
      fromAt: 1_700_000_000_000,
      toAt: 1_700_000_000_000,
      at: 1_700_000_001_000,
    });
    expect(ob.undeliveredGaps()).toBe(1);
    // A further drop before it was sent extends the same record (one per outage, not per tick).
    ob.append([draft(6)]);
    expect(ob.pendingGaps(10)).toEqual([expect.objectContaining({ id: gap!.id, count: 3, fromSeq: 1, toSeq: 3 })]);
    ob.markGapsSent([gap!.id], clock.now());
    expect(ob.pendingGaps(10)).toHaveLength(0);
    // Once sent, a record is never changed: the next drop starts a new one.
    ob.append([draft(7)]);
    expect(ob.pendingGaps(10)).toEqual([expect.objectContaining({ count: 1, fromSeq: 4, toSeq: 4 })]);
    expect(ob.undeliveredGaps()).toBe(2);
    ob.ack([ob.pendingGaps(10)[0]!.id]);
    ob.close();
    ob = open(3); // durable: still owed to the cloud after a restart (and re-sent after reconnect)
    expect(ob.undeliveredGaps()).toBe(1);
    expect(ob.requeueAll()).toBe(0);
    expect(ob.pendingGaps(10).map((g) => g.id)).toEqual([gap!.id]);
    expect(ob.ack([gap!.id])).toBe(0); // not an event row
    expect(ob.undeliveredGaps()).toBe(0);
    expect(ob.depth()).toBe(3);
    ob.close();
  });

  it("a drop by age becomes a max_age gap with the dropped rows' time range", () => {
    const ob = open(1000, 60_000);
    ob.append([draft(1)]);
    clock.advance(10_000);
    ob.append([draft(2)]);
    clock.advance(65_000);
    ob.append([draft(3)]);
    expect(ob.pendingGaps(10)).toEqual([
      expect.objectContaining({ reason: 'max_age', count: 2, fromSeq: 1, toSeq: 2, fromAt: 1_700_000_000_000, toAt: 1_700_000_010_000 }),
    ]);
    ob.close();
  });
});
