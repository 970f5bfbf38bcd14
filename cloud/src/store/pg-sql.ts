import pg from 'pg';

/**
 * The only import of `pg` (node-postgres) in the cloud besides the store's opener: named
 * parameters over positional ones, BIGINT/NUMERIC as numbers, and transactions on one client.
 */
export type Row = Record<string, unknown>;
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
}

// Millisecond times and counts fit a double exactly (< 2^53), so BIGINT (20) and NUMERIC (1700,
// sums) come back as numbers rather than pg's default strings. Per pool, not the global parser.
export const PG_TYPES = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format);
  },
};

/** Rewrites `@name` placeholders to `$n` (one per distinct name) and runs the statement. */
export async function run(db: Queryable, text: string, params: Record<string, unknown> = {}): Promise<pg.QueryResult<Row>> {
  const names: string[] = [];
  const sql = text.replace(/@([A-Za-z_]\w*)/g, (_m, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) {
      if (!(name in params)) throw new Error(`SQL parameter @${name} not given`);
      i = names.push(name) - 1;
    }
    return `$${i + 1}`;
  });
  return db.query(
    sql,
    names.map((n) => params[n]),
  );
}

export async function rows(db: Queryable, text: string, params: Record<string, unknown> = {}): Promise<Row[]> {
  return (await run(db, text, params)).rows;
}

export async function one(db: Queryable, text: string, params: Record<string, unknown> = {}): Promise<Row | undefined> {
  return (await run(db, text, params)).rows[0];
}

/** Runs `fn` in one transaction on one pooled client (BEGIN/COMMIT, ROLLBACK on any error). */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
