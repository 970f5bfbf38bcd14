import { newId, type StaffAlert } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Action } from '../rules/rules.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { AlertHub } from './alert-hub.js';

type StaffAlertAction = Extract<Action, { kind: 'staff_alert' }>;

/** The staff-alert action adapter: store (which assigns the seq), then fan out to live sockets. */
export class AlertService {
  private readonly log: Logger;

  constructor(private readonly deps: { store: CloudStore; hub: AlertHub; clock: Clock; logger: Logger; metrics: Metrics }) {
    this.log = deps.logger.child({ module: 'alerts' });
  }

  async raise(action: StaffAlertAction): Promise<StaffAlert> {
    const { event, member } = action;
    const at = this.deps.clock.now();
    const alert = await this.deps.store.insertAlert({
      id: newId(at),
      at,
      eventAt: event.at,
      eventId: event.id,
      eventType: event.type,
      siteId: event.siteId,
      ...(action.storeId !== undefined ? { storeId: action.storeId } : {}),
      ...(event.zoneId !== undefined ? { zoneId: event.zoneId } : {}),
      memberId: member.memberId,
      memberName: member.name,
      tier: member.tier,
      tags: member.tags,
      message: action.message,
      status: 'open',
    });
    this.deps.metrics.inc('alerts.raised');
    this.log.info({ seq: alert.seq, alertId: alert.id, eventId: event.id, memberId: member.memberId, siteId: event.siteId, storeId: action.storeId }, 'staff alert');
    this.deps.hub.publish(alert);
    return alert;
  }
}
