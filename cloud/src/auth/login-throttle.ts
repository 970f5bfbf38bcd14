import type { Clock } from '../clock.js';

/**
 * What the login route needs of a throttle: `LoginThrottle` in memory (one node, the embedded
 * default) or `RedisLoginThrottle` shared by every node (cluster/login-throttle.redis.ts).
 */
export interface LoginGuard {
  /**
   * Before a password check: how long this username must wait from this address (> 0: refuse),
   * else 0, and the attempt is counted as a failure in the same step (taken back by `succeed`).
   */
  begin(username: string, address: string): Promise<number>;
  /** After a correct password: clears the username's count and takes back this attempt's address failure. */
  succeed(username: string, address?: string): void | Promise<void>;
}

/**
 * Slows online password guessing: after `maxFailures` failed logins for one username within
 * `windowMs`, that username is paused until the window has passed; one client address gets five
 * times as many (a store behind one NAT address must not lock all its staff out, but a spray over
 * many usernames from one address is still stopped). A success clears the username's count only.
 * In memory: per cloud node and reset on restart, which is enough against online guessing.
 * Trade-off: someone who knows a username can pause that account's logins for a window.
 */
export class LoginThrottle implements LoginGuard {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;

  constructor(
    private readonly clock: Clock,
    options: { maxFailures?: number; windowMs?: number } = {},
  ) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 5 * 60_000;
  }

  /** Milliseconds until this username may try again from this address; 0 when allowed now. */
  retryAfterMs(username: string, address: string): number {
    const now = this.clock.now();
    let wait = 0;
    for (const [key, max] of this.keys(username, address)) {
      const recent = this.recent(key, now);
      if (recent.length >= max) wait = Math.max(wait, recent[recent.length - max]! + this.windowMs - now);
    }
    return wait;
  }

  async begin(username: string, address: string): Promise<number> {
    const wait = this.retryAfterMs(username, address);
    if (wait === 0) this.fail(username, address);
    return wait;
  }

  fail(username: string, address: string): void {
    const now = this.clock.now();
    for (const [key] of this.keys(username, address)) this.failures.set(key, [...this.recent(key, now), now]);
    // Bound memory under a spray of usernames: forget the oldest keys.
    while (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  /**
   * Clears the username's count; with `address`, also takes back the one failure the caller
   * recorded before checking the password (see staff.routes.ts: counting first is what bounds
   * concurrent guesses, which would all pass retryAfterMs before the first scrypt finished).
   */
  succeed(username: string, address?: string): void {
    this.failures.delete(`user:${username.toLowerCase()}`);
    if (address === undefined) return;
    const key = `addr:${address}`;
    const list = this.failures.get(key);
    if (list && list.length > 0) this.failures.set(key, list.slice(0, -1));
  }

  private keys(username: string, address: string): [string, number][] {
    return [
      [`user:${username.toLowerCase()}`, this.maxFailures],
      [`addr:${address}`, this.maxFailures * 5],
    ];
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
  }
}
