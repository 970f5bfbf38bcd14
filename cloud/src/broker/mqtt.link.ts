import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { topicMatches, type BrokerLink, type MessageHandler, type PublishOptions } from './broker-link.js';

/** The only import of mqtt.js in the cloud's sources: the link to an external MQTT 3.1.1 broker. */
export interface ExternalBrokerOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** Start-up fails when the broker does not answer within this time. */
  connectTimeoutMs?: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Connects to an external broker (Mosquitto, EMQX) as the cloud's ingest client. Authentication
 * and the per-gateway ACL are then that broker's job (e.g. a Mosquitto acl_file with
 * `pattern readwrite storesense/v1/%u/#` and usernames `site.gw` mapped accordingly).
 */
export async function connectExternalBroker(options: ExternalBrokerOptions): Promise<BrokerLink> {
  const log = options.logger.child({ module: 'broker-link', url: redactUrl(options.url) });
  const { metrics } = options;
  const clientOptions: IClientOptions = {
    clientId: options.clientId ?? `storesense-cloud-${randomBytes(6).toString('hex')}`,
    // Clean session: the gateways' outboxes are the source of truth and replay anything unacked.
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    resubscribe: true,
  };
  if (options.username !== undefined) clientOptions.username = options.username;
  if (options.password !== undefined) clientOptions.password = options.password;
  const client: MqttClient = mqtt.connect(options.url, clientOptions);
  const handlers: { filter: string; handler: MessageHandler }[] = [];

  // handleMessage (not the 'message' event) so the PUBACK goes out after the handler settles and
  // messages are handled one at a time, as with the embedded broker.
  client.handleMessage = (packet, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const matching = handlers.filter((h) => topicMatches(h.filter, packet.topic));
    (async () => {
      for (const h of matching) {
        try {
          await h.handler(packet.topic, payload);
        } catch (err) {
          metrics.inc('broker.handler_failed');
          log.error({ err, topic: packet.topic }, 'message handler failed');
        }
      }
    })().finally(() => callback());
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
    async subscribe(filter: string, handler: MessageHandler) {
      handlers.push({ filter, handler });
      const granted = await client.subscribeAsync(filter, { qos: 1 });
      if (granted.some((g) => g.qos === 128)) throw new Error(`external broker refused subscription ${filter}`);
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
