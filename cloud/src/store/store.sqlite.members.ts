import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { EventType, PresenceEvent } from '@storesense/protocol';
import type { MemberActivity, MemberRecord, MemberSearch, MemberUpsert, MemberWithActivity } from './cloud-store.js';
import type { KeySealer } from './key-sealer.js';
import { toProfile, type Row } from './store.sqlite.rows.js';

// Activity is derived from the events on read (indexed by member): visits are distinct visit ids
// with an arrival, spend sums purchase amounts. Correlated subqueries keep one statement per page.
// With @siteId (a site-scoped reader, decision 68) activity counts that site's events only, and
// only members seen there at least once are listed.
const AT_SITE = '(@siteId IS NULL OR e.site_id = @siteId)';
const ACTIVITY = `
  (SELECT count(DISTINCT json_extract(e.body, '$.visitId')) FROM events e WHERE e.member_id = m.member_id AND e.type = 'arrival' AND ${AT_SITE}) AS visits,
  (SELECT max(e.at) FROM events e WHERE e.member_id = m.member_id AND ${AT_SITE}) AS last_seen_at,
  (SELECT coalesce(sum(json_extract(e.body, '$.amount')), 0) FROM events e WHERE e.member_id = m.member_id AND e.type = 'purchase' AND ${AT_SITE}) AS total_spend,
  (SELECT json_extract(e.body, '$.currency') FROM events e WHERE e.member_id = m.member_id AND e.type = 'purchase' AND ${AT_SITE} ORDER BY e.at DESC LIMIT 1) AS currency`;
const FILTER = `(@siteId IS NULL OR EXISTS (SELECT 1 FROM events e WHERE e.member_id = m.member_id AND e.site_id = @siteId))
  AND (@tier IS NULL OR m.tier = @tier) AND (@q IS NULL OR m.member_id LIKE @q ESCAPE '\\' OR m.name LIKE @q ESCAPE '\\'
  OR m.nickname LIKE @q ESCAPE '\\' OR m.tags LIKE @q ESCAPE '\\')`;
const PROFILE_COLUMNS = 'm.member_id, m.name, m.nickname, m.tier, m.tags, m.consent, m.consent_marketing, m.preferences, m.devices, m.updated_at';

/**
 * The member tables (migrations 1 and 5): profiles with their write-only token keys, searches
 * with activity, and erasure. Token keys never leave this class except through the key listing.
 */
