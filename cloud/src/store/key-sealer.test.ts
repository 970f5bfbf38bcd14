import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { KeySealer, loadMasterKey, SealedKeyError } from './key-sealer.js';
import { MIGRATIONS } from './migrations.sqlite.js';
import { openSqliteStore } from './store.sqlite.js';

const KEY = '0123456789abcdef0123456789abcdef';

describe('KeySealer', () => {
  const sealer = new KeySealer(randomBytes(32));

  it('opens what it sealed, and never seals the same key to the same text twice', () => {
    const a = sealer.seal('m1', KEY);
    expect(sealer.open('m1', a)).toBe(KEY);
    expect(sealer.seal('m1', KEY)).not.toBe(a);
    expect(a).not.toContain(KEY);
  });

  it('refuses a sealed key moved onto another member (member id is associated data)', () => {
    expect(() => sealer.open('m2', sealer.seal('m1', KEY))).toThrow(SealedKeyError);
  });

  it('refuses a value sealed under another master key, a tampered value and garbage, saying why', () => {
    const other = new KeySealer(randomBytes(32)).seal('m1', KEY);
    expect(() => sealer.open('m1', other)).toThrow(/does not open with this master key/);
    const sealed = sealer.seal('m1', KEY).split('.');
    sealed[3] = Buffer.from('x'.repeat(32)).toString('base64url');
    expect(() => sealer.open('m1', sealed.join('.'))).toThrow(SealedKeyError);
    expect(() => sealer.open('m1', 'not-a-key')).toThrow(/neither sealed nor a plain key/);
  });

  it('rejects master keys of the wrong size', () => {
    expect(() => new KeySealer(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => loadMasterKey({ envValue: 'abc', filePath: '/nonexistent' })).toThrow(/64 hex/);
  });
});

describe('member token keys at rest', () => {
  it('never sit in the database file in the clear, and the store still publishes them', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const store = openSqliteStore({ path });
    await store.upsertMembers([{ memberId: 'm1', name: 'Ann', tier: 'gold', tags: [], consent: true, tokenKey: KEY }], 1);
    await store.putMember({ memberId: 'm2', name: 'Bo', tier: 'basic', tags: [], consent: true, marketingConsent: false, tokenKey: 'f'.repeat(32) }, 2);
    expect(await store.listConsentingMemberKeys()).toEqual([
      { memberId: 'm1', key: KEY },
      { memberId: 'm2', key: 'f'.repeat(32) },
    ]);
    await store.close();
    const bytes = Buffer.concat([
      readFileSync(path),
      ...['-wal'].flatMap((s) => {
        try {
          return [readFileSync(path + s)];
        } catch {
          return [];
        }
      }),
    ]);
    expect(bytes.includes(KEY)).toBe(false);
    expect(bytes.includes('f'.repeat(32))).toBe(false);
    expect(statSync(`${path}.key`).mode & 0o777).toBe(0o600);
    const reopened = openSqliteStore({ path }); // same key file
    expect((await reopened.listConsentingMemberKeys())[0]).toEqual({ memberId: 'm1', key: KEY });
    await reopened.close();
    t.cleanup();
  });

  it('seals keys stored in the clear by an older database when it opens', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 4)) old.exec(m);
    old.pragma('user_version = 4');
    old.prepare(`INSERT INTO members (member_id, name, tier, tags, consent, token_key, updated_at) VALUES ('m1', 'Ann', 'gold', '[]', 1, ?, 1)`).run(KEY);
    old.close();
    const store = openSqliteStore({ path });
    expect(await store.listConsentingMemberKeys()).toEqual([{ memberId: 'm1', key: KEY }]);
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect((raw.prepare('SELECT token_key FROM members').get() as { token_key: string }).token_key).toMatch(/^s1\./);
    raw.close();
    t.cleanup();
  });

  it('refuses to open with a different master key instead of publishing wrong keys', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cloud.db');
    const store = openSqliteStore({ path, masterKey: randomBytes(32) });
    await store.upsertMembers([{ memberId: 'm1', name: 'Ann', tier: 'gold', tags: [], consent: true, tokenKey: KEY }], 1);
    await store.close();
    expect(() => openSqliteStore({ path, masterKey: randomBytes(32) })).toThrow(/does not open with this master key/);
    t.cleanup();
  });
});
