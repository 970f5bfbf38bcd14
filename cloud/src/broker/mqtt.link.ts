import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { isShareGroup, shareFilter, topicMatches, type BrokerLink, type MessageHandler, type PublishOptions, type SubscribeOptions } from './broker-link.js';

/** The link to an external MQTT 3.1.1 or 5 broker (with `dynsec.admin.ts`, the cloud's only mqtt.js clients). */
export interface ExternalBrokerOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** Start-up fails when the broker does not answer within this time. */
  connectTimeoutMs?: number;
  /** MQTT 3.1.1 (4, the default) or 5. */
  protocolVersion?: 4 | 5;
  /**
   * Subscribe `shared` filters through `$share/<group>/…` (decision 112): the cloud nodes of one
   * group split the gateways' events; each message goes to one of them, which stores and acks it.
   */
  shareGroup?: string;
  /**
   * Messages handled at once (decision 114). 1 (the default): one at a time, each PUBACK after its
   * handler settles, as with the embedded broker. Above 1: messages of one gateway (the topic's site
   * and gateway levels) still one at a time and in order, different gateways' side by side, up to
   * this many; the PUBACK goes out on receipt while fewer are in hand (the gateway's outbox, not
   * the broker, holds an event until the application ack), and waits for a slot otherwise.
   */
  concurrency?: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Connects to an external broker (Mosquitto, EMQX) as the cloud's ingest client. Authentication
 * and the per-gateway ACL are then that broker's job: for Mosquitto 2, `storesense-cloud
 * broker-config` writes one dynamic-security role per gateway (decision 110; a `%u` pattern cannot
 * express it, as the username `site.gw` is not the topic levels `site/gw`).
 */
export async function connectExternalBroker(options: ExternalBrokerOptions): Promise<BrokerLink> {
  const log = options.logger.child({ module: 'broker-link', url: redactUrl(options.url) });
  if (options.shareGroup !== undefined && !isShareGroup(options.shareGroup))
    throw new TypeError(`share group ${JSON.stringify(options.shareGroup)} must be non-empty without '/', '+' or '#'`);
  const { metrics } = options;
  const clientOptions: IClientOptions = {
    clientId: options.clientId ?? `storesense-cloud-${randomBytes(6).toString('hex')}`,
    // Clean session: the gateways' outboxes are the source of truth and replay anything unacked.
    clean: true,
    protocolVersion: options.protocolVersion ?? 4,
    reconnectPeriod: 1000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    resubscribe: true,
  };
  if (options.username !== undefined) clientOptions.username = options.username;
  if (options.password !== undefined) clientOptions.password = options.password;
  const client: MqttClient = mqtt.connect(options.url, clientOptions);
  const handlers: { filter: string; handler: MessageHandler }[] = [];

  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const handle = async (topic: string, payload: Buffer) => {
    for (const h of handlers.filter((x) => topicMatches(x.filter, topic))) {
      try {
        await h.handler(topic, payload);
      } catch (err) {
        metrics.inc('broker.handler_failed');
        log.error({ err, topic }, 'message handler failed');
      }
    }
  };
  // Per-gateway chains: the tail of each gateway's queue, so its messages keep their order.
  const chains = new Map<string, Promise<void>>();
  let inHand = 0;
  let waitingForSlot: (() => void) | undefined;
  // handleMessage (not the 'message' event): mqtt.js hands over the next packet, and sends this
  // one's PUBACK, only once the callback is called, which is how the link applies backpressure.
  client.handleMessage = (packet, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (concurrency === 1) {
      void handle(packet.topic, payload).finally(() => callback());
      return;
    }
    const key = packet.topic.split('/', 4).join('/');
    inHand++;
    const run: Promise<void> = (chains.get(key) ?? Promise.resolve()).then(() => handle(packet.topic, payload));
    chains.set(key, run);
    void run.finally(() => {
      inHand--;
      if (chains.get(key) === run) chains.delete(key);
      const w = waitingForSlot;
      if (w && inHand < concurrency) {
        waitingForSlot = undefined;
        w();
      }
    });
    if (inHand < concurrency) callback();
    else waitingForSlot = () => callback();
  };
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt link error'));
  client.on('reconnect', () => log.info('mqtt link reconnecting'));
  client.on('offline', () => log.warn('mqtt link offline'));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error(`external broker ${redactUrl(options.url)} did not answer within ${clientOptions.connectTimeout} ms`));
    }, clientOptions.connectTimeout);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  log.info('connected to external broker');

  return {
    async subscribe(filter: string, handler: MessageHandler, opts?: SubscribeOptions) {
      const brokerFilter = opts?.shared && options.shareGroup !== undefined ? shareFilter(options.shareGroup, filter) : filter;
      handlers.push({ filter: brokerFilter, handler });
      const granted = await client.subscribeAsync(brokerFilter, { qos: 1 });
      // 0x80 and above: refused (3.1.1 has only 0x80; MQTT 5 reason codes such as 0x87 not authorised).
      if (granted.some((g) => g.qos >= 128)) throw new Error(`external broker refused subscription ${brokerFilter}`);
    },
    async publish(topic: string, payload: Buffer, opts: PublishOptions) {
      await client.publishAsync(topic, payload, { qos: opts.qos, retain: opts.retain });
    },
    isConnected: () => client.connected,
    async close() {
      await client.endAsync();
      log.info('external broker link closed');
    },
  };
}

/** The broker URL without its user name and password (what gateways are told to connect to). */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'invalid-url';
  }
}

/** Drops credentials from a broker URL before it reaches a log line or an API answer. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return 'invalid-url';
  }
}
