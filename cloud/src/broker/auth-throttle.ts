/**
 * Failed MQTT logins per source address and per username, in fixed windows (bounded memory).
 * While a key is over its limit, CONNECTs from it are refused at once, before the scrypt check:
 * a password guesser gets no answers and no CPU. Both keys count: many addresses guessing one
 * gateway's password hit the username limit; one address trying many usernames hits its own.
 * Time comes from the injected clock.
 * @example if (throttle.blocked(addr, user)) refuse(); else if (!ok) throttle.failed(addr, user);
 */
export interface AuthThrottleOptions {
  /** Failures allowed per username per window. */
  maxFailures: number;
  /**
   * Failures allowed per source address per window: higher than per username, because a store's
   * gateways may share one address behind NAT and one misconfigured gateway must not lock out the rest.
   */
  maxFailuresPerAddress: number;
  windowMs: number;
  /** Keys remembered at most (oldest windows forgotten first), so a flood of addresses is bounded. */
  maxKeys: number;
  now: () => number;
}

export const DEFAULT_AUTH_THROTTLE = { maxFailures: 10, maxFailuresPerAddress: 50, windowMs: 60_000, maxKeys: 10_000 } as const;

export class AuthThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(private readonly opts: AuthThrottleOptions) {}

  /** True when the address or the username used up its failures in the current window. */
  blocked(address: string | undefined, username: string | undefined): boolean {
    return (
      this.over(address === undefined ? undefined : `a:${address}`, this.opts.maxFailuresPerAddress) ||
      this.over(username === undefined ? undefined : `u:${username}`, this.opts.maxFailures)
    );
  }

  failed(address: string | undefined, username: string | undefined): void {
    if (address !== undefined) this.bump(`a:${address}`);
    if (username !== undefined) this.bump(`u:${username}`);
  }

  /**
   * Takes back one failure of each key (a login that was counted before its password check, and
   * passed it). Counting before the check is what bounds concurrent guesses: 100 CONNECTs at once
   * would otherwise all pass `blocked()` before the first scrypt finished.
   */
  forgive(address: string | undefined, username: string | undefined): void {
    for (const key of [address === undefined ? undefined : `a:${address}`, username === undefined ? undefined : `u:${username}`]) {
      const w = key === undefined ? undefined : this.windows.get(key);
      if (w && w.failures > 0) w.failures -= 1;
    }
  }

  private over(key: string | undefined, max: number): boolean {
    if (key === undefined) return false;
    const w = this.windows.get(key);
    return w !== undefined && this.opts.now() - w.start < this.opts.windowMs && w.failures >= max;
  }

  private bump(key: string): void {
    const now = this.opts.now();
    const w = this.windows.get(key);
    if (w && now - w.start < this.opts.windowMs) {
      w.failures += 1;
      return;
    }
    this.windows.delete(key);
    this.windows.set(key, { start: now, failures: 1 });
    // Map keeps insertion order: the first keys are the oldest windows.
    while (this.windows.size > this.opts.maxKeys) this.windows.delete(this.windows.keys().next().value!);
  }
}
