import { memberKeysSchema, memberToken, safeParseWith, type MemberKeys } from '@storesense/protocol';
import type { Logger } from '../log.js';

/**
 * Resolves rotating member BLE tokens to member ids with the keys synced from the cloud (retained
 * `members/keys`). Tokens for the current period ±1 are precomputed (a phone's clock may be a
 * period off around the boundary) into one Map, rebuilt when the period changes.
 * Never logs keys or tokens: only counts.
 * @example resolver.setKeys(payload); resolver.resolve(obs.token, obs.at) // 'm-17' | undefined
 */
export class MemberResolver {
  private keys: MemberKeys['members'] = [];
  private periodMs: number;
  private counter = Number.NaN;
  private byToken = new Map<string, string>();
  private readonly log: Logger;

  constructor(opts: { periodMs: number; logger: Logger }) {
    this.periodMs = opts.periodMs;
    this.log = opts.logger.child({ module: 'member-resolver' });
  }

  /** Replaces the key set from a `members/keys` payload (any JSON); false when invalid. */
  setKeys(payload: unknown): boolean {
    const parsed = safeParseWith(memberKeysSchema, payload);
    if (!parsed.ok) {
      this.log.warn({ issues: parsed.issues.slice(0, 5) }, 'rejected members/keys payload');
      return false;
    }
    this.keys = parsed.value.members;
    this.periodMs = parsed.value.periodMs;
    this.counter = Number.NaN;
    this.log.info({ members: this.keys.length, periodMs: this.periodMs }, 'member keys updated');
    return true;
  }

  get memberCount(): number {
    return this.keys.length;
  }

  resolve(token: string, at: number): string | undefined {
    if (this.keys.length === 0) return undefined;
    const counter = Math.floor(at / this.periodMs);
    // Move forward with time; a late observation one period back is still in the map (±1), so
    // out-of-order sightings around a boundary do not rebuild the map back and forth.
    if (!(counter <= this.counter && counter >= this.counter - 1)) this.rebuild(counter);
    return this.byToken.get(token);
  }

  private rebuild(counter: number): void {
    const map = new Map<string, string>();
    for (const c of [counter - 1, counter, counter + 1]) {
      const at = c * this.periodMs;
      for (const m of this.keys) map.set(memberToken(m.key, at, this.periodMs), m.memberId);
    }
    this.byToken = map;
    this.counter = counter;
  }
}
