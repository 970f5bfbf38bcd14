import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { newId, type PresenceEvent } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { parseJourney, serializeJourney, type JourneyChanges, type SavedJourney } from '../journey/journey-journal.js';
import type { EventDraft, Outbox, OutboxGap, OutboxRow } from './outbox.js';

export interface SqliteOutboxOptions {
  /** File path of the database (created with its directory); ':memory:' only for throwaway use. */
  path: string;
  maxRows: number;
  maxAgeMs: number;
  clock: Clock;
  logger: Logger;
}

interface GapRow {
  id: string;
  at: number;
  reason: OutboxGap['reason'];
  count: number;
  from_seq: number;
  to_seq: number;
  from_at: number;
  to_at: number;
}

interface DropRange {
  n: number;
  fromSeq: number | null;
  toSeq: number | null;
  fromAt: number | null;
  toAt: number | null;
}

interface DbRow {
  seq: number;
  id: string;
  created_at: number;
  sent_at: number | null;
  attempts: number;
  payload: string;
}

/**
 * The SQLite outbox: the only file importing better-sqlite3 (architecture §7 habit 2).
 * `seq` is an AUTOINCREMENT key, so SQLite never reuses a number even after the newest rows are
 * acked and deleted (sqlite.org/autoinc.html): the per-gateway `seq` keeps increasing across restarts.
 * The event JSON is stored without `seq`; the row key is injected when reading.
 *
 * Bounded work per append at any depth (issue: a 1 M-row outbox took 306-417 ms per append
 * against a 250 ms tick): the depth is a counter kept beside the table (COUNT(*) once at open,
 * then maintained by every insert and delete), and the age bound reads and deletes through an
 * index on created_at, so an append touches O(log n) pages, not the whole table. Rows dropped by
 * the bounds become one durable gap record per reason in the same transaction (table `gaps`),
 * published to the cloud and deleted on its ack like an event.
 */
