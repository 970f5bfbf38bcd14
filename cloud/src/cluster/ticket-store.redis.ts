import type { TicketStore } from '../auth/ticket-store.js';
import type { Clock } from '../clock.js';
import type { AuthToken } from '../store/cloud-store.js';
import type { RedisConnection } from './redis.connection.js';

/**
 * Socket tickets in Redis (decision 104): one key per ticket hash with the ticket's lifetime as
 * its expiry, taken with GETDEL (one node redeems it), and a set per account so that signing
 * someone out everywhere also voids the tickets they hold. Only hashes are keys, as in the database.
 */
export class RedisTicketStore implements TicketStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly clock: Clock,
  ) {}

  async put(token: AuthToken): Promise<void> {
    const ttl = Math.max(1, (token.expiresAt ?? this.clock.now() + 30_000) - this.clock.now());
    const m = this.redis.commands.multi().set(this.key(token.tokenHash), JSON.stringify({ ...token, kind: 'ticket' }), 'PX', ttl);
    if (token.username !== undefined) m.sadd(this.userKey(token.username), token.tokenHash).pexpire(this.userKey(token.username), ttl);
    await m.exec();
  }

  async take(tokenHash: string): Promise<AuthToken | undefined> {
    const raw = await this.redis.commands.getdel(this.key(tokenHash));
    if (raw === null) return undefined;
    const token = JSON.parse(raw) as AuthToken;
    if (token.username !== undefined) await this.redis.commands.srem(this.userKey(token.username), tokenHash);
    return token;
  }

  async deleteOfUser(username: string): Promise<number> {
    const hashes = await this.redis.commands.smembers(this.userKey(username));
    if (hashes.length === 0) return 0;
    const deleted = await this.redis.commands.del(...hashes.map((h) => this.key(h)));
    await this.redis.commands.del(this.userKey(username));
    return deleted;
  }

  private key(tokenHash: string): string {
    return `${this.redis.prefix}ticket:${tokenHash}`;
  }

  private userKey(username: string): string {
    return `${this.redis.prefix}tickets:user:${username}`;
  }
}
