import { randomBytes } from 'node:crypto';
import type { LoginGuard } from '../auth/login-throttle.js';
import type { Clock } from '../clock.js';
import type { RedisConnection } from './redis.connection.js';

// KEYS: the username's and the address's failure sets (sorted by time). ARGV: now, window, the
// two limits, a unique member. Prunes, and either answers how long to wait or counts the attempt,
// in one step, so concurrent guesses on several nodes cannot all pass the check (decision 102).
const BEGIN = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local max = tonumber(ARGV[2 + i])
  local n = redis.call('ZCARD', key)
  if n >= max then
    local oldest = redis.call('ZRANGE', key, n - max, n - max, 'WITHSCORES')
    local w = tonumber(oldest[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('PEXPIRE', key, window)
end
return 0
`;

/**
 * The login throttle of `LoginThrottle` (same limits and windows), kept in Redis so that every
 * node counts the same failures: a guesser spreading attempts over nodes behind a load balancer
 * meets one limit.
 */
export class RedisLoginThrottle implements LoginGuard {
  private readonly maxFailures: number;
  private readonly windowMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly clock: Clock,
    options: { maxFailures?: number | undefined; windowMs?: number | undefined } = {},
  ) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 5 * 60_000;
  }

  async begin(username: string, address: string): Promise<number> {
    const [userKey, addrKey] = this.keys(username, address);
    const member = `${this.clock.now()}:${randomBytes(6).toString('hex')}`;
    const wait = await this.redis.commands.eval(BEGIN, 2, userKey, addrKey, this.clock.now(), this.windowMs, this.maxFailures, this.maxFailures * 5, member);
    return Number(wait);
  }

  async succeed(username: string, address?: string): Promise<void> {
    const [userKey, addrKey] = this.keys(username, address ?? '');
    const m = this.redis.commands.multi().del(userKey);
    if (address !== undefined) m.zpopmax(addrKey);
    await m.exec();
  }

  private keys(username: string, address: string): [string, string] {
    return [`${this.redis.prefix}login:user:${username.toLowerCase()}`, `${this.redis.prefix}login:addr:${address}`];
  }
}
