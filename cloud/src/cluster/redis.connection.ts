import { Redis } from 'ioredis';

/**
 * The only import of ioredis in the cloud (decision 102). One connection for commands and, on first
 * subscription, a second one (a subscribed Redis connection takes no other commands). Every key and
 * channel name gets `prefix`, so deployments (and tests) can share one Redis.
 */
export interface RedisConnection {
  readonly prefix: string;
  readonly commands: Redis;
  /** The subscriber connection, opened on first use. */
  subscriber(): Promise<Redis>;
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (STORESENSE_REDIS_URL). */
  url: string;
  /** Prepended to every key and channel (default `storesense:`). */
  prefix?: string | undefined;
}

const REDIS_URL = /^rediss?:\/\//;

/** Connects (failing fast when Redis does not answer), then reconnects on its own after outages. */
export async function openRedis(options: RedisConnectionOptions): Promise<RedisConnection> {
  if (!REDIS_URL.test(options.url)) throw new Error('redis URL: expected redis://host:port or rediss://host:port');
  const connect = async () => {
    // lazyConnect: the first connection error rejects connect() instead of retrying forever at
    // start; once up, ioredis reconnects with backoff and re-subscribes its channels by itself.
    const r = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000 });
    r.on('error', () => undefined); // reported through failing commands; an idle socket error must not crash the process
    try {
      await r.connect();
    } catch (error) {
      r.disconnect();
      throw new Error(`redis ${redactRedisUrl(options.url)} is not reachable (${(error as Error).message})`);
    }
    return r;
  };
  const commands = await connect();
  let sub: Promise<Redis> | undefined;
  return {
    prefix: options.prefix ?? 'storesense:',
    commands,
    subscriber() {
      sub ??= connect();
      return sub;
    },
    async close() {
      const connections = [commands, ...(sub ? [await sub.catch(() => undefined)] : [])].filter((r): r is Redis => r !== undefined);
      await Promise.all(connections.map(quit));
    },
  };
}

/** QUIT (replies to what was sent are read first), but never waits on a Redis that is away: 1 s, then the socket is dropped. */
async function quit(r: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 1000);
    timer.unref();
  });
  await Promise.race([
    r.quit().then(
      () => undefined,
      () => undefined,
    ),
    late,
  ]);
  clearTimeout(timer);
  r.disconnect();
}

/** The URL without its password, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparseable)';
  }
}
