import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { makeEvent, tempDir } from '../testing/fixtures.js';
import { runCloudStoreContract } from './cloud-store.contract.js';
import { MIGRATIONS } from './migrations.sqlite.js';
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
    expect(await reopened.insertEvent(e, 2)).toEqual({ inserted: false });
    await reopened.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();
    t.cleanup();
  });
});
