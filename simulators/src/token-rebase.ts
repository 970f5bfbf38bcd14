import { memberToken, type Observation } from '@storesense/protocol';

/**
 * Member tokens are HMACs of floor(at / periodMs): shifting `at` on replay (rebase to now) would
 * leave every token pointing at the original period, and the gateway, which resolves tokens for the
 * observation's own period ±1, would no longer recognise the member. With the member keys at hand
 * the replayer re-derives each token for the shifted time. Unknown tokens pass through unchanged.
 * @example
 * const retoken = createTokenRebaser({ periodMs: 900_000, keys: members.map((m) => ({ memberId: m.memberId, key: m.tokenKey })) });
 * const shifted = retoken({ ...o, at: o.at + offset }, o.at);
 */
export interface TokenRebaserOptions {
  periodMs: number;
  keys: readonly { memberId: string; key: string }[];
}

export interface TokenRebaser {
  /** `o` already carries the new `at`; `originalAt` is the time its token was made for. */
  (o: Observation, originalAt: number): Observation;
  readonly stats: { retokened: number; unknown: number };
}

export function createTokenRebaser(options: TokenRebaserOptions): TokenRebaser {
  const { periodMs, keys } = options;
  // counter -> (token -> key), built lazily for the counters the trace uses.
  const byCounter = new Map<number, Map<string, string>>();
  const fresh = new Map<string, string>();
  const stats = { retokened: 0, unknown: 0 };
  const lookup = (token: string, at: number): string | undefined => {
    const counter = Math.floor(at / periodMs);
    let m = byCounter.get(counter);
    if (m === undefined) {
      m = new Map(keys.map((k) => [memberToken(k.key, at, periodMs), k.key]));
      byCounter.set(counter, m);
    }
    return m.get(token);
  };
  const fn = ((o: Observation, originalAt: number): Observation => {
    if (o.token === undefined || o.at === originalAt) return o;
    const key = lookup(o.token, originalAt);
    if (key === undefined) {
      stats.unknown++;
      return o;
    }
    const cacheKey = `${key}:${Math.floor(o.at / periodMs)}`;
    let token = fresh.get(cacheKey);
    if (token === undefined) {
      token = memberToken(key, o.at, periodMs);
      fresh.set(cacheKey, token);
    }
    stats.retokened++;
    return { ...o, token };
  }) as TokenRebaser;
  Object.defineProperty(fn, 'stats', { value: stats });
  return fn;
}
