import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PresenceEvent } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { EventDraft, Outbox, OutboxRow } from './outbox.js';

export interface SqliteOutboxOptions {
  /** File path of the database (created with its directory); ':memory:' only for throwaway use. */
  path: string;
  maxRows: number;
  maxAgeMs: number;
  clock: Clock;
  logger: Logger;
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
 * The SQLite outbox: the only file importing better-sqlite3 (STYLE habit 2).
 * `seq` is an AUTOINCREMENT key, so SQLite never reuses a number even after the newest rows are
 * acked and deleted (sqlite.org/autoinc.html): the per-gateway `seq` keeps increasing across restarts.
 * The event JSON is stored without `seq`; the row key is injected when reading.
 */
export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  private readonly log: Logger;
  private readonly stmts;
  private readonly appendTx;
  private droppedCount: number;

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
      dropOld: this.db.prepare<[number]>('DELETE FROM outbox WHERE created_at < ?'),
      dropOverflow: this.db.prepare<[number]>('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)'),
      getDropped: this.db.prepare<[], { v: number }>("SELECT v FROM meta WHERE k = 'dropped'"),
      addDropped: this.db.prepare<[number]>("UPDATE meta SET v = v + ? WHERE k = 'dropped'"),
    };
    this.droppedCount = this.stmts.getDropped.get()?.v ?? 0;
    this.appendTx = this.db.transaction((drafts: readonly EventDraft[], now: number): PresenceEvent[] => {
      const out: PresenceEvent[] = [];
      for (const draft of drafts) {
        const info = this.stmts.insert.run(draft.id, now, JSON.stringify(draft));
        out.push({ ...draft, seq: Number(info.lastInsertRowid) });
      }
      this.enforceBounds(now);
      return out;
    });
  }

  append(drafts: readonly EventDraft[]): PresenceEvent[] {
    if (drafts.length === 0) return [];
    return this.appendTx(drafts, this.opts.clock.now());
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
    return this.stmts.requeueBefore.run(before).changes;
  }

  requeueAll(): number {
    return this.stmts.requeueAll.run().changes;
  }

  ack(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    return this.db.transaction(() => {
      let n = 0;
      for (const id of ids) n += this.stmts.ack.run(id).changes;
      return n;
    })();
  }

  depth(): number {
    return this.stmts.depth.get()?.n ?? 0;
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

  /** Oldest rows go first: by age, then by count. Runs inside the append transaction. */
  private enforceBounds(now: number): void {
    const byAge = this.stmts.dropOld.run(now - this.opts.maxAgeMs).changes;
    const over = this.depth() - this.opts.maxRows;
    const byCount = over > 0 ? this.stmts.dropOverflow.run(over).changes : 0;
    const total = byAge + byCount;
    if (total > 0) {
      this.stmts.addDropped.run(total);
      this.droppedCount += total;
      this.log.warn({ droppedByAge: byAge, droppedByCount: byCount, droppedTotal: this.droppedCount }, 'outbox full or stale: dropped oldest events');
    }
  }
}

function toRow(r: DbRow): OutboxRow {
  const event = { ...(JSON.parse(r.payload) as EventDraft), seq: r.seq } as PresenceEvent;
  return { seq: r.seq, id: r.id, createdAt: r.created_at, sentAt: r.sent_at ?? undefined, attempts: r.attempts, event };
}
