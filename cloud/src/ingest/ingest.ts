import { codecs, filters, isValidId, parseTopic, presenceEventSchema, PSEUDONYM_ERROR, safeParseWith, type PresenceEvent } from '@storesense/protocol';
import type { BrokerLink } from '../broker/broker-link.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { AckBatcher } from './ack-batcher.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

export interface IngestOptions {
  link: BrokerLink;
  store: CloudStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  ackDelayMs?: number;
  /**
   * Ingest only these sites (a cloud node serving part of a shared broker, or a test on a shared
   * Mosquitto). All sites when absent.
   */
  siteIds?: readonly string[];
  /**
   * Called once per newly stored event (never for duplicates), after the ack is queued; again by
   * the sweeper for an event whose processing never finished (decision 170), so it must be
   * idempotent (alerts and offers are unique by event and rule).
   */
  onNewEvent?: (event: PresenceEvent) => Promise<void>;
  /**
   * Accepted event times: at most `maxFutureSkewMs` ahead of the cloud clock (a gateway clock
   * running fast; default 5 min), not before `notBefore` (default 2020-01-01: nothing this system
   * senses is older), and, when set, at most `maxAgeMs` old (off by default: analysts replay old
   * traces into a cloud on purpose). Outside it an event is rejected with the reason, told to the
   * gateway in the ack's `rejected` (so it stops resending) and counted; the rest of the batch
   * goes on. Rules and analytics never see an `at` of 9e15.
   */
  timeWindow?: { maxFutureSkewMs?: number; notBefore?: number; maxAgeMs?: number };
  /**
   * Events stored but never processed (a node killed between storing and running rules, or rules
   * that failed) are run again (decision 170). At start, one pass takes those received more than
   * `olderThanMs` ago (all of them when it is absent: a single node has nobody else processing);
   * with `sweepEveryMs`, a sweeper repeats it, leasing what it takes so nodes never run one event
   * at once. Off when absent (an Ingest driven directly by a test).
   */
  unprocessed?: { olderThanMs?: number; sweepEveryMs?: number; leaseMs?: number; maxAttempts?: number; owner?: string };
}

const PROCESSED_FLUSH_MS = 20;
const PROCESSED_BATCH = 500;
const SWEEP_BATCH = 100;

export const DEFAULT_TIME_WINDOW: { maxFutureSkewMs: number; notBefore: number; maxAgeMs?: number } = {
  maxFutureSkewMs: 5 * 60_000,
  notBefore: Date.UTC(2020, 0, 1),
};

export type IngestOutcome = { status: 'stored' | 'duplicate'; id: string } | { status: 'rejected'; reason: string };

/**
 * Cloud ingest (architecture §5): subscribe, validate, store with a unique key on event id, then ack.
 * Invalid messages are counted, logged with topic and reason, and dropped (not acked: there may be
 * no id to ack, and a bad event must show up as a stuck outbox row on the gateway, not vanish).
 */
export class Ingest {
  private readonly log: Logger;
  private readonly acks: AckBatcher;
  private readonly processed: string[] = [];
  private processedTimer: NodeJS.Timeout | undefined;
  private readonly marking = new Set<Promise<void>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private stopped = false;
  /** This node's name on its leases of unprocessed events. */
  readonly owner: string;

