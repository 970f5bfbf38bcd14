import { memberKeysSchema, memberToken, safeParseWith, type MemberKeys } from '@storesense/protocol';
import type { Logger } from '../log.js';

/** The beacon part of a legacy member card (an iBeacon as parsed from the air or a receiver's report). */
export interface CardBeacon {
  uuid: string;
  major: number;
  minor: number;
}

/**
 * Resolves rotating member BLE tokens to member ids with the keys synced from the cloud (retained
 * `members/keys`). Tokens for the current period ±1 are precomputed (a phone's clock may be a
 * period off around the boundary) into one Map, rebuilt when the period changes.
 * Legacy member cards (static iBeacons, `legacyCards` in the payload, sent only for sites in legacy
 * mode) are turned into the card holder's *current rotating token* by `tokenFor`, at the source:
 * observations then carry a token like the app's, resolve through the same path, and no static card
 * id is written to observations, traces or the outbox.
 * Never logs keys, tokens or beacons: only counts.
 * @example resolver.setKeys(payload); resolver.resolve(obs.token, obs.at) // 'm-17' | undefined
 */
export class MemberResolver {
  private keys: MemberKeys['members'] = [];
  private periodMs: number;
  private counter = Number.NaN;
  private byToken = new Map<string, string>();
  /** `uuid/major/minor` -> the card holder's token key. */
  private keyByCard = new Map<string, string>();
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
    // A card only counts for a member whose key came with it (consenting, same payload).
    const keyOf = new Map(this.keys.map((m) => [m.memberId, m.key]));
    this.keyByCard = new Map();
    let ignoredCards = 0;
    for (const c of parsed.value.legacyCards ?? []) {
      const key = keyOf.get(c.memberId);
      if (key === undefined) ignoredCards++;
      else this.keyByCard.set(cardKey(c), key);
    }
    this.log.info(
      { members: this.keys.length, legacyCards: this.keyByCard.size, ...(ignoredCards > 0 ? { ignoredCards } : {}), periodMs: this.periodMs },
      'member keys updated',
    );
    return true;
  }

  get memberCount(): number {
    return this.keys.length;
  }

  get legacyCardCount(): number {
    return this.keyByCard.size;
  }

  /**
   * A legacy card heard at `atMs` -> its holder's rotating token for that time (the token
   * `resolve` maps back to the member); undefined for any beacon that is not a registered card.
   */
  tokenFor(beacon: CardBeacon, atMs: number): string | undefined {
    if (this.keyByCard.size === 0 || !Number.isFinite(atMs)) return undefined;
    const key = this.keyByCard.get(cardKey(beacon));
    return key === undefined ? undefined : memberToken(key, atMs, this.periodMs);
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

function cardKey(b: CardBeacon): string {
  return `${b.uuid.toLowerCase()}/${b.major}/${b.minor}`;
}
