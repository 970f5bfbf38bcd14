import type { RedisConnection } from './redis.connection.js';

export type MessageListener = (message: string) => void;

/**
 * Messages to every node (decision 102): alert fan-out, rules-cache invalidation, sign-out
 * everywhere. At most once, like Redis pub/sub: a node that was disconnected misses messages, so
 * what must not be lost (alerts) is also read back from the database.
 */
export interface PubSub {
  /** Delivered to every subscriber of `channel` on every node, this one included. */
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once subscribed; returns the unsubscribe function. */
  subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** One process: the embedded default and tests. */
export class MemoryPubSub implements PubSub {
  private readonly channels = new Map<string, Set<MessageListener>>();

  async publish(channel: string, message: string): Promise<void> {
    for (const l of [...(this.channels.get(channel) ?? [])]) deliver(l, message);
  }

  async subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    const own = set;
    // A wrapper per call, so subscribing one function twice yields two independent subscriptions.
    const entry: MessageListener = (m) => listener(m);
    own.add(entry);
    return async () => {
      own.delete(entry);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}

/** Redis PUBLISH/SUBSCRIBE under the connection's prefix; one Redis subscription per channel per node. */
export class RedisPubSub implements PubSub {
  private readonly channels = new Map<string, Set<MessageListener>>();
  private wired = false;

  constructor(private readonly redis: RedisConnection) {}

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.commands.publish(this.redis.prefix + channel, message);
  }

  async subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    const sub = await this.redis.subscriber();
    if (!this.wired) {
      this.wired = true;
      sub.on('message', (name: string, message: string) => {
        if (!name.startsWith(this.redis.prefix)) return;
        for (const l of [...(this.channels.get(name.slice(this.redis.prefix.length)) ?? [])]) deliver(l, message);
      });
    }
    let set = this.channels.get(channel);
    if (!set) {
      this.channels.set(channel, (set = new Set()));
      await sub.subscribe(this.redis.prefix + channel);
    }
    const own = set;
    const entry: MessageListener = (m) => listener(m);
    own.add(entry);
    return async () => {
      own.delete(entry);
      if (own.size === 0 && this.channels.get(channel) === own) {
        this.channels.delete(channel);
        await sub.unsubscribe(this.redis.prefix + channel).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}

function deliver(listener: MessageListener, message: string): void {
  try {
    listener(message);
  } catch {
    // One failing listener must not keep the message from the others; listeners log their own errors.
  }
}
