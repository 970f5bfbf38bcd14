import { staffAlertSchema } from '@storesense/protocol';
import { z } from 'zod';
import { type AlertChange, type AlertFanout, type AlertListener, DeferredFanout } from '../alerts/alert-hub.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { PubSub } from './pubsub.js';

const changeSchema = z.object({ type: z.enum(['alert', 'alert_update']), alert: staffAlertSchema });
const PAGE = 500;

export interface PubSubAlertHubOptions {
  pubsub: PubSub;
  store: CloudStore;
  logger: Logger;
  metrics: Metrics;
  /** The database is read for alerts whose message was lost this often (default 5 s). */
  pollMs?: number;
}

/**
 * Alert fan-out across nodes (decision 102): any node raises and publishes, every node hands the
 * change to its own sockets. Pub/sub is only the doorbell, the database is the record: seqs commit
 * in order (decision 100), so a message whose seq is not the next one means messages were lost or
 * overtook each other, and the missing alerts are read from the database first. Local listeners
 * therefore get every new alert once, in seq order; a timer reads back what a lost last message
 * hid. Claims and acks (`alert_update`) pass straight through (a socket gets the current status
 * again when it resumes).
 */
export class PubSubAlertHub implements AlertFanout {
  private readonly listeners = new Set<AlertListener>();
  private readonly fanout = new DeferredFanout(this.listeners);
  private readonly log: Logger;
  private cursor = 0;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: PubSubAlertHubOptions) {
    this.log = o.logger.child({ module: 'alert-fanout' });
  }

  /** Starts from the newest stored alert: sockets read their own backlog from the database. */
  async start(): Promise<void> {
    this.cursor = (await this.o.store.listAlerts({ limit: 1, newestFirst: true }))[0]?.seq ?? 0;
    this.unsubscribe = await this.o.pubsub.subscribe('alerts', (message) => this.onMessage(message));
    this.timer = setInterval(() => this.serially(() => this.readBack()), this.o.pollMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.chain;
  }

  subscribe(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(alert: AlertChange['alert']): void {
    this.send({ type: 'alert', alert });
  }

  publishUpdate(alert: AlertChange['alert']): void {
    this.send({ type: 'alert_update', alert });
  }

  get size(): number {
    return this.listeners.size;
  }

  /** The seq up to which this node's listeners have every alert. */
  get deliveredSeq(): number {
    return this.cursor;
  }

  private send(change: AlertChange): void {
    this.o.pubsub.publish('alerts', JSON.stringify(change)).catch((err: unknown) => {
      // Stored already: other nodes read it back from the database within pollMs.
      this.o.metrics.inc('alerts.fanout_publish_failed');
      this.log.warn({ err, alertId: change.alert.id, seq: change.alert.seq }, 'alert publish failed; nodes will read it from the database');
    });
  }

  private onMessage(message: string): void {
    let change: AlertChange;
    try {
      const parsed = changeSchema.safeParse(JSON.parse(message));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
      change = parsed.data;
    } catch (err) {
      this.o.metrics.inc('alerts.fanout_invalid');
      this.log.warn({ err: String(err) }, 'invalid alert fan-out message dropped');
      return;
    }
    this.serially(() => this.accept(change));
  }

  private serially(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(step).catch((err: unknown) => {
      this.o.metrics.inc('alerts.fanout_failed');
      this.log.error({ err }, 'alert fan-out step failed');
    });
  }

  private async accept(change: AlertChange): Promise<void> {
    if (change.type === 'alert_update') return this.emit(change);
    const seq = change.alert.seq;
    if (seq <= this.cursor) return; // read back from the database already
    if (seq > this.cursor + 1) {
      this.o.metrics.inc('alerts.fanout_read_back');
      await this.readBack();
      if (seq <= this.cursor) return;
    }
    this.cursor = seq;
    this.emit(change);
  }

  private async readBack(): Promise<void> {
    for (;;) {
      const page = await this.o.store.listAlerts({ sinceSeq: this.cursor, limit: PAGE });
      for (const alert of page) {
        this.cursor = alert.seq;
        this.emit({ type: 'alert', alert });
      }
      if (page.length < PAGE) return;
    }
  }

  /** Deferred and chunked like the in-process hub (decision 122); the order stays the seq order. */
  private emit(change: AlertChange): void {
    this.fanout.push(change);
  }
}
