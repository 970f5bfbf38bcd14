import type { Logger } from '../log.js';
import { MqttConnection } from '../mqtt/mqtt.adapter.js';
import type { SourceCounters } from './source.js';

export interface SubscriptionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
  /** More filters on the same connection (e.g. per-terminal topics). */
  extraTopics?: readonly string[];
  qos: 0 | 1;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger: Logger;
}

/**
 * Opens a clean-session subscription for an MQTT-fed source (local observations, ESPresense
 * nodes) and keeps the source's health in step with the connection: `degraded` while connecting
 * or after a loss, `ok` once connected. Clean session because readings queued while the gateway
 * was away are worthless for live presence.
 * @example const conn = openSubscription({ ...opts, qos: 1 }, counters, (topic, payload) => …)
 */
export function openSubscription(opts: SubscriptionOptions, counters: SourceCounters, onMessage: (topic: string, payload: Buffer) => void): MqttConnection {
  const conn = new MqttConnection({
    url: opts.url,
    clientId: opts.clientId,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    clean: true,
    subscriptions: [opts.topic, ...(opts.extraTopics ?? [])].map((topic) => ({ topic, qos: opts.qos })),
    reconnectMinMs: opts.reconnectMinMs,
    reconnectMaxMs: opts.reconnectMaxMs,
    logger: opts.logger,
  });
  conn.onConnect(() => {
    counters.state = 'ok';
    counters.detail = undefined;
  });
  conn.onDisconnect(() => {
    counters.state = 'degraded';
    counters.detail = 'broker connection lost';
  });
  conn.onMessage(onMessage);
  counters.state = 'degraded';
  counters.detail = 'connecting';
  conn.start();
  return conn;
}