export class SqliteMemberTables {
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly sealer: KeySealer,
  ) {
    this.stmt = {
      exists: db.prepare('SELECT token_key FROM members WHERE member_id = ?'),
      put: db.prepare(
        `INSERT INTO members (member_id, name, nickname, tier, tags, consent, consent_marketing, preferences, devices, token_key, updated_at)
         VALUES (@memberId, @name, @nickname, @tier, @tags, @consent, @marketing, @preferences, @devices, @tokenKey, @at)
         ON CONFLICT (member_id) DO UPDATE SET name = excluded.name, nickname = excluded.nickname, tier = excluded.tier, tags = excluded.tags,
           consent = excluded.consent, consent_marketing = excluded.consent_marketing, preferences = excluded.preferences,
           devices = excluded.devices, token_key = excluded.token_key, updated_at = excluded.updated_at`,
      ),
      // The CSV carries one consent flag: a new member gets it for marketing too; an existing
      // member keeps the marketing choice made in the app, unless presence consent is withdrawn.
      upsertCsv: db.prepare(
        `INSERT INTO members (member_id, name, tier, tags, consent, consent_marketing, token_key, updated_at)
         VALUES (@memberId, @name, @tier, @tags, @consent, @consent, @tokenKey, @at)
         ON CONFLICT (member_id) DO UPDATE SET name = excluded.name, tier = excluded.tier, tags = excluded.tags,
           consent = excluded.consent, consent_marketing = CASE WHEN excluded.consent = 0 THEN 0 ELSE members.consent_marketing END,
           token_key = excluded.token_key, updated_at = excluded.updated_at`,
      ),
      search: db.prepare(`SELECT ${PROFILE_COLUMNS}, ${ACTIVITY} FROM members m WHERE ${FILTER} ORDER BY m.member_id LIMIT @limit OFFSET @offset`),
      total: db.prepare(`SELECT count(*) AS n FROM members m WHERE ${FILTER}`),
      activity: db.prepare(`SELECT ${ACTIVITY} FROM (SELECT @memberId AS member_id) m`),
      events: db.prepare(
        `SELECT body FROM events WHERE member_id = @memberId AND (@siteId IS NULL OR site_id = @siteId)
           AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
         ORDER BY at DESC, id DESC LIMIT @limit`,
      ),
      deleteMember: db.prepare('DELETE FROM members WHERE member_id = ?'),
      eraseEvents: db.prepare(`UPDATE events SET member_id = @p, body = json_set(body, '$.subject.memberId', @p) WHERE member_id = @m`),
      eraseAlerts: db.prepare(
        `UPDATE alerts SET member_id = @p, body = json_remove(json_set(body, '$.memberId', @p, '$.memberName', 'erased member', '$.tags', json('[]'),
           '$.message', 'erased member'), '$.tier', '$.member', '$.recommendation') WHERE member_id = @m`,
      ),
      dropDeliveries: db.prepare(`DELETE FROM offer_deliveries WHERE status = 'pending' AND offer_id IN (SELECT id FROM offers WHERE member_id = ?)`),
      eraseOffers: db.prepare('UPDATE offers SET member_id = @p WHERE member_id = @m'),
    };
  }

  upsertCsv(members: readonly MemberRecord[], at: number): { inserted: number; updated: number } {
    let inserted = 0;
    let updated = 0;
    // One transaction for the whole import: a restart re-imports idempotently, all or nothing.
    this.db.transaction(() => {
      for (const m of members) {
        if (this.stmt.exists.get(m.memberId)) updated++;
        else inserted++;
        this.stmt.upsertCsv.run({ ...m, tokenKey: this.sealer.seal(m.memberId, m.tokenKey), tags: JSON.stringify(m.tags), consent: m.consent ? 1 : 0, at });
      }
    })();
    return { inserted, updated };
  }

  put(m: MemberUpsert, at: number): { created: boolean } {
    return this.db.transaction(() => {
      const existing = this.stmt.exists.get(m.memberId) as { token_key: string } | undefined;
      // A member created without a key gets a random one nobody holds: the NOT NULL column stays
      // honest and no token can match until the member app provisions a real key.
      // Stored keys are sealed with the member id as associated data, so the existing value is kept as is.
      const tokenKey =
        existing !== undefined && m.tokenKey === undefined ? existing.token_key : this.sealer.seal(m.memberId, m.tokenKey ?? randomBytes(16).toString('hex'));
      this.stmt.put.run({
        memberId: m.memberId,
        name: m.name,
        nickname: m.nickname ?? null,
        tier: m.tier,
        tags: JSON.stringify(m.tags),
        consent: m.consent ? 1 : 0,
        marketing: m.consent && m.marketingConsent ? 1 : 0,
        preferences: JSON.stringify(m.preferences ?? {}),
        devices: JSON.stringify(m.devices ?? []),
        tokenKey,
        at,
      });
      return { created: existing === undefined };
    })();
  }

  search(q: MemberSearch): { members: MemberWithActivity[]; total: number } {
    const like = q.q === undefined || q.q === '' ? null : `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const params = { q: like, tier: q.tier ?? null, siteId: q.siteId ?? null };
    const rows = this.stmt.search.all({ ...params, limit: q.limit, offset: q.offset ?? 0 }) as Row[];
    return { members: rows.map((r) => ({ ...toProfile(r), ...toActivity(r) })), total: (this.stmt.total.get(params) as { n: number }).n };
  }

  activity(memberId: string, siteId?: string): MemberActivity {
    return toActivity(this.stmt.activity.get({ memberId, siteId: siteId ?? null }) as Row);
  }

  events(memberId: string, q: { types?: readonly EventType[]; limit: number; siteId?: string | undefined }): PresenceEvent[] {
    const rows = this.stmt.events.all({ memberId, siteId: q.siteId ?? null, types: q.types ? JSON.stringify(q.types) : null, limit: q.limit }) as {
      body: string;
    }[];
    return rows.map((r) => JSON.parse(r.body) as PresenceEvent);
  }

  erase(memberId: string, pseudonym: string): { erased: boolean; events: number } {
    return this.db.transaction(() => {
      const erased = this.stmt.deleteMember.run(memberId).changes > 0;
      const ids = { m: memberId, p: pseudonym };
      const events = this.stmt.eraseEvents.run(ids).changes;
      this.stmt.eraseAlerts.run(ids);
      this.stmt.dropDeliveries.run(memberId);
      this.stmt.eraseOffers.run(ids);
      return { erased, events };
    })();
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
