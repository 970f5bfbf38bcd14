import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the tests use (this machine and CI run one on 127.0.0.1:5432, trust auth, database
 * `test`; STORESENSE_TEST_DATABASE_URL overrides). Each test works in its own random schema.
 */
export const POSTGRES_TEST_URL = process.env.STORESENSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Why PostgreSQL cannot be used (undefined when it can). Under CI=true an unreachable server throws:
 * CI has the service, so a skip there would hide a broken store.
 */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 2000 });
  let reason: string | undefined;
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    reason = `${POSTGRES_TEST_URL} is not reachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
  if (reason !== undefined && process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true: ${reason}`);
  if (reason !== undefined) console.warn(`skipping PostgreSQL tests: ${reason}`);
  return reason;
}

export const freshSchemaName = (): string => `t_${randomBytes(6).toString('hex')}`;

/** Runs SQL on a short-lived connection (schema set-up and inspection from tests). */
export async function pgQuery(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** The test URL with `search_path` set to `schema` (libpq `options`), for code that takes only a URL. */
export function urlWithSchema(schema: string): string {
  const url = new URL(POSTGRES_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}
