import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';

export interface MqttWill {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /**
   * false = persistent session: the broker queues QoS 1 messages for our subscriptions (acks,
   * commands) while the link is down and delivers them on reconnect (MQTT 3.1.1 §3.1.2.4).
   */
  clean: boolean;
  will?: () => MqttWill;
  subscriptions: { topic: string; qos: 0 | 1 }[];
  reconnectMinMs: number;
  reconnectMaxMs: number;
  connectTimeoutMs?: number;
  keepaliveS?: number;
  /** mqtts://: trust only `caFile` (pinning), optionally present a client certificate. */
  tls?: { caFile: string; certFile?: string | undefined; keyFile?: string | undefined; serverName?: string | undefined };
  logger: Logger;
  /** Jitter source, injectable for tests. */
  random?: () => number;
}

export interface MqttConnectionStatus {
  connected: boolean;
  connects: number;
  failures: number;
  lastError: string | undefined;
  nextRetryInMs: number | undefined;
}

type MessageHandler = (topic: string, payload: Buffer) => void;

/**
 * The one file importing `mqtt` (architecture §7 habit 2), used by the uplink and the mqtt-observations
 * source. It owns reconnection: mqtt.js's own reconnect uses a fixed period and stops for good on
 * a refused CONNACK (reconnectSuppressed), so each attempt is a fresh client with
 * reconnectPeriod 0, and retries back off exponentially with jitter between min and max.
 * Publishing while disconnected fails fast: the SQLite outbox, not mqtt.js's memory store, is the
 * source of truth for what still has to be sent.
 */
export class MqttConnection {
  private client: MqttClient | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopping = false;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly onConnectHandlers: (() => void)[] = [];
  private readonly onDisconnectHandlers: (() => void)[] = [];
  private readonly onMessageHandlers: MessageHandler[] = [];
  private st: MqttConnectionStatus = { connected: false, connects: 0, failures: 0, lastError: undefined, nextRetryInMs: undefined };

  constructor(private readonly opts: MqttConnectionOptions) {
    this.log = opts.logger.child({ module: 'mqtt', clientId: opts.clientId, url: redactUrl(opts.url) });
    this.random = opts.random ?? Math.random;
  }

  onConnect(cb: () => void): void {
    this.onConnectHandlers.push(cb);
  }
  onDisconnect(cb: () => void): void {
    this.onDisconnectHandlers.push(cb);
  }
  onMessage(cb: MessageHandler): void {
    this.onMessageHandlers.push(cb);
  }

  get connected(): boolean {
    return this.st.connected;
  }

  status(): MqttConnectionStatus {
    return { ...this.st };
  }

  start(): void {
    this.stopping = false;
    this.connectOnce();
  }

  /** Publishes when connected; rejects at once when not (the caller keeps the row for later). */
  publish(topic: string, payload: Buffer | string, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    const client = this.client;
    if (!client || !this.st.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: opts.qos, retain: opts.retain ?? false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Stops retrying and closes. `graceful` sends DISCONNECT (which also tells the broker not to
   * publish the will, MQTT 3.1.1 §3.14.4); otherwise the socket is just dropped.
   */
  async stop(graceful = true): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    this.st.connected = false;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(), 2_000);
      client.end(!graceful, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    client.removeAllListeners();
    client.on('error', () => {});
  }

  /**
   * Read at every connect, so a renewed certificate is picked up without a restart. `ca` replaces
   * Node's default trust store: only the pinned CA (or certificate) is trusted; rejectUnauthorized
   * stays on, so a broker with any other certificate is refused during the handshake.
   */
  private tlsOptions(): Partial<IClientOptions> {
    const t = this.opts.tls;
    if (!t) return {};
    return {
      ca: readFileSync(t.caFile),
      rejectUnauthorized: true,
      ...(t.certFile && t.keyFile ? { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) } : {}),
      ...(t.serverName ? { servername: t.serverName } : {}),
    };
  }

  private connectOnce(): void {
    if (this.stopping) return;
    const will = this.opts.will?.();
    const options: IClientOptions = {
      clientId: this.opts.clientId,
      clean: this.opts.clean,
      reconnectPeriod: 0,
      connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
      keepalive: this.opts.keepaliveS ?? 30,
      protocolVersion: 4,
      queueQoSZero: false,
      resubscribe: false,
      ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
      ...(will ? { will: { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain } } : {}),
    };
    let client: MqttClient;
    try {
      // A missing or unreadable certificate file fails this attempt (logged, retried), never the process.
      client = mqtt.connect(this.opts.url, { ...options, ...this.tlsOptions() });
    } catch (err) {
      this.fail(err);
      this.scheduleRetry();
      return;
    }
    this.client = client;
    let closed = false;
    client.on('connect', () => {
      this.attempt = 0;
      this.st.connected = true;
      this.st.connects += 1;
      this.st.nextRetryInMs = undefined;
      this.log.info({ connects: this.st.connects }, 'mqtt connected');
      if (this.opts.subscriptions.length > 0) {
        client.subscribe(
          this.opts.subscriptions.map((s) => s.topic),
          { qos: 1 },
          (err) => {
            if (err) this.log.error({ err: err.message }, 'mqtt subscribe failed');
          },
        );
      }
      for (const cb of this.onConnectHandlers) guard(this.log, 'onConnect handler', cb);
    });
    client.on('message', (topic, payload) => {
      for (const cb of this.onMessageHandlers) guard(this.log, 'message handler', () => cb(topic, payload));
    });
    client.on('error', (err) => this.fail(err));
    client.on('close', () => {
      if (closed) return;
      closed = true;
      const wasConnected = this.st.connected;
      this.st.connected = false;
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      if (this.client === client) this.client = undefined;
      if (wasConnected) {
        this.log.warn('mqtt connection lost');
        for (const cb of this.onDisconnectHandlers) guard(this.log, 'onDisconnect handler', cb);
      }
      this.scheduleRetry();
    });
  }

  private fail(err: unknown): void {
    this.st.failures += 1;
    const e = err as { message?: string; code?: string | number };
    this.st.lastError = e.message ?? String(err);
    // The message never contains the password (mqtt.js reports reason codes and socket errors).
    this.log.error({ err: this.st.lastError, code: e.code, failures: this.st.failures }, 'mqtt connection error');
  }

  private scheduleRetry(): void {
    if (this.stopping || this.retryTimer) return;
    const base = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** Math.min(this.attempt, 20));
    // "Equal jitter": half fixed, half random, so a fleet restarting together spreads out.
    const delayMs = Math.round(base / 2 + (this.random() * base) / 2);
    this.attempt += 1;
    this.st.nextRetryInMs = delayMs;
    this.log.info({ delayMs, attempt: this.attempt }, 'mqtt reconnect scheduled');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connectOnce();
    }, delayMs);
  }
}

function guard(log: Logger, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err: (err as Error).message }, `${what} threw; dropped`);
  }
}

/** Strips credentials from a broker URL before it goes into a log line. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
