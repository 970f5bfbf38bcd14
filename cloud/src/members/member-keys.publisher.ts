import { codecs, DEFAULT_TOKEN_PERIOD_MS, topics, type LegacyCard } from '@storesense/protocol';
import type { Site } from '@storesense/firmware-config';
import type { BrokerLink } from '../broker/broker-link.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { LegacyCardSource } from './legacy-cards.js';

export interface MemberKeysPublisherOptions {
  link: BrokerLink;
  store: CloudStore;
  sites: ReadonlyMap<string, Site>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /**
   * Legacy member cards (static iBeacons). Sent only to gateways of sites whose site file sets
   * `memberTokens.legacyCards`, and only for members whose keys are sent (consenting).
   */
  legacyCards?: LegacyCardSource;
}

type MemberKeyRow = { memberId: string; key: string };

/**
 * Publishes retained `members/keys` (consenting members' token keys) to each gateway: every
 * provisioned gateway plus every gateway declared in a loaded site file. The ACL pins each gateway
 * to its own prefix, so only that gateway can read its copy. Keys are never logged: log lines
 * carry counts only.
 */
export class MemberKeysPublisher {
  private readonly log: Logger;

  constructor(private readonly options: MemberKeysPublisherOptions) {
    this.log = options.logger.child({ module: 'member-keys' });
  }

  /** Every known gateway of every site (on start, and after a members import). */
  async publishAll(): Promise<number> {
    const targets = new Map<string, { siteId: string; gatewayId: string }>();
    for (const c of await this.options.store.listGatewayCredentials()) targets.set(`${c.siteId}/${c.gatewayId}`, c);
    for (const site of this.options.sites.values()) {
      for (const g of site.gateways) targets.set(`${site.id}/${g.id}`, { siteId: site.id, gatewayId: g.id });
    }
    const keys = await this.options.store.listConsentingMemberKeys();
    const cards = await this.listCards(keys);
    let sent = 0;
    for (const t of targets.values()) if (await this.publishTo(t.siteId, t.gatewayId, keys, cards)) sent++;
    return sent;
  }

  /** One gateway (after it is provisioned). */
  async publishGateway(siteId: string, gatewayId: string): Promise<boolean> {
    const keys = await this.options.store.listConsentingMemberKeys();
    return this.publishTo(siteId, gatewayId, keys, await this.listCards(keys));
  }

  /** Cards of consenting members only; a failing card source costs the cards, never the keys. */
  private async listCards(keys: MemberKeyRow[]): Promise<LegacyCard[]> {
    if (!this.options.legacyCards) return [];
    try {
      const consenting = new Set(keys.map((k) => k.memberId));
      return (await this.options.legacyCards.list()).filter((c) => consenting.has(c.memberId));
    } catch (err) {
      this.options.metrics.inc('member_keys.legacy_cards_failed');
      this.log.warn({ err: (err as Error).message }, 'legacy cards unavailable; publishing keys without them');
      return [];
    }
  }

  private async publishTo(siteId: string, gatewayId: string, members: MemberKeyRow[], cards: LegacyCard[]): Promise<boolean> {
    const site = this.options.sites.get(siteId);
    const periodMs = site?.memberTokens.periodMs ?? DEFAULT_TOKEN_PERIOD_MS;
    // Legacy mode is per site and opt-in: a static beacon is linkable by anyone listening.
    const legacyCards = site?.memberTokens.legacyCards === true ? cards : [];
    try {
      const payload = codecs.memberKeys.encode({ v: 1, at: this.options.clock.now(), periodMs, members, ...(legacyCards.length > 0 ? { legacyCards } : {}) });
      await this.options.link.publish(topics.memberKeys(siteId, gatewayId), payload, { qos: 1, retain: true });
      this.log.info({ siteId, gatewayId, members: members.length, legacyCards: legacyCards.length }, 'member keys published');
      return true;
    } catch (err) {
      this.options.metrics.inc('member_keys.publish_failed');
      this.log.warn({ siteId, gatewayId, err: (err as Error).message }, 'member keys publish failed');
      return false;
    }
  }
}
