import type { PresenceEvent } from '@storesense/protocol';
import type { Site } from '@storesense/firmware-config';
import type { AlertService } from '../alerts/alert.service.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { OffersService } from '../offers/offers.service.js';
import { postJson, type WebhookPolicy } from '../offers/webhook.client.js';
import type { CloudStore, MemberProfile } from '../store/cloud-store.js';
import { localDay } from './local-day.js';
import { ruleSchema } from './rule.schema.js';
import { evaluateRules, type Action, type Rule, type RuleContext } from './rules.js';

export interface RulesRunnerOptions {
  store: CloudStore;
  alerts: AlertService;
  sites: ReadonlyMap<string, Site>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** A fixed rule set (tests, embedding); the enabled rules of the store's rules table when absent. */
  rules?: readonly Rule[];
  /** Issues offer actions (store, delivery queue). */
  offers: OffersService;
  /** URL policy and timeout of webhook actions (https, or loopback http; no private targets unless allowed). */
  webhookPolicy?: WebhookPolicy;
}

/** Looks up the facts a rule needs, runs the pure `evaluateRules`, then executes each action. */
export class RulesRunner {
  private readonly log: Logger;
  private readonly perSubject = new Map<string, Promise<unknown>>();
  /** Enabled rules from the store, loaded on first use and dropped by `invalidate()`. */
  private cached: Promise<readonly Rule[]> | undefined;

  constructor(private readonly options: RulesRunnerOptions) {
    this.log = options.logger.child({ module: 'rules' });
  }

  /** Call after the rules table changed (the API does): the next event reloads the rules. */
  invalidate(): void {
    this.cached = undefined;
  }

  private rules(): Promise<readonly Rule[]> {
    if (this.options.rules) return Promise.resolve(this.options.rules);
    this.cached ??= this.loadRules().catch((err: unknown) => {
      this.cached = undefined; // retry on the next event rather than caching a failure
      throw err;
    });
    return this.cached;
  }

  private async loadRules(): Promise<readonly Rule[]> {
    const rules: Rule[] = [];
    for (const raw of await this.options.store.listRules()) {
      // A row edited by hand must not break evaluation: it is skipped, counted and logged.
      const parsed = ruleSchema.safeParse(raw);
      if (!parsed.success) {
        this.options.metrics.inc('rules.invalid_stored_rule');
        this.log.warn({ ruleId: (raw as { id?: unknown }).id, issues: parsed.error.issues.length }, 'stored rule is invalid; skipped');
      } else if (parsed.data.enabled) rules.push(parsed.data);
    }
    this.log.info({ rules: rules.length }, 'rules loaded');
    return rules;
  }

  async onEvent(event: PresenceEvent): Promise<Action[]> {
    const memberId = event.subject.memberId;
    // The broker hands over up to `concurrency` messages at once; two events of one shopper must
    // not both read "no alert yet" and both alert, so evaluation is serialised per subject.
    const key = memberId !== undefined ? `m:${memberId}` : `s:${event.subject.id}`;
    const previous = this.perSubject.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.evaluate(event, memberId));
    const tail = run.catch(() => undefined);
    this.perSubject.set(key, tail);
    void tail.then(() => {
      if (this.perSubject.get(key) === tail) this.perSubject.delete(key);
    });
    return run;
  }

  private async evaluate(event: PresenceEvent, memberId: string | undefined): Promise<Action[]> {
    const { store } = this.options;
    const rules = await this.rules();
    let member: MemberProfile | undefined;
    if (memberId === undefined) {
      // Anonymous shoppers only reach prospect/any rules; skip the lookups when there are none.
      if (!rules.some((r) => r.audience !== 'member' && r.eventTypes.includes(event.type))) return [];
    } else {
      member = await store.getMember(memberId);
      if (!member) {
        this.options.metrics.inc('rules.unknown_member');
        this.log.debug({ eventId: event.id, memberId }, 'event names an unknown member');
        return [];
      }
    }
    const ctx = await this.context(event, memberId, rules);
    const actions = evaluateRules(event, member, ctx, rules);
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

  private async context(event: PresenceEvent, memberId: string | undefined, rules: readonly Rule[]): Promise<RuleContext> {
    const site = this.options.sites.get(event.siteId);
    const storeId = event.storeId ?? site?.gateways.find((g) => g.id === event.gatewayId)?.storeId;
    const storeName = site?.stores.find((s) => s.id === storeId)?.name ?? storeId ?? site?.name ?? event.siteId;
    const day = localDay(event.at, site?.timezone ?? 'UTC');
    const { store } = this.options;
    const lastAlertEventAt =
      memberId === undefined ? undefined : await store.lastAlertEventAt({ memberId, siteId: event.siteId, storeId, eventType: event.type });
    const offerActions = rules.filter((r) => r.eventTypes.includes(event.type)).flatMap((r) => r.actions.flatMap((a) => (a.kind === 'offer' ? [a] : [])));
    // Caps count per member, or per prospect by its pseudonymous subject id.
    const who = memberId !== undefined ? { memberId } : { subject: event.subject.id };
    const memberOfferCountsToday: Record<string, number> = {};
    const storeOfferCountsToday: Record<string, number> = {};
    const lastOfferAt: Record<string, number> = {};
    for (const a of offerActions) {
      if (memberOfferCountsToday[a.offerKind] !== undefined) continue;
      memberOfferCountsToday[a.offerKind] = await store.countOffersOnDay({ siteId: event.siteId, storeId: undefined, day, kind: a.offerKind, ...who });
      const last = await store.lastOfferIssuedAt({ siteId: event.siteId, kind: a.offerKind, ...who });
      if (last !== undefined) lastOfferAt[a.offerKind] = last;
      if (offerActions.some((x) => x.offerKind === a.offerKind && x.dailyBudgetPerStore !== undefined)) {
        storeOfferCountsToday[a.offerKind] = await store.countOffersOnDay({ siteId: event.siteId, storeId, day, kind: a.offerKind });
      }
    }
    const offersToday = Object.keys(memberOfferCountsToday).filter((k) => memberOfferCountsToday[k]! > 0);
    return {
      now: this.options.clock.now(),
      day,
      timeZone: site?.timezone ?? 'UTC',
      storeId,
      storeName,
      lastAlertEventAt,
      offersToday,
      memberOfferCountsToday,
      storeOfferCountsToday,
      lastOfferAt,
    };
  }

  private async execute(action: Action): Promise<void> {
    if (action.kind === 'staff_alert') {
      await this.options.alerts.raise(action);
      return;
    }
    if (action.kind === 'webhook') {
      const result = await postJson(
        action.url,
        { ruleId: action.ruleId, event: action.event, memberId: action.memberId, storeId: action.storeId },
        this.options.webhookPolicy ?? {},
      );
      this.options.metrics.inc(result.ok ? 'rules.webhook_ok' : 'rules.webhook_failed');
      if (!result.ok) this.log.warn({ ruleId: action.ruleId, status: result.status, error: result.error }, 'webhook failed');
      return;
    }
    await this.options.offers.issue(action);
  }
}
