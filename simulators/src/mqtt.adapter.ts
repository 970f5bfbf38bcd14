import { connectAsync, type MqttClient } from 'mqtt';
import { topics, type Observation } from '@storesense/protocol';
import { silentLogger, type Logger } from './log.js';
import type { ObservationSink } from './replay.js';

/**
 * The only file that imports mqtt: publishes replay batches to a gateway's local ingest topic
 * `topics.observations(siteId, gatewayId)` as one JSON array per message, QoS 1.
 * Credentials may come in the URL query (`mqtt://h:p?username=u&password=p`); they are removed from
 * the URL before connecting and never logged.
 */
export interface MqttSinkOptions {
  url: string;
  siteId: string;
  gatewayId: string;
  username?: string;
  password?: string;
  clientId?: string;
  connectTimeoutMs?: number;
  logger?: Logger;
}

export function splitBrokerUrl(url: string): { url: string; username?: string; password?: string } {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:' && u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new TypeError(`not an MQTT URL: ${u.protocol}//${u.host}`);
  const username = u.searchParams.get('username') ?? (u.username !== '' ? decodeURIComponent(u.username) : undefined);
  const password = u.searchParams.get('password') ?? (u.password !== '' ? decodeURIComponent(u.password) : undefined);
  u.search = '';
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/$/, ''), ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

export async function createMqttSink(o: MqttSinkOptions): Promise<ObservationSink> {
  const parsed = splitBrokerUrl(o.url);
  const topic = topics.observations(o.siteId, o.gatewayId);
  const log = (o.logger ?? silentLogger()).child({ module: 'mqtt-sink', broker: parsed.url, siteId: o.siteId, gatewayId: o.gatewayId });
  const username = o.username ?? parsed.username;
  const password = o.password ?? parsed.password;
  const client: MqttClient = await connectAsync(parsed.url, {
    clientId: o.clientId ?? `storesense-sim-${o.gatewayId}-${process.pid}`,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 1_000,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  log.info({ topic }, 'connected');
  return {
    name: 'mqtt',
    async send(batch: readonly Observation[]) {
      await client.publishAsync(topic, JSON.stringify(batch), { qos: 1 });
    },
    async close() {
      await client.endAsync();
    },
  };
}

export interface MqttSubscriptionOptions {
  url: string;
  /** A topic filter, e.g. topics.observations(site, gw) or `storesense/v1/{site}/+/obs`. */
  topic: string;
  onMessage(topic: string, payload: Buffer): void;
  username?: string;
  password?: string;
  clientId?: string;
  connectTimeoutMs?: number;
  logger?: Logger;
}

/** Subscribes (QoS 1) and hands every message to `onMessage`; a throwing handler is logged, never fatal. */
export async function subscribeMqtt(o: MqttSubscriptionOptions): Promise<{ close(): Promise<void> }> {
  const parsed = splitBrokerUrl(o.url);
  const log = (o.logger ?? silentLogger()).child({ module: 'mqtt-subscription', broker: parsed.url, topic: o.topic });
  const username = o.username ?? parsed.username;
  const password = o.password ?? parsed.password;
  const client: MqttClient = await connectAsync(parsed.url, {
    clientId: o.clientId ?? `storesense-sim-record-${process.pid}`,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 1_000,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('message', (topic, payload) => {
    try {
      o.onMessage(topic, payload);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'message handler failed; message dropped');
    }
  });
  await client.subscribeAsync(o.topic, { qos: 1 });
  log.info('subscribed');
  return {
    async close() {
      await client.endAsync();
    },
  };
}