  constructor(private readonly options: IngestOptions) {
    this.log = options.logger.child({ module: 'ingest' });
    this.acks = new AckBatcher({
      link: options.link,
      clock: options.clock,
      logger: options.logger,
      metrics: options.metrics,
      ...(options.ackDelayMs !== undefined ? { delayMs: options.ackDelayMs } : {}),
    });
    this.owner = options.unprocessed?.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  async start(): Promise<void> {
    const { link, siteIds } = this.options;
    const scope = (filter: string) => (siteIds ? siteIds.map((site) => forSite(filter, site)) : [filter]);
    const unprocessed = this.options.unprocessed;
    if (unprocessed) {
      // Before subscribing: what a previous run left behind is processed before anything new.
      await this.sweepAll(unprocessed.olderThanMs);
      if (unprocessed.sweepEveryMs !== undefined) {
        this.sweepTimer = setInterval(() => {
          if (!this.sweeping) this.sweeping = this.sweepAll(unprocessed.olderThanMs).finally(() => (this.sweeping = undefined));
        }, unprocessed.sweepEveryMs);
        this.sweepTimer.unref();
      }
    }
    // Events, gaps and occupancy are split across the nodes of a share group (one node stores and
    // acks each); state stays unshared: every node sees the retained states, and their upserts agree.
    for (const f of scope(filters.allEvents)) {
      await link.subscribe(
        f,
        async (topic, payload) => {
          await this.handleEventMessage(topic, payload);
        },
        { shared: true },
      );
    }
    for (const f of [...scope(filters.allConnStates), ...scope(filters.allHealth)]) {
      await link.subscribe(f, (topic, payload) => this.handleStateMessage(topic, payload));
    }
    for (const f of scope(filters.allGaps)) {
      await link.subscribe(
        f,
        async (topic, payload) => {
          await this.handleGapMessage(topic, payload);
        },
        { shared: true },
      );
    }
    for (const f of scope(filters.allOccupancy)) {
      await link.subscribe(f, (topic, payload) => this.handleOccupancyMessage(topic, payload), { shared: true });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.flushProcessed();
    await Promise.all(this.marking);
    await this.acks.flushAll();
  }

  /**
   * One sweep (decision 170): leases unprocessed events received over `olderThanMs` ago (any age
   * when undefined) batch by batch and runs their rules again; alerts and offers are unique by
   * event and rule, so an event that was half processed raises nothing twice. Returns how many ran.
   */
  async sweepAll(olderThanMs?: number): Promise<number> {
    const { store, clock, metrics } = this.options;
    const leaseMs = this.options.unprocessed?.leaseMs ?? 60_000;
    const maxAttempts = this.options.unprocessed?.maxAttempts ?? 5;
    let total = 0;
    try {
      while (!this.stopped) {
        const now = clock.now();
        const receivedBefore = olderThanMs === undefined ? Number.MAX_SAFE_INTEGER : now - olderThanMs;
        const events = await store.leaseUnprocessedEvents({ now, receivedBefore, limit: SWEEP_BATCH, owner: this.owner, leaseMs, maxAttempts });
        if (events.length === 0) break;
        for (const event of events) await this.process(event);
        await this.flushProcessed();
        total += events.length;
        metrics.inc('ingest.reprocessed', events.length);
        if (events.length < SWEEP_BATCH) break;
      }
    } catch (err) {
      // A timer must never die of one bad pass (architecture §7 habit 6); the next pass retries.
      metrics.inc('ingest.sweep_failed');
      this.log.error({ err }, 'sweeping unprocessed events failed');
    }
    if (total > 0) this.log.warn({ count: total, owner: this.owner }, 'ran the rules of events a stopped node had stored but not processed');
    return total;
  }

  /** One MQTT message on an event topic: the whole validate-store-ack path. */
  async handleEventMessage(topic: string, payload: Buffer): Promise<IngestOutcome> {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== 'event') return this.reject(topic, 'topic', 'not an event topic of the contract');
    const decoded = codecs.event.decode(payload);
    if (!decoded.ok) return this.reject(topic, rejectKind(decoded.error), decoded.error);
    const event = decoded.value;
    if (event.siteId !== parsed.siteId) return this.reject(topic, 'mismatch', `payload siteId ${event.siteId} differs from the topic's`, event.id);
    if (event.gatewayId !== parsed.gatewayId) {
      return this.reject(topic, 'mismatch', `payload gatewayId ${event.gatewayId} differs from the topic's`, event.id);
    }
    if (event.type !== parsed.type) return this.reject(topic, 'mismatch', `payload type ${event.type} differs from the topic's`, event.id);
    return this.accept(event);
  }

  /**
   * In-process ingest (tests, simulators, an HTTP bridge later): validates like the MQTT path and
   * stores; an ack is still published to the gateway's ack topic.
   */
  async ingestEvent(input: unknown): Promise<IngestOutcome> {
    const parsed = safeParseWith(presenceEventSchema, input);
    if (!parsed.ok) return this.reject('(in-process)', rejectKind(parsed.error), parsed.error);
    return this.accept(parsed.value);
  }

  private async accept(event: PresenceEvent): Promise<IngestOutcome> {
    const { store, clock, metrics } = this.options;
    const now = clock.now();
    const window = { ...DEFAULT_TIME_WINDOW, ...this.options.timeWindow };
    const reason = outsideWindow(event.at, now, window);
    if (reason !== undefined) {
      this.acks.reject(event.siteId, event.gatewayId, event.id, reason);
      return this.reject(`${event.siteId}/${event.gatewayId}`, 'time', reason, event.id);
    }
    const { inserted, owner } = await store.insertEvent(event, now);
    if (!inserted && owner && (owner.siteId !== event.siteId || owner.gatewayId !== event.gatewayId)) {
      // Not a re-send: another gateway stored this id first. Acking would let this gateway delete
      // an event the cloud never stored; refusing it plainly does not.
      const reason = 'event id already used by another gateway';
      this.acks.reject(event.siteId, event.gatewayId, event.id, reason);
      return this.reject(`${event.siteId}/${event.gatewayId}`, 'id_reuse', reason, event.id);
    }
    // Duplicates are acked too: the gateway missed our earlier ack and must be able to delete the row.
    this.acks.add(event.siteId, event.gatewayId, event.id);
    if (!inserted) {
      metrics.inc('ingest.duplicate');
      this.log.debug({ eventId: event.id, siteId: event.siteId, gatewayId: event.gatewayId }, 'duplicate event acked again');
      return { status: 'duplicate', id: event.id };
    }
    metrics.inc('ingest.stored');
    this.log.debug({ eventId: event.id, siteId: event.siteId, gatewayId: event.gatewayId, type: event.type }, 'event stored');
    await this.process(event);
    return { status: 'stored', id: event.id };
  }

  /** Rules, alerts and offers of a stored event; marked processed only when they ran through. */
  private async process(event: PresenceEvent): Promise<void> {
    if (this.options.onNewEvent) {
      try {
        await this.options.onNewEvent(event);
      } catch (err) {
        // Left unprocessed: the sweeper tries again, up to its attempts.
        this.options.metrics.inc('ingest.on_new_event_failed');
        this.log.error({ err, eventId: event.id }, 'processing a stored event failed');
        return;
      }
    }
    this.processed.push(event.id);
    if (this.processed.length >= PROCESSED_BATCH) void this.flushProcessed();
    else if (!this.processedTimer) {
      this.processedTimer = setTimeout(() => void this.flushProcessed(), PROCESSED_FLUSH_MS);
      this.processedTimer.unref();
    }
  }

  /** Batched: one statement per flush. A mark lost to a crash only makes the sweeper run idempotent rules again. */
  private flushProcessed(): Promise<void> {
    clearTimeout(this.processedTimer);
    this.processedTimer = undefined;
    const ids = this.processed.splice(0);
    if (ids.length === 0) return Promise.resolve();
    const p = this.options.store.markEventsProcessed(ids).catch((err: unknown) => {
      this.options.metrics.inc('ingest.mark_processed_failed');
      this.log.warn({ err, count: ids.length }, 'marking events processed failed (the sweeper will run them again)');
    });
    this.marking.add(p);
    void p.finally(() => this.marking.delete(p));
    return p;
  }

  private reject(topic: string, kind: RejectKind, reason: string, eventId?: string): IngestOutcome {
    this.options.metrics.inc('ingest.rejected');
    this.options.metrics.inc(`ingest.rejected.${kind}`);
    this.log.warn({ topic, reason, kind, eventId }, 'event rejected');
    return { status: 'rejected', reason };
  }

  /**
   * A gap record: events the gateway's outbox dropped undelivered. Stored once by id and acked on
   * the ordinary ack topic (the gateway deletes its record on that ack, as for an event); the
   * gateway listing and health then flag the gateway with how much is missing.
   */
  async handleGapMessage(topic: string, payload: Buffer): Promise<IngestOutcome> {
    const { store, clock, metrics } = this.options;
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== 'gap') return this.reject(topic, 'topic', 'not a gap topic of the contract');
    const decoded = codecs.gap.decode(payload);
    if (!decoded.ok) return this.reject(topic, decoded.error.startsWith('malformed JSON') ? 'malformed' : 'schema', decoded.error);
    const gap = decoded.value;
    if (gap.siteId !== parsed.siteId || gap.gatewayId !== parsed.gatewayId)
      return this.reject(topic, 'mismatch', "gap siteId/gatewayId differ from the topic's", gap.id);
    const { inserted } = await store.insertGap(gap, clock.now());
    this.acks.add(gap.siteId, gap.gatewayId, gap.id);
    if (!inserted) return { status: 'duplicate', id: gap.id };
    metrics.inc('ingest.gaps');
    metrics.inc('ingest.gap_events_dropped', gap.count);
    this.log.warn(
      {
        siteId: gap.siteId,
        gatewayId: gap.gatewayId,
        gapId: gap.id,
        reason: gap.reason,
        count: gap.count,
        fromSeq: gap.fromSeq,
        toSeq: gap.toSeq,
        fromAt: gap.fromAt,
        toAt: gap.toAt,
      },
      'gateway dropped events it could not deliver',
    );
    return { status: 'stored', id: gap.id };
  }

