/**
 * How the cloud talks MQTT, whatever the broker: the embedded aedes (`aedes.broker.ts`) or an
 * external MQTT 3.1.1 broker through an mqtt.js client (`mqtt.link.ts`). Ingest, acks and the
 * member-key publisher only see this interface.
 * @example
 * await link.subscribe(filters.allEvents, async (topic, payload) => ingest.handle(topic, payload));
 * await link.publish(topics.ack(site, gw), body, { qos: 1, retain: false });
 */
export interface BrokerLink {
  /**
   * Delivers every message matching `filter` to `handler`, one at a time per link (the handler's
   * promise settles before the next message is handed over). The handler must not throw; it is
   * still wrapped, and a throw is logged and counted.
   */
  subscribe(filter: string, handler: MessageHandler): Promise<void>;
  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  /** True while messages can flow (the embedded broker is always connected while running). */
  isConnected(): boolean;
  close(): Promise<void>;
}

export type MessageHandler = (topic: string, payload: Buffer) => Promise<void> | void;

export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

/** MQTT 3.1.1 §4.7 topic filter matching (`+` one level, `#` the rest, including the parent). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i <= t.length;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
