import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { EventType, PresenceEvent } from '@storesense/protocol';
import type { MemberActivity, MemberDevice, MemberProfile, MemberRecord, MemberSearch, MemberUpsert, MemberWithActivity } from './cloud-store.js';
import type { KeySealer } from './key-sealer.js';
import { one, rows, run, transaction, type Row } from './pg-sql.js';

// As in the SQLite store: activity derived from the events on read (member index), scoped to one
// site when @siteId is given (decision 68).
const AT_SITE = '(@siteId::text IS NULL OR e.site_id = @siteId)';
const ACTIVITY = `
  (SELECT count(DISTINCT e.body->>'visitId') FROM events e WHERE e.member_id = m.member_id AND e.type = 'arrival' AND ${AT_SITE}) AS visits,
  (SELECT max(e.at) FROM events e WHERE e.member_id = m.member_id AND ${AT_SITE}) AS last_seen_at,
  (SELECT coalesce(sum((e.body->>'amount')::float8), 0) FROM events e WHERE e.member_id = m.member_id AND e.type = 'purchase' AND ${AT_SITE}) AS total_spend,
  (SELECT e.body->>'currency' FROM events e WHERE e.member_id = m.member_id AND e.type = 'purchase' AND ${AT_SITE} ORDER BY e.at DESC LIMIT 1) AS currency`;
const FILTER = `(@siteId::text IS NULL OR EXISTS (SELECT 1 FROM events e WHERE e.member_id = m.member_id AND e.site_id = @siteId))
  AND (@tier::text IS NULL OR m.tier = @tier) AND (@q::text IS NULL OR m.member_id ILIKE @q OR m.name ILIKE @q
  OR m.nickname ILIKE @q OR m.tags::text ILIKE @q)`;
const PROFILE_COLUMNS = 'm.member_id, m.name, m.nickname, m.tier, m.tags, m.consent, m.consent_marketing, m.preferences, m.devices, m.updated_at';

export function toPgProfile(r: Row): MemberProfile {
  return {
    memberId: r.member_id as string,
    name: r.name as string,
    ...(typeof r.nickname === 'string' ? { nickname: r.nickname } : {}),
    tier: r.tier as string,
    tags: r.tags as string[],
    consent: r.consent === true,
    marketingConsent: r.consent_marketing === true,
    preferences: r.preferences as Record<string, string>,
    devices: r.devices as MemberDevice[],
    updatedAt: r.updated_at as number,
  };
}

