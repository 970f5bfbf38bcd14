import type Database from 'better-sqlite3';
import type { Rule } from '../rules/rule.schema.js';

/**
 * The rules table (migration 4): one JSON body per rule, in `position` order (insertion order;
 * a replaced rule keeps its place). Bodies are validated by the caller (API on write, runner on
 * read), so a hand-edited row cannot break evaluation.
 */
export class SqliteRuleTables {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      list: db.prepare('SELECT body FROM rules ORDER BY position, id'),
      get: db.prepare('SELECT body FROM rules WHERE id = ?'),
      upsert: db.prepare(
        `INSERT INTO rules (id, position, enabled, body, updated_at)
         VALUES (@id, (SELECT coalesce(max(position), -1) + 1 FROM rules), @enabled, @body, @at)
         ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, body = excluded.body, updated_at = excluded.updated_at`,
      ),
      exists: db.prepare('SELECT 1 FROM rules WHERE id = ?'),
      delete: db.prepare('DELETE FROM rules WHERE id = ?'),
    };
  }

  list(): Rule[] {
    return (this.stmt.list.all() as { body: string }[]).map((r) => JSON.parse(r.body) as Rule);
  }

  get(id: string): Rule | undefined {
    const row = this.stmt.get.get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Rule) : undefined;
  }

  put(rule: Rule, at: number): { created: boolean } {
    const created = this.stmt.exists.get(rule.id) === undefined;
    this.stmt.upsert.run({ id: rule.id, enabled: rule.enabled ? 1 : 0, body: JSON.stringify(rule), at });
    return { created };
  }

  delete(id: string): boolean {
    return this.stmt.delete.run(id).changes > 0;
  }
}