export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  private readonly log: Logger;
  private readonly stmts;
  private readonly appendTx;
  private droppedCount: number;
  private depthCount: number;
  private gapCount: number;

  constructor(private readonly opts: SqliteOutboxOptions) {
    this.log = opts.logger.child({ module: 'outbox' });
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new Database(opts.path);
    // WAL: the uplink reads while the tick loop writes, and a commit is one sequential append.
    this.db.pragma('journal_mode = WAL');
    // synchronous=NORMAL must be set on every connection (it does not persist, a fresh connection
    // is FULL). In WAL mode NORMAL never corrupts the database; a power cut may lose the last
    // transactions since the previous checkpoint/fsync. That is acceptable: those events were
    // detected milliseconds earlier, and FULL would fsync four times a second on SD-card gateways.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        payload TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox(sent_at, seq);
      CREATE INDEX IF NOT EXISTS outbox_created ON outbox(created_at);
      CREATE TABLE IF NOT EXISTS gaps (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL,
        from_seq INTEGER NOT NULL,
        to_seq INTEGER NOT NULL,
        from_at INTEGER NOT NULL,
        to_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE TABLE IF NOT EXISTS journeys (
        subject TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        last_seen_at INTEGER,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta(k, v) VALUES ('dropped', 0);
    `);
    this.stmts = {
      insert: this.db.prepare<[string, number, string]>('INSERT INTO outbox(id, created_at, payload) VALUES (?, ?, ?)'),
      pending: this.db.prepare<[number], DbRow>('SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?'),
      markSent: this.db.prepare<[number, number]>('UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE seq = ?'),
      requeueBefore: this.db.prepare<[number]>('UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL AND sent_at < ?'),
      requeueAll: this.db.prepare('UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL'),
      ack: this.db.prepare<[string]>('DELETE FROM outbox WHERE id = ?'),
      depth: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox'),
      oldest: this.db.prepare<[], { t: number | null }>('SELECT MIN(created_at) AS t FROM outbox'),
      // Through outbox_created: the oldest row and the stale range are index lookups, never a scan.
      staleRange: this.db.prepare<[number], DropRange>(
        'SELECT COUNT(*) AS n, MIN(seq) AS fromSeq, MAX(seq) AS toSeq, MIN(created_at) AS fromAt, MAX(created_at) AS toAt FROM outbox WHERE created_at < ?',
      ),
      dropOld: this.db.prepare<[number]>('DELETE FROM outbox WHERE created_at < ?'),
      overflowRange: this.db.prepare<[number], DropRange>(
        'SELECT COUNT(*) AS n, MIN(seq) AS fromSeq, MAX(seq) AS toSeq, MIN(created_at) AS fromAt, MAX(created_at) AS toAt FROM (SELECT seq, created_at FROM outbox ORDER BY seq LIMIT ?)',
      ),
      dropOverflow: this.db.prepare<[number]>('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)'),
      insertGap: this.db.prepare<[string, number, string, number, number, number, number, number]>(
        'INSERT INTO gaps(id, at, reason, count, from_seq, to_seq, from_at, to_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      // The newest unsent record of a reason: a drop right after it extends it (one record per outage).
      openGap: this.db.prepare<[string], GapRow>('SELECT * FROM gaps WHERE sent_at IS NULL AND reason = ? ORDER BY at DESC, id DESC LIMIT 1'),
      extendGap: this.db.prepare<[number, number, number, number, string]>(
        'UPDATE gaps SET at = ?, count = count + ?, to_seq = ?, to_at = max(to_at, ?) WHERE id = ?',
      ),
      pendingGaps: this.db.prepare<[number], GapRow>('SELECT * FROM gaps WHERE sent_at IS NULL ORDER BY at, id LIMIT ?'),
      markGapSent: this.db.prepare<[number, string]>('UPDATE gaps SET sent_at = ? WHERE id = ?'),
      requeueGapsBefore: this.db.prepare<[number]>('UPDATE gaps SET sent_at = NULL WHERE sent_at IS NOT NULL AND sent_at < ?'),
      requeueAllGaps: this.db.prepare('UPDATE gaps SET sent_at = NULL WHERE sent_at IS NOT NULL'),
      ackGap: this.db.prepare<[string]>('DELETE FROM gaps WHERE id = ?'),
      gapCount: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM gaps'),
      upsertJourney: this.db.prepare<[string, string, number | null, number]>(
        'INSERT INTO journeys(subject, state, last_seen_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(subject) DO UPDATE SET state = excluded.state, last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at',
      ),
      deleteJourney: this.db.prepare<[string]>('DELETE FROM journeys WHERE subject = ?'),
      allJourneys: this.db.prepare<[], { subject: string; state: string; last_seen_at: number | null }>(
        'SELECT subject, state, last_seen_at FROM journeys ORDER BY subject',
      ),
      getDropped: this.db.prepare<[], { v: number }>("SELECT v FROM meta WHERE k = 'dropped'"),
      addDropped: this.db.prepare<[number]>("UPDATE meta SET v = v + ? WHERE k = 'dropped'"),
    };
    this.droppedCount = this.stmts.getDropped.get()?.v ?? 0;
    // The one full count, at open; every later change keeps these in step inside its transaction.
    this.depthCount = this.stmts.depth.get()?.n ?? 0;
    this.gapCount = this.stmts.gapCount.get()?.n ?? 0;
    this.appendTx = this.db.transaction((drafts: readonly EventDraft[], now: number, journeys: JourneyChanges | undefined): PresenceEvent[] => {
      const out: PresenceEvent[] = [];
      for (const draft of drafts) {
        const info = this.stmts.insert.run(draft.id, now, JSON.stringify(draft));
        this.depthCount += 1;
        out.push({ ...draft, seq: Number(info.lastInsertRowid) });
      }
      if (drafts.length > 0) this.enforceBounds(now);
      for (const j of journeys?.upserts ?? []) this.stmts.upsertJourney.run(j.subject, serializeJourney(j.state), j.lastSeenAt ?? null, now);
      for (const subject of journeys?.deletes ?? []) this.stmts.deleteJourney.run(subject);
      return out;
    });
  }

  append(drafts: readonly EventDraft[], journeys?: JourneyChanges): PresenceEvent[] {
    if (drafts.length === 0 && (journeys === undefined || (journeys.upserts.length === 0 && journeys.deletes.length === 0))) return [];
    // The counters move inside the transaction; a rolled-back batch must take them back too.
    const before = [this.depthCount, this.gapCount, this.droppedCount] as const;
    try {
      return this.appendTx(drafts, this.opts.clock.now(), journeys);
    } catch (err) {
      [this.depthCount, this.gapCount, this.droppedCount] = before;
      throw err;
    }
  }

  /**
   * SQLite's plan for each statement an append runs (EXPLAIN QUERY PLAN details): tests assert that
   * none of them scans the table, so an append stays O(log n) at any depth.
   */
  appendPathPlans(): Record<string, string[]> {
    const plan = (sql: string, params: unknown[]) => (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
    return {
      insert: plan(this.stmts.insert.source, ['x', 0, '{}']),
      oldest: plan(this.stmts.oldest.source, []),
      staleRange: plan(this.stmts.staleRange.source, [0]),
      dropOld: plan(this.stmts.dropOld.source, [0]),
      overflowRange: plan(this.stmts.overflowRange.source, [1]),
      dropOverflow: plan(this.stmts.dropOverflow.source, [1]),
    };
  }

  loadJourneys(): SavedJourney[] {
    const out: SavedJourney[] = [];
    for (const row of this.stmts.allJourneys.all()) {
      const parsed = parseJourney(row.state);
      if (!parsed.ok) {
        // An upgrade changed the state's shape: that journey starts afresh rather than the gateway failing.
        this.log.warn({ reason: parsed.reason }, 'saved journey dropped');
        this.stmts.deleteJourney.run(row.subject);
        continue;
      }
      out.push({ subject: row.subject, state: parsed.state, lastSeenAt: row.last_seen_at ?? undefined });
    }
    return out;
  }

  pending(limit: number): OutboxRow[] {
    return this.stmts.pending.all(limit).map(toRow);
  }

  markSent(seqs: readonly number[], at: number): void {
    if (seqs.length === 0) return;
    this.db.transaction(() => {
      for (const seq of seqs) this.stmts.markSent.run(at, seq);
    })();
  }

  requeueSentBefore(before: number): number {
    this.stmts.requeueGapsBefore.run(before);
    return this.stmts.requeueBefore.run(before).changes;
  }

  requeueAll(): number {
    this.stmts.requeueAllGaps.run();
    return this.stmts.requeueAll.run().changes;
  }

  ack(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    return this.db.transaction(() => {
      let n = 0;
      for (const id of ids) {
        const changes = this.stmts.ack.run(id).changes;
        n += changes;
        // An acked id is an event row or, failing that, a gap record (both are ULIDs).
        if (changes === 0 && this.gapCount > 0) this.gapCount -= this.stmts.ackGap.run(id).changes;
      }
      this.depthCount -= n;
      return n;
    })();
  }

  pendingGaps(limit: number): OutboxGap[] {
    return this.stmts.pendingGaps
      .all(limit)
      .map((g) => ({ id: g.id, at: g.at, reason: g.reason, count: g.count, fromSeq: g.from_seq, toSeq: g.to_seq, fromAt: g.from_at, toAt: g.to_at }));
  }

  markGapsSent(ids: readonly string[], at: number): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.stmts.markGapSent.run(at, id);
    })();
  }

  undeliveredGaps(): number {
    return this.gapCount;
  }

  depth(): number {
    return this.depthCount;
  }

  oldestAt(): number | undefined {
    return this.stmts.oldest.get()?.t ?? undefined;
  }

  dropped(): number {
    return this.droppedCount;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Oldest rows go first: by age, then by count. Runs inside the append transaction, so the drop
   * and its gap record commit together (a crash leaves both or neither).
   */
  private enforceBounds(now: number): void {
    const oldest = this.stmts.oldest.get()?.t;
    const staleBefore = now - this.opts.maxAgeMs;
    const byAge =
      oldest !== null && oldest !== undefined && oldest < staleBefore
        ? this.drop('max_age', now, this.stmts.staleRange.get(staleBefore), () => this.stmts.dropOld.run(staleBefore).changes)
        : 0;
    const over = this.depthCount - this.opts.maxRows;
    const byCount = over > 0 ? this.drop('max_rows', now, this.stmts.overflowRange.get(over), () => this.stmts.dropOverflow.run(over).changes) : 0;
    const total = byAge + byCount;
    if (total > 0) {
      this.stmts.addDropped.run(total);
      this.droppedCount += total;
      this.log.warn(
        { droppedByAge: byAge, droppedByCount: byCount, droppedTotal: this.droppedCount },
        'outbox full or stale: dropped oldest events (gap recorded for the cloud)',
      );
    }
  }

  private drop(reason: OutboxGap['reason'], now: number, range: DropRange | undefined, remove: () => number): number {
    if (!range || range.n === 0 || range.fromSeq === null || range.toSeq === null || range.fromAt === null || range.toAt === null) return 0;
    const n = remove();
    this.depthCount -= n;
    // At the cap every append drops a few rows; while the cloud is away (the usual reason) they
    // extend one unsent record instead of writing one per tick. Sent records are never changed.
    const open = this.stmts.openGap.get(reason);
    if (open && open.to_seq < range.fromSeq) {
      this.stmts.extendGap.run(now, n, range.toSeq, range.toAt, open.id);
    } else {
      this.stmts.insertGap.run(newId(now), now, reason, n, range.fromSeq, range.toSeq, range.fromAt, range.toAt);
      this.gapCount += 1;
    }
    return n;
  }
}

function toRow(r: DbRow): OutboxRow {
  const event = { ...(JSON.parse(r.payload) as EventDraft), seq: r.seq } as PresenceEvent;
  return { seq: r.seq, id: r.id, createdAt: r.created_at, sentAt: r.sent_at ?? undefined, attempts: r.attempts, event };
}
