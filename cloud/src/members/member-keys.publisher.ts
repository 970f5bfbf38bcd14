import { codecs, DEFAULT_TOKEN_PERIOD_MS, topics } from '@storesense/protocol';
import type { Site } from '@storesense/firmware-config';
import type { BrokerLink } from '../broker/broker-link.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';

export interface MemberKeysPublisherOptions {
  link: BrokerLink;
  store: CloudStore;
  sites: ReadonlyMap<string, Site>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

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
    let sent = 0;
    for (const t of targets.values()) if (await this.publishTo(t.siteId, t.gatewayId, keys)) sent++;
    return sent;
  }

  /** One gateway (after it is provisioned). */
  async publishGateway(siteId: string, gatewayId: string): Promise<boolean> {
    return this.publishTo(siteId, gatewayId, await this.options.store.listConsentingMemberKeys());
  }

  private async publishTo(siteId: string, gatewayId: string, members: { memberId: string; key: string }[]): Promise<boolean> {
    const periodMs = this.options.sites.get(siteId)?.memberTokens.periodMs ?? DEFAULT_TOKEN_PERIOD_MS;
    try {
      const payload = codecs.memberKeys.encode({ v: 1, at: this.options.clock.now(), periodMs, members });
      await this.options.link.publish(topics.memberKeys(siteId, gatewayId), payload, { qos: 1, retain: true });
      this.log.info({ siteId, gatewayId, members: members.length }, 'member keys published');
      return true;
    } catch (err) {
      this.options.metrics.inc('member_keys.publish_failed');
      this.log.warn({ siteId, gatewayId, err: (err as Error).message }, 'member keys publish failed');
      return false;
    }
  }
}
