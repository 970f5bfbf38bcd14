import type Database from 'better-sqlite3';
import type { StaffAlert } from '@storesense/protocol';
import { type AlertHandling, type AlertKey, type AlertQuery, alertRowParams, type NewAlert, type RaisedAlert } from './cloud-store.js';
import type { Row } from './store.sqlite.rows.js';

/** Staff alerts of the SQLite store: insert (seq), scoped listings, cooldown lookup, status CAS. */
export class SqliteAlertTables {
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      insertAlert: db.prepare(
        `INSERT INTO alerts (id, at, event_at, event_id, event_type, site_id, store_id, member_id, body)
         VALUES (@id, @at, @eventAt, @eventId, @eventType, @siteId, @storeId, @memberId, @body)`,
      ),
      raiseAlert: db.prepare(
        `INSERT INTO alerts (id, at, event_at, event_id, event_type, site_id, store_id, member_id, body, rule_id)
         VALUES (@id, @at, @eventAt, @eventId, @eventType, @siteId, @storeId, @memberId, @body, @ruleId) ON CONFLICT DO NOTHING`,
      ),
      newestOfKey: db.prepare(
        `SELECT seq, body, event_at FROM alerts WHERE member_id = @memberId AND site_id = @siteId AND store_id = @storeId AND event_type = @eventType
           AND event_id <> @eventId ORDER BY event_at DESC LIMIT 1`,
      ),
      getRaised: db.prepare('SELECT seq, body FROM alerts WHERE (event_id = @eventId AND rule_id = @ruleId) OR id = @id ORDER BY seq LIMIT 1'),
      listAlertsAsc: db.prepare(
        `SELECT seq, body FROM alerts
         WHERE seq > @since AND (@upTo IS NULL OR seq <= @upTo) AND (@siteId IS NULL OR site_id = @siteId)
           AND (@stores IS NULL OR store_id IN (SELECT value FROM json_each(@stores))) AND (@handledOnly = 0 OR status <> 'open')
         ORDER BY seq ASC LIMIT @limit`,
      ),
      listAlertsDesc: db.prepare(
        `SELECT seq, body FROM alerts
         WHERE seq > @since AND (@upTo IS NULL OR seq <= @upTo) AND (@siteId IS NULL OR site_id = @siteId)
           AND (@stores IS NULL OR store_id IN (SELECT value FROM json_each(@stores))) AND (@handledOnly = 0 OR status <> 'open')
         ORDER BY seq DESC LIMIT @limit`,
      ),
      getAlert: db.prepare('SELECT seq, body FROM alerts WHERE id = ?'),
      visitAlerts: db.prepare(
        `SELECT id FROM alerts WHERE site_id = @siteId AND json_extract(body, '$.visitId') = @visitId AND json_extract(body, '$.visitId') IS NOT NULL ORDER BY seq`,
      ),
      memberVisit: db.prepare(
        `SELECT json_extract(body, '$.visitId') AS visit_id FROM alerts
         WHERE member_id = @memberId AND site_id = @siteId AND store_id = @storeId AND event_at >= @since AND json_extract(body, '$.visitId') IS NOT NULL
         ORDER BY event_at DESC, seq DESC LIMIT 1`,
      ),
      getHandling: db.prepare('SELECT status, handled_by FROM alerts WHERE id = ?'),
      updateAlertStatus: db.prepare(
        `UPDATE alerts SET status = @status, handled_by = @handledBy, body = @body
         WHERE id = @id AND status = @expectStatus AND coalesce(handled_by, '') = @expectBy`,
      ),
      lastAlert: db.prepare(
        `SELECT max(event_at) AS at FROM alerts
         WHERE member_id = @memberId AND site_id = @siteId AND store_id = @storeId AND event_type = @eventType`,
      ),
    };
  }

  insertAlert(alert: NewAlert): StaffAlert {
    const info = this.stmt.insertAlert.run(alertRowParams(alert));
    return { ...alert, seq: Number(info.lastInsertRowid) };
  }

  /**
   * Inserted, or the alert already stored for (event, rule) or this id. Looked up first: a conflicting
   * insert would burn an AUTOINCREMENT seq, and seqs stay consecutive (the socket resume relies on
   * order, not on that, but a gap-free sequence is what the PostgreSQL store gives too). The unique
   * index stays the backstop; SQLite writes are synchronous, so nothing runs in between.
   */
  raiseAlert(alert: NewAlert, ruleId: string, cooldownMs = 0): RaisedAlert {
    const key = { eventId: alert.eventId, ruleId, id: alert.id };
    let r = this.stmt.getRaised.get(key) as Row | undefined;
    if (!r && cooldownMs > 0) {
      const last = this.stmt.newestOfKey.get({
        memberId: alert.memberId,
        siteId: alert.siteId,
        storeId: alert.storeId ?? '',
        eventType: alert.eventType,
        eventId: alert.eventId,
      }) as Row | undefined;
      if (last && Math.abs(alert.eventAt - (last.event_at as number)) < cooldownMs) {
        return { alert: { ...(JSON.parse(last.body as string) as NewAlert), seq: last.seq as number }, inserted: false, cooldown: true };
      }
    }
    if (!r) {
      const info = this.stmt.raiseAlert.run({ ...alertRowParams(alert), ruleId });
      if (info.changes === 1) return { alert: { ...alert, seq: Number(info.lastInsertRowid) }, inserted: true };
      r = this.stmt.getRaised.get(key) as Row;
    }
    return { alert: { ...(JSON.parse(r.body as string) as NewAlert), seq: r.seq as number }, inserted: false };
  }

  listAlerts(q: AlertQuery): StaffAlert[] {
    const stmt = q.newestFirst ? this.stmt.listAlertsDesc : this.stmt.listAlertsAsc;
    const rows = stmt.all({
      since: q.sinceSeq ?? 0,
      upTo: q.upToSeq ?? null,
      siteId: q.siteId ?? null,
      stores: q.storeIds ? JSON.stringify(q.storeIds) : null,
      handledOnly: q.handledOnly ? 1 : 0,
      limit: q.limit,
    }) as Row[];
    return rows.map((r) => ({ ...(JSON.parse(r.body as string) as NewAlert), seq: r.seq as number }));
  }

  getAlert(id: string): StaffAlert | undefined {
    const r = this.stmt.getAlert.get(id) as Row | undefined;
    return r ? { ...(JSON.parse(r.body as string) as NewAlert), seq: r.seq as number } : undefined;
  }

  visitAlertIds(siteId: string, visitId: string): string[] {
    return (this.stmt.visitAlerts.all({ siteId, visitId }) as Row[]).map((r) => r.id as string);
  }

  latestMemberVisit(q: { siteId: string; storeId: string | undefined; memberId: string; since: number }): string | undefined {
    const r = this.stmt.memberVisit.get({ siteId: q.siteId, storeId: q.storeId ?? '', memberId: q.memberId, since: q.since }) as Row | undefined;
    return r ? (r.visit_id as string) : undefined;
  }

  getAlertHandling(id: string): AlertHandling | undefined {
    const r = this.stmt.getHandling.get(id) as Row | undefined;
    return r ? { status: r.status as StaffAlert['status'], handledBy: (r.handled_by as string | null) ?? undefined } : undefined;
  }

  updateAlertStatus(id: string, expect: AlertHandling, next: StaffAlert, handledBy: string | undefined): boolean {
    const { seq: _seq, ...body } = next;
    const info = this.stmt.updateAlertStatus.run({
      id,
      status: next.status,
      handledBy: handledBy ?? null,
      body: JSON.stringify(body),
      expectStatus: expect.status,
      expectBy: expect.handledBy ?? '',
    });
    return info.changes === 1;
  }

  lastAlertEventAt(key: AlertKey): number | undefined {
    const row = this.stmt.lastAlert.get({ ...key, storeId: key.storeId ?? '' }) as { at: number | null };
    return row.at ?? undefined;
  }
}
