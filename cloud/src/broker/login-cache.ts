import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Repeated CONNECTs of a gateway without a scrypt each (decision 181). After a password passes the
 * scrypt check, the broker remembers an HMAC-SHA256, under a key drawn at process start and never
 * stored, of the presented password together with the stored salt and hash it was checked against.
 * A later CONNECT with the same username matches only if the password is the same and the stored
 * credential has not changed since: a replaced or revoked credential (any writer, any node) misses
 * by construction, because the broker still looks the credential up in the store on every CONNECT.
 * Only successes are remembered; a wrong password always pays the full scrypt. Bounded: at most
 * `maxEntries` usernames (least recently used dropped) and each entry for `ttlMs`.
 */
export class LoginCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { digest: Buffer; expires: number }>();

  constructor(private readonly options: { maxEntries: number; ttlMs: number; now: () => number }) {}

  /** True if this username logged in with this password against this stored credential recently. */
  has(username: string, password: string | Buffer, stored: { passwordHash: string; salt: string }): boolean {
    const entry = this.entries.get(username);
    if (!entry) return false;
    if (entry.expires <= this.options.now()) {
      this.entries.delete(username);
      return false;
    }
    if (!timingSafeEqual(entry.digest, this.digest(username, password, stored))) return false;
    // Most recently used goes last, so eviction takes the oldest.
    this.entries.delete(username);
    this.entries.set(username, entry);
    return true;
  }

  /** Remembers a login that just passed the scrypt check. */
  remember(username: string, password: string | Buffer, stored: { passwordHash: string; salt: string }): void {
    this.entries.delete(username);
    this.entries.set(username, { digest: this.digest(username, password, stored), expires: this.options.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(username: string): void {
    this.entries.delete(username);
  }

  get size(): number {
    return this.entries.size;
  }

  private digest(username: string, password: string | Buffer, stored: { passwordHash: string; salt: string }): Buffer {
    return createHmac('sha256', this.key).update(`${username}\n${stored.salt}\n${stored.passwordHash}\n`).update(password).digest();
  }
}

export const DEFAULT_LOGIN_CACHE = { maxEntries: 10_000, ttlMs: 60 * 60_000 };