  /** Retained state/conn and state/health: the latest per gateway goes to the status table. */
  async handleStateMessage(topic: string, payload: Buffer): Promise<void> {
    const { store, clock, metrics } = this.options;
    const parsed = parseTopic(topic);
    if (!parsed || (parsed.kind !== 'stateConn' && parsed.kind !== 'stateHealth')) return;
    if (payload.length === 0) return; // a cleared retained message
    if (parsed.kind === 'stateConn') {
      const decoded = codecs.connState.decode(payload);
      if (!decoded.ok) return this.rejectState(topic, decoded.error);
      await store.updateGatewayConn(parsed.siteId, parsed.gatewayId, decoded.value, clock.now());
      this.log.info({ siteId: parsed.siteId, gatewayId: parsed.gatewayId, state: decoded.value.state }, 'gateway connection state');
    } else {
      const decoded = codecs.health.decode(payload);
      if (!decoded.ok) return this.rejectState(topic, decoded.error);
      await store.updateGatewayHealth(parsed.siteId, parsed.gatewayId, decoded.value, clock.now());
    }
    metrics.inc('ingest.state_updates');
  }

  /** A store's occupancy counts (QoS 1, not acked by id: a period re-sent replaces the stored one). */
  async handleOccupancyMessage(topic: string, payload: Buffer): Promise<void> {
    const { store, clock, metrics } = this.options;
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== 'occupancy') return;
    const decoded = codecs.occupancy.decode(payload);
    if (!decoded.ok) {
      metrics.inc('ingest.occupancy_rejected');
      this.log.warn({ topic, reason: decoded.error }, 'occupancy report rejected');
      return;
    }
    await store.putOccupancy(parsed.siteId, parsed.gatewayId, decoded.value, clock.now());
    metrics.inc('ingest.occupancy_reports');
  }

  private rejectState(topic: string, reason: string): void {
    this.options.metrics.inc('ingest.state_rejected');
    this.log.warn({ topic, reason }, 'gateway state rejected');
  }
}

