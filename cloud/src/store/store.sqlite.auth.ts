import type Database from 'better-sqlite3';
import type { AuthToken, AuthTokenKind, StaffAccount, StaffProfile, StaffRole } from './cloud-store.js';
import type { Row } from './store.sqlite.rows.js';

/** Staff accounts and hashed auth tokens of the SQLite store (split out to keep files small). */
export class SqliteAuthTables {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      upsertStaff: db.prepare(
        `INSERT INTO staff (username, display_name, role, site_id, store_ids, password_hash, salt, updated_at)
         VALUES (@username, @displayName, @role, @siteId, @storeIds, @passwordHash, @salt, @updatedAt)
         ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
           site_id = excluded.site_id, store_ids = excluded.store_ids, password_hash = excluded.password_hash,
           salt = excluded.salt, updated_at = excluded.updated_at`,
      ),
      getStaff: db.prepare('SELECT * FROM staff WHERE username = ?'),
      listStaff: db.prepare('SELECT * FROM staff ORDER BY username'),
      insertToken: db.prepare(
        `INSERT INTO auth_tokens (token_hash, kind, username, name, role, site_id, store_ids, created_at, expires_at, created_by)
         VALUES (@tokenHash, @kind, @username, @name, @role, @siteId, @storeIds, @createdAt, @expiresAt, @createdBy)`,
      ),
      getToken: db.prepare('SELECT * FROM auth_tokens WHERE token_hash = ? AND kind = ?'),
      // RETURNING makes redeem-once atomic: two sockets presenting one ticket cannot both get it.
      takeToken: db.prepare('DELETE FROM auth_tokens WHERE token_hash = ? AND kind = ? RETURNING *'),
      deleteToken: db.prepare('DELETE FROM auth_tokens WHERE token_hash = ?'),
      listTokens: db.prepare('SELECT * FROM auth_tokens WHERE kind = ? ORDER BY created_at, token_hash'),
      deleteOfUser: db.prepare('DELETE FROM auth_tokens WHERE username = ?'),
      deleteExpired: db.prepare('DELETE FROM auth_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    };
  }

  upsertStaff(a: StaffAccount): void {
    this.stmt.upsertStaff.run({ ...a, siteId: a.siteId ?? null, storeIds: JSON.stringify(a.storeIds) });
  }

  getStaff(username: string): StaffAccount | undefined {
    const row = this.stmt.getStaff.get(username) as Row | undefined;
    return row ? { ...toStaffProfile(row), passwordHash: row.password_hash as string, salt: row.salt as string } : undefined;
  }

  listStaff(): StaffProfile[] {
    return (this.stmt.listStaff.all() as Row[]).map(toStaffProfile);
  }

  insertToken(t: AuthToken): void {
    this.stmt.insertToken.run({
      ...t,
      username: t.username ?? null,
      siteId: t.siteId ?? null,
      storeIds: JSON.stringify(t.storeIds),
      expiresAt: t.expiresAt ?? null,
      createdBy: t.createdBy ?? null,
    });
  }

  listTokens(kind: AuthTokenKind): AuthToken[] {
    return (this.stmt.listTokens.all(kind) as Row[]).map(toToken);
  }

  getToken(tokenHash: string, kind: AuthTokenKind): AuthToken | undefined {
    const row = this.stmt.getToken.get(tokenHash, kind) as Row | undefined;
    return row ? toToken(row) : undefined;
  }

  takeToken(tokenHash: string, kind: AuthTokenKind): AuthToken | undefined {
    const row = this.stmt.takeToken.get(tokenHash, kind) as Row | undefined;
    return row ? toToken(row) : undefined;
  }

  deleteToken(tokenHash: string): void {
    this.stmt.deleteToken.run(tokenHash);
  }

  deleteOfUser(username: string): number {
    return this.stmt.deleteOfUser.run(username).changes;
  }

  deleteExpired(now: number): number {
    return this.stmt.deleteExpired.run(now).changes;
  }
}

function toStaffProfile(r: Row): StaffProfile {
  return {
    username: r.username as string,
    displayName: r.display_name as string,
    role: r.role as StaffRole,
    siteId: (r.site_id as string | null) ?? undefined,
    storeIds: JSON.parse(r.store_ids as string) as string[],
    updatedAt: r.updated_at as number,
  };
}

function toToken(r: Row): AuthToken {
  return {
    tokenHash: r.token_hash as string,
    kind: r.kind as AuthTokenKind,
    username: (r.username as string | null) ?? undefined,
    name: r.name as string,
    role: r.role as StaffRole,
    siteId: (r.site_id as string | null) ?? undefined,
    storeIds: JSON.parse(r.store_ids as string) as string[],
    createdAt: r.created_at as number,
    expiresAt: (r.expires_at as number | null) ?? undefined,
    ...(typeof r.created_by === 'string' ? { createdBy: r.created_by } : {}),
  };
}
