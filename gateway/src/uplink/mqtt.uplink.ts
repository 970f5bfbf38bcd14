import type { GatewayConfig } from '@storesense/firmware-config';
import {
  CONFIG_RESULT_NAME,
  codecs,
  filters,
  parseTopic,
  topics,
  type ConfigResult,
  type GatewayHealth,
  type OccupancyReport,
  type PresenceEvent,
  type RemoteConfig,
} from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { MqttConnection, type MqttConnectionStatus } from '../mqtt/mqtt.adapter.js';
import type { Outbox } from '../store/outbox.js';
import { GATEWAY_VERSION } from '../version.js';

/** A command handler: returns (or resolves) the result, or throws to answer with status "error". */
export type CommandHandler = (name: string, args: Record<string, unknown>) => unknown;

export interface UplinkOptions {
  config: GatewayConfig;
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  password: string | undefined;
  health: () => GatewayHealth;
  onMemberKeys?: (payload: unknown) => void;
  onCommand?: CommandHandler;
  /** A valid remote config message from the retained `config` topic (decision 131). */
  onConfig?: (config: RemoteConfig) => void;
  /** Republish rows not acked this long after sending. */
  ackTimeoutMs?: number;
  healthIntervalMs?: number;
  /** How often the backlog pump runs; the rate is config.uplink.backlogPerSecond. */
  pumpIntervalMs?: number;
  random?: () => number;
}

export interface UplinkStatus {
  connection: MqttConnectionStatus;
  publishedLive: number;
  publishedBacklog: number;
  acked: number;
  requeued: number;
  badAcks: number;
  publishErrors: number;
  /** Stored events that failed the contract schema and were dropped instead of retried forever. */
  invalidDropped: number;
  /** Gap records (outbox drops) published; each is re-sent until the cloud acks it. */
  gapsPublished: number;
  /** Events the cloud refused for good (ack `rejected`: bad timestamp, reused id): deleted, not resent. */
  rejectedByCloud: number;
}

/**
 * The northbound side (architecture §3.7): events from the outbox to the broker, application acks back.
 * - QoS 1, clientId `${siteId}.${gatewayId}`, username from config or the same string.
 * - clean: false. A persistent session makes the broker hold acks and commands published while
 *   the link blips and deliver them on reconnect, so fewer events are sent twice. Correctness does
 *   not rely on it: unacked rows are requeued on every reconnect and after `ackTimeoutMs`, and the
 *   cloud dedupes by event id (a broker restart loses an in-memory session; nothing else breaks).
 * - retained `state/conn` online on connect, the same topic offline as last will and on stop.
 * - live events go out at once; the backlog is replayed through a token bucket
 *   (`backlogPerSecond`) so a long outage does not delay fresh events behind old ones.
 * - rows are deleted only when their id appears in an ack, never on PUBACK.
 */
export class MqttUplink {
  private readonly conn: MqttConnection;
  private readonly log: Logger;
  private readonly site: string;
  private readonly gw: string;
  private readonly timers: NodeJS.Timeout[] = [];
  private tokens = 0;
  private readonly stats = {
    publishedLive: 0,
    publishedBacklog: 0,
    acked: 0,
    requeued: 0,
    badAcks: 0,
    publishErrors: 0,
    invalidDropped: 0,
    gapsPublished: 0,
    rejectedByCloud: 0,
  };

  constructor(private readonly opts: UplinkOptions) {
    const { config } = opts;
    this.site = config.siteId;
    this.gw = config.gatewayId;
    this.log = opts.logger.child({ module: 'uplink', siteId: this.site, gatewayId: this.gw });
    this.conn = new MqttConnection({
      url: config.mqtt.url,
      ...(config.mqtt.tls ? { tls: config.mqtt.tls } : {}),
      clientId: `${this.site}.${this.gw}`,
      username: config.mqtt.username ?? `${this.site}.${this.gw}`,
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      clean: false,
      will: () => ({ topic: topics.stateConn(this.site, this.gw), payload: this.connState('offline'), qos: 1, retain: true }),
      subscriptions: [
        { topic: topics.ack(this.site, this.gw), qos: 1 },
        { topic: topics.memberKeys(this.site, this.gw), qos: 1 },
        { topic: filters.gatewayCommands(this.site, this.gw), qos: 1 },
        { topic: topics.config(this.site, this.gw), qos: 1 },
      ],
      reconnectMinMs: config.uplink.reconnectMinMs,
      reconnectMaxMs: config.uplink.reconnectMaxMs,
      logger: opts.logger,
      ...(opts.random ? { random: opts.random } : {}),
    });
    this.conn.onConnect(() => this.onConnected());
    this.conn.onMessage((topic, payload) => this.onMessage(topic, payload));
  }