function outsideWindow(at: number, now: number, w: { maxFutureSkewMs: number; notBefore: number; maxAgeMs?: number | undefined }): string | undefined {
  if (at > now + w.maxFutureSkewMs)
    return `event time is ${Math.round((at - now) / 1000)} s ahead of the cloud clock (at most ${w.maxFutureSkewMs / 1000} s allowed)`;
  if (at < w.notBefore) return `event time is before ${new Date(w.notBefore).toISOString()}`;
  if (w.maxAgeMs !== undefined && at < now - w.maxAgeMs) return `event time is more than ${Math.round(w.maxAgeMs / 3_600_000)} h old`;
  return undefined;
}

type RejectKind = 'topic' | 'malformed' | 'schema' | 'mismatch' | 'privacy' | 'time' | 'id_reuse';

/** `privacy`: a subject id shaped like a MAC address (counted apart: it is a leak at a gateway). */
function rejectKind(error: string): RejectKind {
  if (error.startsWith('malformed JSON')) return 'malformed';
  return error.includes(PSEUDONYM_ERROR) ? 'privacy' : 'schema';
}

/**
 * Narrows a protocol `filters.all*` filter (`storesense/v1/+/+/...`) to one site. Stand-in until
 * the protocol offers per-site filters (requested); the site level is the third one (architecture §4).
 */
export function forSite(filter: string, siteId: string): string {
  if (!isValidId(siteId)) throw new TypeError(`siteId ${JSON.stringify(siteId)} is not a valid id`);
  const levels = filter.split('/');
  if (levels[2] !== '+') throw new TypeError(`${filter} has no site wildcard`);
  levels[2] = siteId;
  return levels.join('/');
}
