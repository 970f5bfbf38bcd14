import type pg from 'pg';
import type { StaffAlert } from '@storesense/protocol';
import type {
  AlertHandling,
  AlertKey,
  AlertQuery,
  AuthToken,
  AuthTokenKind,
  NewAlert,
  RaisedAlert,
  StaffAccount,
  StaffProfile,
  StaffRole,
} from './cloud-store.js';
import { alertRowParams } from './cloud-store.js';
import { one, rows, run, type Row } from './pg-sql.js';

const ALERT_FILTER = `seq > @since AND (@upTo::bigint IS NULL OR seq <= @upTo) AND (@siteId::text IS NULL OR site_id = @siteId)
  AND (@stores::text[] IS NULL OR store_id = ANY(@stores)) AND (NOT @handledOnly::boolean OR status <> 'open')`;

const toAlert = (r: Row): StaffAlert => ({ ...(r.body as NewAlert), seq: r.seq as number });

/** Staff alerts (seq from a counter row, in commit order), claims by compare-and-set, staff and auth tokens. */
export class PgAlertTables {
  constructor(private readonly pool: pg.Pool) {}

  async insert(alert: NewAlert): Promise<StaffAlert> {
    return (await this.store(alert, null)).alert;
  }

  raise(alert: NewAlert, ruleId: string, cooldownMs = 0): Promise<RaisedAlert> {
    return this.store(alert, ruleId, cooldownMs);
  }