  start(): void {
    this.conn.start();
    const pumpMs = this.opts.pumpIntervalMs ?? 100;
    this.every(pumpMs, () => this.pump(pumpMs));
    this.every(1_000, () => this.requeueStale());
    this.every(this.opts.healthIntervalMs ?? 10_000, () => this.publishHealth());
  }

  /** Publishes freshly stored events now (they are already in the outbox). */
  publishLive(events: readonly PresenceEvent[]): void {
    if (events.length === 0 || !this.conn.connected) return;
    const now = this.opts.clock.now();
    for (const e of events) this.send(e);
    this.opts.outbox.markSent(
      events.map((e) => e.seq),
      now,
    );
    this.stats.publishedLive += events.length;
  }

  /**
   * Publishes a store's occupancy counts (QoS 1); resolves false when not connected or the broker
   * did not take it, so the caller can keep the report for the next try.
   */
  async publishOccupancy(report: OccupancyReport): Promise<boolean> {
    if (!this.conn.connected) return false;
    try {
      await this.conn.publish(topics.occupancy(this.site, this.gw), codecs.occupancy.encode(report), { qos: 1 });
      return true;
    } catch (err) {
      this.log.debug({ storeId: report.storeId, err: (err as Error).message }, 'occupancy publish failed; kept for the next try');
      return false;
    }
  }

  /** The answer to a remote config, on `response/config` (QoS 1). */
  async publishConfigResult(result: ConfigResult): Promise<void> {
    if (!this.conn.connected) return;
    await this.conn.publish(topics.response(this.site, this.gw, CONFIG_RESULT_NAME), codecs.configResult.encode(result), { qos: 1 });
  }

  /** Publishes health now (the `flush-status` command, and after a config is applied). */
  flushStatus(): boolean {
    if (!this.conn.connected) return false;
    this.publishHealth();
    return true;
  }

  status(): UplinkStatus {
    return { connection: this.conn.status(), ...this.stats };
  }

  get connected(): boolean {
    return this.conn.connected;
  }

  /** Publishes retained offline (a clean DISCONNECT suppresses the will), then disconnects. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (this.conn.connected) {
      try {
        await withTimeout(this.conn.publish(topics.stateConn(this.site, this.gw), this.connState('offline'), { qos: 1, retain: true }), 2_000);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not publish offline state');
      }
    }
    await this.conn.stop(true);
  }

  /** Test hook: drops the socket without DISCONNECT, as a crash or a cut cable would. */
  async kill(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    await this.conn.stop(false);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'uplink timer failed; continuing');
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  private onConnected(): void {
    this.conn.publish(topics.stateConn(this.site, this.gw), this.connState('online'), { qos: 1, retain: true }).catch((err: Error) => {
      this.log.warn({ err: err.message }, 'could not publish online state');
    });
    // Anything sent on the previous connection may not have reached the cloud: send it again.
    const n = this.opts.outbox.requeueAll();
    if (n > 0) {
      this.stats.requeued += n;
      this.log.info({ requeued: n }, 'requeued unacked events after connect');
    }
    this.tokens = 0;
    this.publishHealth();
  }

  private pump(intervalMs: number): void {
    if (!this.conn.connected) return;
    this.publishGaps();
    const rate = this.opts.config.uplink.backlogPerSecond;
    // Token bucket capped at one second's worth, so a pause does not turn into a burst.
    this.tokens = Math.min(rate, this.tokens + (rate * intervalMs) / 1000);
    const n = Math.floor(this.tokens);
    if (n < 1) return;
    const rows = this.opts.outbox.pending(n);
    if (rows.length === 0) return;
    for (const r of rows) this.send(r.event);
    this.opts.outbox.markSent(
      rows.map((r) => r.seq),
      this.opts.clock.now(),
    );
    this.tokens -= rows.length;
    this.stats.publishedBacklog += rows.length;
  }

  /**
   * Gap records (events the outbox dropped undelivered) go out before the backlog and outside its
   * token bucket: there are few of them and the cloud should learn of a loss as soon as it can.
   */
  private publishGaps(): void {
    const gaps = this.opts.outbox.pendingGaps(20);
    if (gaps.length === 0) return;
    for (const g of gaps) {
      const payload = codecs.gap.encode({ v: 1, siteId: this.site, gatewayId: this.gw, ...g });
      this.conn.publish(topics.gap(this.site, this.gw), payload, { qos: 1 }).catch((err: Error) => {
        this.stats.publishErrors += 1;
        this.log.debug({ gapId: g.id, err: err.message }, 'gap publish failed; will be requeued');
      });
    }
    this.opts.outbox.markGapsSent(
      gaps.map((g) => g.id),
      this.opts.clock.now(),
    );
    this.stats.gapsPublished += gaps.length;
    this.log.warn({ gaps: gaps.length, dropped: gaps.reduce((n, g) => n + g.count, 0) }, 'reported outbox drops to the cloud');
  }

