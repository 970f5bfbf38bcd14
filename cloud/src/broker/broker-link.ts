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
  subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void>;
  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  /** True while messages can flow (the embedded broker is always connected while running). */
  isConnected(): boolean;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * Work to split across cloud nodes (events, gaps, occupancy): an external broker link with a
   * share group subscribes through `$share/<group>/<filter>`, so each message reaches one node of
   * the group (decision 112). Ignored by the embedded broker (one node) and by links without a group.
   */
  shared?: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer) => Promise<void> | void;

export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

/**
 * MQTT 3.1.1 §4.7 topic filter matching (`+` one level, `#` the rest, including the parent). A shared
 * subscription filter (`$share/<group>/<filter>`, MQTT 5 §4.8.2, also honoured by Mosquitto on
 * 3.1.1) matches what its inner filter matches; a malformed one (no group, empty filter) matches nothing.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const shared = sharedFilter(filter);
  if (shared === null) return false;
  const f = (shared ?? filter).split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i <= t.length;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * The inner filter of `$share/<group>/<filter>`; undefined for an ordinary filter, null for a
 * malformed shared one (the group must be non-empty without wildcards, the filter non-empty).
 */
export function sharedFilter(filter: string): string | undefined | null {
  if (!filter.startsWith('$share/')) return undefined;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  const inner = rest.slice(slash + 1);
  if (/[+#]/.test(group) || inner === '') return null;
  return inner;
}

/** `$share/<group>/<filter>`; the group must be a non-empty name without `/`, `+` or `#`. */
export function shareFilter(group: string, filter: string): string {
  if (!isShareGroup(group)) throw new TypeError(`share group ${JSON.stringify(group)} must be non-empty without '/', '+' or '#'`);
  return `$share/${group}/${filter}`;
}

export function isShareGroup(group: string): boolean {
  return group.length > 0 && !/[/+#]/.test(group);
}
