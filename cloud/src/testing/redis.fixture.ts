import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * The Redis the tests use (this machine and CI run one on 127.0.0.1:6379; STORESENSE_TEST_REDIS_URL
 * overrides). Each test works under its own random key prefix and deletes its keys afterwards.
 */
export const REDIS_TEST_URL = process.env.STORESENSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Why Redis cannot be used (undefined when it can). Under CI=true an unreachable server throws:
 * CI runs the service, so a skip there would hide a broken implementation.
 */
export async function redisUnavailable(): Promise<string | undefined> {
  const r = new Redis(REDIS_TEST_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  let reason: string | undefined;
  try {
    await r.connect();
    await r.ping();
  } catch (error) {
    reason = `${REDIS_TEST_URL} is not reachable (${(error as Error).message})`;
  } finally {
    r.disconnect();
  }
  if (reason !== undefined && process.env.CI === 'true') throw new Error(`Redis is required under CI=true: ${reason}`);
  if (reason !== undefined) console.warn(`skipping Redis tests: ${reason}`);
  return reason;
}

export const freshRedisPrefix = (): string => `storesense-test:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under `prefix` (test clean-up). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_TEST_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