  private requeueStale(): void {
    const ackTimeoutMs = this.opts.ackTimeoutMs ?? 15_000;
    const n = this.opts.outbox.requeueSentBefore(this.opts.clock.now() - ackTimeoutMs);
    if (n > 0) {
      this.stats.requeued += n;
      this.log.warn({ requeued: n, ackTimeoutMs }, 'no ack in time: events requeued');
    }
  }

  private send(e: PresenceEvent): void {
    let payload: Buffer;
    try {
      payload = codecs.event.encode(e);
    } catch (err) {
      // It would fail the same way forever and the cloud would reject it anyway: drop it loudly.
      this.stats.invalidDropped += 1;
      this.opts.outbox.ack([e.id]);
      this.log.error({ eventId: e.id, type: e.type, err: (err as Error).message.slice(0, 500) }, 'event failed contract validation; dropped from the outbox');
      return;
    }
    this.conn.publish(topics.event(this.site, this.gw, e.type), payload, { qos: 1 }).catch((err: Error) => {
      this.stats.publishErrors += 1;
      this.log.debug({ eventId: e.id, err: err.message }, 'publish failed; will be requeued');
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (!t || t.siteId !== this.site || t.gatewayId !== this.gw) return;
    if (t.kind === 'ack') return this.onAck(payload);
    if (t.kind === 'memberKeys') {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        this.log.warn('members/keys payload is not JSON; ignored');
        return;
      }
      this.opts.onMemberKeys?.(json);
      return;
    }
    if (t.kind === 'command') this.onCommand(t.name, payload);
    if (t.kind === 'config') this.onConfigMessage(payload);
  }

  private onConfigMessage(payload: Buffer): void {
    // An empty retained message is the cloud clearing it (revocation): nothing to apply.
    if (payload.length === 0) return;
    const msg = codecs.remoteConfig.decode(payload);
    if (!msg.ok) {
      this.log.warn({ issues: msg.issues.slice(0, 3) }, 'config message invalid; ignored (the running config stays)');
      return;
    }
    this.opts.onConfig?.(msg.value);
  }

  private onAck(payload: Buffer): void {
    const ack = codecs.ack.decode(payload);
    if (!ack.ok) {
      this.stats.badAcks += 1;
      this.log.warn({ issues: ack.issues.slice(0, 3) }, 'invalid ack ignored');
      return;
    }
    const n = this.opts.outbox.ack(ack.value.ids);
    this.stats.acked += n;
    const rejected = ack.value.rejected ?? [];
    if (rejected.length > 0) {
      const dropped = this.opts.outbox.ack(rejected.map((r) => r.id));
      this.stats.rejectedByCloud += dropped;
      this.log.warn(
        {
          rejected: rejected.length,
          dropped,
          reasons: [...new Set(rejected.map((r) => r.reason))].slice(0, 5),
          eventIds: rejected.slice(0, 5).map((r) => r.id),
        },
        'cloud refused events for good; deleted from the outbox',
      );
    }
  }

  private onCommand(name: string, payload: Buffer): void {
    const cmd = codecs.command.decode(payload);
    if (!cmd.ok) {
      this.log.warn({ command: name, issues: cmd.issues.slice(0, 3) }, 'invalid command ignored');
      return;
    }
    const requestId = cmd.value.requestId;
    void (async () => {
      let response;
      try {
        const result = name === 'ping' ? { pong: this.opts.clock.now() } : name === 'health' ? this.opts.health() : await this.runCommand(name, cmd.value.args);
        response = { v: 1 as const, requestId, status: 'ok' as const, result };
      } catch (err) {
        response = { v: 1 as const, requestId, status: 'error' as const, error: (err as Error).message.slice(0, 2000) };
      }
      this.log.info({ command: name, requestId, status: response.status }, 'command answered');
      await this.conn.publish(topics.response(this.site, this.gw, name), codecs.response.encode(response), { qos: 1 });
    })().catch((err: Error) => {
      this.log.warn({ command: name, err: err.message }, 'could not publish command response');
    });
  }

  private runCommand(name: string, args: Record<string, unknown>): unknown {
    if (!this.opts.onCommand) throw new Error(`unknown command "${name}"`);
    return this.opts.onCommand(name, args);
  }

  private publishHealth(): void {
    if (!this.conn.connected) return;
    let payload: Buffer;
    try {
      payload = codecs.health.encode(this.opts.health());
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'health payload invalid; not published');
      return;
    }
    this.conn.publish(topics.stateHealth(this.site, this.gw), payload, { qos: 0, retain: true }).catch(() => {});
  }

  private connState(state: 'online' | 'offline'): Buffer {
    return codecs.connState.encode({ v: 1, state, at: this.opts.clock.now(), version: GATEWAY_VERSION });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}