  /**
   * Idempotent by alert id and by (event, rule). The seq is taken from `alert_seq`, whose row lock
   * the inserting transaction holds until it commits: raisers on every node queue there, so seqs
   * commit in order and a reader that has seen seq n never later finds a new alert below n (socket
   * resume, decision 100). A raise that finds its alert stored rolls back, leaving no gap.
   * The same lock makes the cooldown re-check exact: no other alert can be stored between it and the insert.
   */
  private async store(alert: NewAlert, ruleId: string | null, cooldownMs = 0): Promise<RaisedAlert> {
    const client = await this.pool.connect();
    try {
      // Three round trips, two of them under the lock: take it (and the seq), decide and insert, commit.
      const taken = (await client.query('BEGIN; UPDATE alert_seq SET last = last + 1 RETURNING last')) as unknown as { rows: Row[] }[];
      const seq = taken[1]!.rows[0]!.last as number;
      // Read committed: this statement starts after the lock was granted, so it sees whatever an
      // earlier holder stored (the same event and rule, the same id, or an alert inside the cooldown).
      const r = await one(
        client,
        `WITH existing AS (
           SELECT seq, body, 'existing'::text AS outcome FROM alerts WHERE id = @id OR (event_id = @eventId AND rule_id = @ruleId) ORDER BY seq LIMIT 1),
         cool AS (
           SELECT n.seq, n.body, 'cooldown'::text AS outcome FROM (
             SELECT seq, body, event_at FROM alerts WHERE @cooldown::bigint > 0 AND member_id = @memberId AND site_id = @siteId AND store_id = @storeId
               AND event_type = @eventType AND event_id <> @eventId ORDER BY event_at DESC LIMIT 1) n
           WHERE abs(@eventAt::bigint - n.event_at) < @cooldown::bigint AND NOT EXISTS (SELECT 1 FROM existing)),
         ins AS (
           INSERT INTO alerts (seq, id, at, event_at, event_id, event_type, site_id, store_id, member_id, body, rule_id)
           SELECT @seq::bigint, @id, @at::bigint, @eventAt::bigint, @eventId, @eventType, @siteId, @storeId, @memberId, @body::jsonb, @ruleId::text
           WHERE NOT EXISTS (SELECT 1 FROM existing) AND NOT EXISTS (SELECT 1 FROM cool)
           RETURNING seq, body, 'inserted'::text AS outcome)
         SELECT * FROM existing UNION ALL SELECT * FROM cool UNION ALL SELECT * FROM ins`,
        {
          seq,
          ...alertRowParams(alert),
          ruleId,
          cooldown: cooldownMs,
        },
      );
      if (r?.outcome === 'inserted') {
        await client.query('COMMIT');
        return { alert: { ...alert, seq }, inserted: true };
      }
      await client.query('ROLLBACK'); // nothing stored: the seq goes back too, no gap
      return r?.outcome === 'cooldown' ? { alert: toAlert(r), inserted: false, cooldown: true } : { alert: toAlert(r!), inserted: false };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async list(q: AlertQuery): Promise<StaffAlert[]> {
    const r = await rows(this.pool, `SELECT seq, body FROM alerts WHERE ${ALERT_FILTER} ORDER BY seq ${q.newestFirst ? 'DESC' : 'ASC'} LIMIT @limit`, {
      since: q.sinceSeq ?? 0,
      upTo: q.upToSeq ?? null,
      siteId: q.siteId ?? null,
      stores: q.storeIds ? [...q.storeIds] : null,
      handledOnly: q.handledOnly === true,
      limit: q.limit,
    });
    return r.map(toAlert);
  }

  async get(id: string): Promise<StaffAlert | undefined> {
    const r = await one(this.pool, 'SELECT seq, body FROM alerts WHERE id = @id', { id });
    return r ? toAlert(r) : undefined;
  }

  async visitAlertIds(siteId: string, visitId: string): Promise<string[]> {
    const r = await rows(
      this.pool,
      `SELECT id FROM alerts WHERE site_id = @siteId AND body->>'visitId' = @visitId AND body->>'visitId' IS NOT NULL ORDER BY seq`,
      {
        siteId,
        visitId,
      },
    );
    return r.map((x) => x.id as string);
  }

  async latestMemberVisit(q: { siteId: string; storeId: string | undefined; memberId: string; since: number }): Promise<string | undefined> {
    const r = await one(
      this.pool,
      `SELECT body->>'visitId' AS visit_id FROM alerts
       WHERE member_id = @memberId AND site_id = @siteId AND store_id = @storeId AND event_at >= @since AND body->>'visitId' IS NOT NULL
       ORDER BY event_at DESC, seq DESC LIMIT 1`,
      { siteId: q.siteId, storeId: q.storeId ?? '', memberId: q.memberId, since: q.since },
    );
    return r ? (r.visit_id as string) : undefined;
  }

  async handling(id: string): Promise<AlertHandling | undefined> {
    const r = await one(this.pool, 'SELECT status, handled_by FROM alerts WHERE id = @id', { id });
    return r ? { status: r.status as StaffAlert['status'], handledBy: (r.handled_by as string | null) ?? undefined } : undefined;
  }

  /** Claims race between phones and nodes: one conditional UPDATE, so exactly one claimant wins (row lock). */
  async updateStatus(id: string, expect: AlertHandling, next: StaffAlert, handledBy: string | undefined): Promise<boolean> {
    const { seq: _seq, ...body } = next;
    const r = await run(
      this.pool,
      `UPDATE alerts SET status = @status, handled_by = @handledBy, body = @body
       WHERE id = @id AND status = @expectStatus AND coalesce(handled_by, '') = @expectBy`,
      { id, status: next.status, handledBy: handledBy ?? null, body: JSON.stringify(body), expectStatus: expect.status, expectBy: expect.handledBy ?? '' },
    );
    return r.rowCount === 1;
  }

  async lastEventAt(key: AlertKey): Promise<number | undefined> {
    const r = await one(
      this.pool,
      'SELECT max(event_at) AS at FROM alerts WHERE member_id = @memberId AND site_id = @siteId AND store_id = @storeId AND event_type = @eventType',
      { memberId: key.memberId, siteId: key.siteId, storeId: key.storeId ?? '', eventType: key.eventType },
    );
    return (r?.at as number | null) ?? undefined;
  }

  async upsertStaff(a: StaffAccount): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO staff (username, display_name, role, site_id, store_ids, password_hash, salt, updated_at)
       VALUES (@username, @displayName, @role, @siteId, @storeIds, @passwordHash, @salt, @updatedAt)
       ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role, site_id = excluded.site_id,
         store_ids = excluded.store_ids, password_hash = excluded.password_hash, salt = excluded.salt, updated_at = excluded.updated_at`,
      {
        username: a.username,
        displayName: a.displayName,
        role: a.role,
        siteId: a.siteId ?? null,
        storeIds: JSON.stringify(a.storeIds),
        passwordHash: a.passwordHash,
        salt: a.salt,
        updatedAt: a.updatedAt,
      },
    );
  }

  async getStaff(username: string): Promise<StaffAccount | undefined> {
    const r = await one(this.pool, 'SELECT * FROM staff WHERE username = @username', { username });
    return r ? { ...toStaffProfile(r), passwordHash: r.password_hash as string, salt: r.salt as string } : undefined;
  }

  async listStaff(): Promise<StaffProfile[]> {
    return (await rows(this.pool, 'SELECT * FROM staff ORDER BY username')).map(toStaffProfile);
  }

  async insertToken(t: AuthToken): Promise<void> {
    await run(
      this.pool,
      `INSERT INTO auth_tokens (token_hash, kind, username, name, role, site_id, store_ids, created_at, expires_at, created_by)
       VALUES (@tokenHash, @kind, @username, @name, @role, @siteId, @storeIds, @createdAt, @expiresAt, @createdBy)`,
      {
        tokenHash: t.tokenHash,
        kind: t.kind,
        username: t.username ?? null,
        name: t.name,
        role: t.role,
        siteId: t.siteId ?? null,
        storeIds: JSON.stringify(t.storeIds),
        createdAt: t.createdAt,
        expiresAt: t.expiresAt ?? null,
        createdBy: t.createdBy ?? null,
      },
    );
  }

  async getToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined> {
    const r = await one(this.pool, 'SELECT * FROM auth_tokens WHERE token_hash = @tokenHash AND kind = @kind', { tokenHash, kind });
    return r ? toToken(r) : undefined;
  }

  /** DELETE … RETURNING: two sockets presenting one ticket cannot both redeem it. */
  async takeToken(tokenHash: string, kind: AuthTokenKind): Promise<AuthToken | undefined> {
    const r = await one(this.pool, 'DELETE FROM auth_tokens WHERE token_hash = @tokenHash AND kind = @kind RETURNING *', { tokenHash, kind });
    return r ? toToken(r) : undefined;
  }

  async deleteToken(tokenHash: string): Promise<void> {
    await run(this.pool, 'DELETE FROM auth_tokens WHERE token_hash = @tokenHash', { tokenHash });
  }

  async listTokens(kind: AuthTokenKind): Promise<AuthToken[]> {
    return (await rows(this.pool, 'SELECT * FROM auth_tokens WHERE kind = @kind ORDER BY created_at, token_hash', { kind })).map(toToken);
  }

  async deleteOfUser(username: string): Promise<number> {
    return (await run(this.pool, 'DELETE FROM auth_tokens WHERE username = @username', { username })).rowCount ?? 0;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await run(this.pool, 'DELETE FROM auth_tokens WHERE expires_at IS NOT NULL AND expires_at <= @now', { now })).rowCount ?? 0;
  }
}

function toStaffProfile(r: Row): StaffProfile {
  return {
    username: r.username as string,
    displayName: r.display_name as string,
    role: r.role as StaffRole,
    siteId: (r.site_id as string | null) ?? undefined,
    storeIds: r.store_ids as string[],
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
    storeIds: r.store_ids as string[],
    createdAt: r.created_at as number,
    expiresAt: (r.expires_at as number | null) ?? undefined,
    ...(typeof r.created_by === 'string' ? { createdBy: r.created_by } : {}),
  };
}
