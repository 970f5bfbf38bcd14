import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { silentLogger } from '../log.js';
import { draft } from '../testing/fixtures.js';
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
