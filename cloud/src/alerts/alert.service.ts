import { newId, type AlertMemberSummary, type PresenceEvent, type Recommendation, type StaffAlert } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Action } from '../rules/rules.js';
import type { CloudStore, MemberProfile } from '../store/cloud-store.js';
import type { AlertFanout } from './alert-hub.js';
import { inScope, scopeOf, type Principal } from '../auth/principal.js';
import { decideTransition, type AlertAction } from './alert-status.js';

/** The answer to a claim or ack, shaped for HTTP (the route maps `status` one to one). */
export type AlertActionResult = { status: 200; alert: StaffAlert } | { status: 403 | 404 | 409; error: string; alert?: StaffAlert };

type StaffAlertAction = Extract<Action, { kind: 'staff_alert' }>;

/**
 * The staff-alert action adapter: store (which assigns the seq), then fan out to live sockets;
 * claims and acks by staff, broadcast as `alert_update` to every socket whose scope holds the store.
 */
export class AlertService {
  private readonly log: Logger;

  constructor(
    private readonly deps: {
      store: CloudStore;
      hub: AlertFanout;
      clock: Clock;
      logger: Logger;
      metrics: Metrics;
      /** The member summary and recommendation an alert carries (absent: name, tier and tags only). */
      describeMember?: (
        event: PresenceEvent,
        member: MemberProfile,
        storeId: string | undefined,
      ) => Promise<{ member: AlertMemberSummary; recommendation: Recommendation }>;
      /** Told about each newly stored alert (the visit follower indexes it by visit). */
      onRaised?: (alert: StaffAlert) => void;
    },
  ) {
    this.log = deps.logger.child({ module: 'alerts' });
  }

  async raise(action: StaffAlertAction): Promise<StaffAlert> {
    const { event, member } = action;
    let extras: { member: AlertMemberSummary; recommendation: Recommendation } | undefined;
    try {
      extras = await this.deps.describeMember?.(event, member, action.storeId);
    } catch (err) {
      // The alert matters more than its garnish: raise it without the summary.
      this.deps.metrics.inc('alerts.describe_failed');
      this.log.warn({ err, eventId: event.id, memberId: member.memberId }, 'member summary for alert failed');
    }
    const at = this.deps.clock.now();
    const { alert, inserted, cooldown } = await this.deps.store.raiseAlert(
      {
        id: newId(at),
        at,
        eventAt: event.at,
        eventId: event.id,
        eventType: event.type,
        siteId: event.siteId,
        ...(action.storeId !== undefined ? { storeId: action.storeId } : {}),
        ...(event.zoneId !== undefined ? { zoneId: event.zoneId } : {}),
        visitId: event.visitId,
        ...(event.floor !== undefined ? { floor: event.floor } : {}),
        visit: {
          stage: event.type,
          at: event.at,
          ...(event.zoneId !== undefined ? { zoneId: event.zoneId } : {}),
          ...(event.floor !== undefined ? { floor: event.floor } : {}),
        },
        memberId: member.memberId,
        memberName: member.name,
        tier: member.tier,
        tags: member.tags,
        message: action.message,
        status: 'open',
        ...(extras ? { member: extras.member, recommendation: extras.recommendation } : {}),
      },
      action.ruleId,
      action.cooldownMs,
    );
    if (!inserted) {
      // The same event and rule raised it before (another node, a redelivered event), or another
      // node alerted for this shopper inside the cooldown since the rules read it: one alert.
      this.deps.metrics.inc(cooldown ? 'alerts.cooldown_raced' : 'alerts.duplicate');
      this.log.info(
        { seq: alert.seq, alertId: alert.id, eventId: event.id, ruleId: action.ruleId, cooldown: cooldown === true },
        cooldown ? 'staff alert inside the cooldown of one just raised' : 'staff alert already raised',
      );
      return alert;
    }
    this.deps.metrics.inc('alerts.raised');
    this.log.info(
      { seq: alert.seq, alertId: alert.id, eventId: event.id, memberId: member.memberId, siteId: event.siteId, storeId: action.storeId },
      'staff alert',
    );
    this.deps.hub.publish(alert);
    this.deps.onRaised?.(alert);
    return alert;
  }

  /** Claims or acknowledges an alert for a staff member of its store (operators: any store). */
  async act(alertId: string, action: AlertAction, principal: Principal): Promise<AlertActionResult> {
    const actor = { username: principal.username ?? `api:${principal.displayName}`, displayName: principal.displayName };
    // Two tries: a lost compare-and-set (someone claimed in between) is decided again on fresh data.
    for (let attempt = 0; attempt < 2; attempt++) {
      const [alert, handling] = await Promise.all([this.deps.store.getAlert(alertId), this.deps.store.getAlertHandling(alertId)]);
      // Out of scope answers like a missing alert would leak existence; a 404 for both is safer.
      if (!alert || !handling || !inScope(scopeOf(principal), alert)) return { status: 404, error: 'no such alert' };
      const decision = decideTransition(alert, handling, action, actor);
      if (decision.kind === 'unchanged') return { status: 200, alert: decision.alert };
      if (decision.kind === 'conflict') {
        this.deps.metrics.inc(`alerts.${action}_conflict`);
        return { status: 409, error: decision.error, alert: decision.alert };
      }
      if (await this.deps.store.updateAlertStatus(alertId, handling, decision.next, decision.handledBy)) {
        this.deps.metrics.inc(`alerts.${action === 'claim' ? 'claimed' : 'acked'}`);
        this.log.info({ seq: alert.seq, alertId, username: actor.username, status: decision.next.status }, `alert ${action}`);
        this.deps.hub.publishUpdate(decision.next);
        return { status: 200, alert: decision.next };
      }
    }
    return { status: 409, error: 'alert changed concurrently; reload' };
  }
}
