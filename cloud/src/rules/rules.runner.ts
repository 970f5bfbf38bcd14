import { newId, type PresenceEvent } from '@storesense/protocol';
import type { Site } from '@storesense/firmware-config';
import type { AlertService } from '../alerts/alert.service.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { localDay } from './local-day.js';
import { DEFAULT_RULES, evaluateRules, type Action, type Rule, type RuleContext } from './rules.js';

export interface RulesRunnerOptions {
  store: CloudStore;
  alerts: AlertService;
  sites: ReadonlyMap<string, Site>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  rules?: readonly Rule[];
}

/** Looks up the facts a rule needs, runs the pure `evaluateRules`, then executes each action. */
export class RulesRunner {
  private readonly log: Logger;
  private readonly rules: readonly Rule[];
  private readonly offerKinds: string[];
  private readonly perMember = new Map<string, Promise<unknown>>();

  constructor(private readonly options: RulesRunnerOptions) {
    this.log = options.logger.child({ module: 'rules' });
    this.rules = options.rules ?? DEFAULT_RULES;
    this.offerKinds = [...new Set(this.rules.flatMap((r) => (r.action.kind === 'offer' ? [r.action.offerKind] : [])))];
  }

  async onEvent(event: PresenceEvent): Promise<Action[]> {
    const memberId = event.subject.memberId;
    if (memberId === undefined) return []; // anonymous shoppers cause no member actions
    // The broker hands over up to `concurrency` messages at once; two events of one member must
    // not both read "no alert yet" and both alert, so evaluation is serialised per member.
    const previous = this.perMember.get(memberId) ?? Promise.resolve();
    const run = previous.then(() => this.evaluate(event, memberId));
    const tail = run.catch(() => undefined);
    this.perMember.set(memberId, tail);
    void tail.then(() => {
      if (this.perMember.get(memberId) === tail) this.perMember.delete(memberId);
    });
    return run;
  }

  private async evaluate(event: PresenceEvent, memberId: string): Promise<Action[]> {
    const { store } = this.options;
    const member = await store.getMember(memberId);
    if (!member) {
      this.options.metrics.inc('rules.unknown_member');
      this.log.debug({ eventId: event.id, memberId }, 'event names an unknown member');
      return [];
    }
    const ctx = await this.context(event, memberId);
    const actions = evaluateRules(event, member, ctx, this.rules);
    for (const action of actions) {
      try {
        await this.execute(action);
      } catch (err) {
        this.options.metrics.inc('rules.action_failed');
        this.log.error({ err, ruleId: action.ruleId, eventId: event.id }, 'action failed');
      }
    }
    return actions;
  }

  private async context(event: PresenceEvent, memberId: string): Promise<RuleContext> {
    const site = this.options.sites.get(event.siteId);
    const storeId = event.storeId ?? site?.gateways.find((g) => g.id === event.gatewayId)?.storeId;
    const storeName = site?.stores.find((s) => s.id === storeId)?.name ?? storeId ?? site?.name ?? event.siteId;
    const day = localDay(event.at, site?.timezone ?? 'UTC');
    const lastAlertEventAt = await this.options.store.lastAlertEventAt({ memberId, siteId: event.siteId, storeId, eventType: event.type });
    const offersToday: string[] = [];
    for (const kind of this.offerKinds) if (await this.options.store.hasOffer(memberId, event.siteId, day, kind)) offersToday.push(kind);
    return { now: this.options.clock.now(), day, storeId, storeName, lastAlertEventAt, offersToday };
  }

  private async execute(action: Action): Promise<void> {
    if (action.kind === 'staff_alert') {
      await this.options.alerts.raise(action);
      return;
    }
    const { inserted } = await this.options.store.insertOffer({
      id: newId(action.issuedAt),
      kind: action.offerKind,
      memberId: action.memberId,
      siteId: action.event.siteId,
      storeId: action.storeId,
      day: action.day,
      issuedAt: action.issuedAt,
      expiresAt: action.expiresAt,
      status: 'issued',
      eventId: action.event.id,
    });
    if (inserted) {
      this.options.metrics.inc('offers.issued');
      this.log.info({ memberId: action.memberId, siteId: action.event.siteId, kind: action.offerKind, day: action.day }, 'offer issued');
    }
  }
}