/** Member profiles with sealed, write-only token keys; searches with activity; erasure. */
export class PgMemberTables {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sealer: KeySealer,
  ) {}

  async upsertCsv(members: readonly MemberRecord[], at: number): Promise<{ inserted: number; updated: number }> {
    if (members.length === 0) return { inserted: 0, updated: 0 };
    // One batched statement over arrays (unnest): the import is all or nothing, and `xmax = 0`
    // tells an inserted row from an updated one.
    const r = await rows(
      this.pool,
      `INSERT INTO members (member_id, name, tier, tags, consent, consent_marketing, token_key, updated_at)
       SELECT id, name, tier, tags::jsonb, consent, consent, key, @at::bigint FROM unnest(@ids::text[], @names::text[], @tiers::text[], @tags::text[], @consents::boolean[], @keys::text[])
         AS t(id, name, tier, tags, consent, key)
       ON CONFLICT (member_id) DO UPDATE SET name = excluded.name, tier = excluded.tier, tags = excluded.tags, consent = excluded.consent,
         consent_marketing = CASE WHEN NOT excluded.consent THEN false ELSE members.consent_marketing END,
         token_key = excluded.token_key, updated_at = excluded.updated_at
       RETURNING (xmax = 0) AS inserted`,
      {
        at,
        ids: members.map((m) => m.memberId),
        names: members.map((m) => m.name),
        tiers: members.map((m) => m.tier),
        tags: members.map((m) => JSON.stringify(m.tags)),
        consents: members.map((m) => m.consent),
        keys: members.map((m) => this.sealer.seal(m.memberId, m.tokenKey)),
      },
    );
    const inserted = r.filter((x) => x.inserted === true).length;
    return { inserted, updated: r.length - inserted };
  }

  async put(m: MemberUpsert, at: number): Promise<{ created: boolean }> {
    return transaction(this.pool, async (c) => {
      const existing = await one(c, 'SELECT token_key FROM members WHERE member_id = @id FOR UPDATE', { id: m.memberId });
      // A member created without a key gets a random one nobody holds (as in SQLite).
      const tokenKey =
        existing !== undefined && m.tokenKey === undefined
          ? (existing.token_key as string)
          : this.sealer.seal(m.memberId, m.tokenKey ?? randomBytes(16).toString('hex'));
      await run(
        c,
        `INSERT INTO members (member_id, name, nickname, tier, tags, consent, consent_marketing, preferences, devices, token_key, updated_at)
         VALUES (@memberId, @name, @nickname, @tier, @tags, @consent, @marketing, @preferences, @devices, @tokenKey, @at)
         ON CONFLICT (member_id) DO UPDATE SET name = excluded.name, nickname = excluded.nickname, tier = excluded.tier, tags = excluded.tags,
           consent = excluded.consent, consent_marketing = excluded.consent_marketing, preferences = excluded.preferences,
           devices = excluded.devices, token_key = excluded.token_key, updated_at = excluded.updated_at`,
        {
          memberId: m.memberId,
          name: m.name,
          nickname: m.nickname ?? null,
          tier: m.tier,
          tags: JSON.stringify(m.tags),
          consent: m.consent,
          marketing: m.consent && m.marketingConsent === true,
          preferences: JSON.stringify(m.preferences ?? {}),
          devices: JSON.stringify(m.devices ?? []),
          tokenKey,
          at,
        },
      );
      return { created: existing === undefined };
    });
  }

  async get(memberId: string): Promise<MemberProfile | undefined> {
    const r = await one(this.pool, `SELECT ${PROFILE_COLUMNS} FROM members m WHERE member_id = @id`, { id: memberId });
    return r ? toPgProfile(r) : undefined;
  }

  async list(limit: number, offset: number): Promise<MemberProfile[]> {
    return (await rows(this.pool, `SELECT ${PROFILE_COLUMNS} FROM members m ORDER BY member_id LIMIT @limit OFFSET @offset`, { limit, offset })).map(
      toPgProfile,
    );
  }

  async keys(): Promise<{ memberId: string; key: string }[]> {
    const r = await rows(this.pool, 'SELECT member_id, token_key FROM members WHERE consent ORDER BY member_id');
    return r.map((x) => ({ memberId: x.member_id as string, key: this.sealer.open(x.member_id as string, x.token_key as string) }));
  }

  async search(q: MemberSearch): Promise<{ members: MemberWithActivity[]; total: number }> {
    const like = q.q === undefined || q.q === '' ? null : `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const params = { q: like, tier: q.tier ?? null, siteId: q.siteId ?? null };
    const r = await rows(this.pool, `SELECT ${PROFILE_COLUMNS}, ${ACTIVITY} FROM members m WHERE ${FILTER} ORDER BY m.member_id LIMIT @limit OFFSET @offset`, {
      ...params,
      limit: q.limit,
      offset: q.offset ?? 0,
    });
    const total = await one(this.pool, `SELECT count(*) AS n FROM members m WHERE ${FILTER}`, params);
    return { members: r.map((x) => ({ ...toPgProfile(x), ...toActivity(x) })), total: total?.n as number };
  }

  async activity(memberId: string, siteId?: string): Promise<MemberActivity> {
    const r = await one(this.pool, `SELECT ${ACTIVITY} FROM (SELECT @memberId::text AS member_id) m`, { memberId, siteId: siteId ?? null });
    return toActivity(r!);
  }

  async events(memberId: string, q: { types?: readonly EventType[]; limit: number; siteId?: string | undefined }): Promise<PresenceEvent[]> {
    const r = await rows(
      this.pool,
      `SELECT body FROM events WHERE member_id = @memberId AND (@siteId::text IS NULL OR site_id = @siteId) AND (@types::text[] IS NULL OR type = ANY(@types))
       ORDER BY at DESC, id DESC LIMIT @limit`,
      { memberId, siteId: q.siteId ?? null, types: q.types ? [...q.types] : null, limit: q.limit },
    );
    return r.map((x) => x.body as PresenceEvent);
  }

  async erase(memberId: string, pseudonym: string): Promise<{ erased: boolean; events: number }> {
    return transaction(this.pool, async (c) => {
      const ids = { m: memberId, p: pseudonym };
      const erased = ((await run(c, 'DELETE FROM members WHERE member_id = @m', { m: memberId })).rowCount ?? 0) > 0;
      const events =
        (await run(c, `UPDATE events SET member_id = @p, body = jsonb_set(body, '{subject,memberId}', to_jsonb(@p::text)) WHERE member_id = @m`, ids))
          .rowCount ?? 0;
      await run(
        c,
        `UPDATE alerts SET member_id = @p, body = (body || jsonb_build_object('memberId', @p::text, 'memberName', 'erased member', 'tags', '[]'::jsonb,
           'message', 'erased member')) - 'tier' - 'member' - 'recommendation' WHERE member_id = @m`,
        ids,
      );
      await run(c, `DELETE FROM offer_deliveries WHERE status = 'pending' AND offer_id IN (SELECT id FROM offers WHERE member_id = @m)`, { m: memberId });
      await run(c, 'UPDATE offers SET member_id = @p WHERE member_id = @m', ids);
      await run(c, 'UPDATE rollup_arrivals SET member_id = @p WHERE member_id = @m', ids);
      return { erased, events };
    });
  }
}

function toActivity(r: Row): MemberActivity {
  return {
    visits: r.visits as number,
    lastSeenAt: (r.last_seen_at as number | null) ?? null,
    totalSpend: r.total_spend as number,
    ...(typeof r.currency === 'string' ? { currency: r.currency } : {}),
  };
}
