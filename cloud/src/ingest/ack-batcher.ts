import { codecs, topics } from '@storesense/protocol';
import type { BrokerLink } from '../broker/broker-link.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

export interface AckBatcherOptions {
  link: BrokerLink;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** How long ids of one gateway gather before one ack goes out (the contract promises ~50 ms). */
  delayMs?: number;
  /** An ack is sent at once when a batch reaches this many ids (the ack schema allows 10 000). */
  maxIds?: number;
}

/**
 * Batches application acks per gateway: `{v:1, at, ids}` on `topics.ack(site, gw)`, QoS 1, not
 * retained. Only ids already durably stored are added, so an ack is a promise the gateway may
 * delete its outbox rows on.
 */
export class AckBatcher {
  private readonly pending = new Map<
    string,
    { siteId: string; gatewayId: string; ids: string[]; rejected: { id: string; reason: string }[]; timer: NodeJS.Timeout }
  >();
  private readonly log: Logger;
  private readonly delayMs: number;
  private readonly maxIds: number;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: AckBatcherOptions) {
    this.log = options.logger.child({ module: 'ack' });
    this.delayMs = options.delayMs ?? 20;
    this.maxIds = options.maxIds ?? 1000;
  }

  add(siteId: string, gatewayId: string, id: string): void {
    const batch = this.batch(siteId, gatewayId);
    if (!batch.ids.includes(id)) batch.ids.push(id);
    if (batch.ids.length + batch.rejected.length >= this.maxIds) this.flush(`${siteId}/${gatewayId}`);
  }

  /** Tells the gateway an event will never be stored (it deletes the row and logs the reason). */
  reject(siteId: string, gatewayId: string, id: string, reason: string): void {
    const batch = this.batch(siteId, gatewayId);
    if (!batch.rejected.some((r) => r.id === id)) batch.rejected.push({ id, reason: reason.slice(0, 200) });
    if (batch.ids.length + batch.rejected.length >= this.maxIds) this.flush(`${siteId}/${gatewayId}`);
  }

  private batch(siteId: string, gatewayId: string) {
    const key = `${siteId}/${gatewayId}`;
    let batch = this.pending.get(key);
    if (!batch) {
      const timer = setTimeout(() => this.flush(key), this.delayMs);
      batch = { siteId, gatewayId, ids: [], rejected: [], timer };
      this.pending.set(key, batch);
    }
    return batch;
  }

  /** Sends every pending ack now and waits for the publishes (clean shutdown). */
  async flushAll(): Promise<void> {
    for (const key of [...this.pending.keys()]) this.flush(key);
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(key: string): void {
    const batch = this.pending.get(key);
    if (!batch) return;
    this.pending.delete(key);
    clearTimeout(batch.timer);
    const { siteId, gatewayId, ids, rejected } = batch;
    const p = (async () => {
      try {
        const payload = codecs.ack.encode({ v: 1, at: this.options.clock.now(), ids, ...(rejected.length > 0 ? { rejected } : {}) });
        await this.options.link.publish(topics.ack(siteId, gatewayId), payload, { qos: 1, retain: false });
        this.options.metrics.inc('ingest.acks_sent');
        this.log.debug({ siteId, gatewayId, count: ids.length }, 'ack sent');
      } catch (err) {
        // The gateway republishes unacked rows after its timeout; the duplicates are acked then.
        this.options.metrics.inc('ingest.ack_failed');
        this.log.warn({ err, siteId, gatewayId, count: ids.length }, 'ack publish failed');
      }
    })();
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
