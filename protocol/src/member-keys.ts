import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.js';

/** Default rotation period of member tokens: 15 minutes (Eddystone-EID uses 2^K seconds; K=10 ≈ 17 min). */
export const DEFAULT_TOKEN_PERIOD_MS = 15 * 60_000;

/**
 * The rotating identifier a member app advertises: the first 8 bytes of
 * HMAC-SHA256(memberKey, "storesense-token" || counter) as hex, where counter = floor(at / periodMs).
 * Without the key, two periods of the same member are unlinkable.
 * @example memberToken('00112233445566778899aabbccddeeff', 1700000000000) // '…16 hex chars…'
 */
export function memberToken(keyHex: string, atMs: number, periodMs = DEFAULT_TOKEN_PERIOD_MS): string {
  const counter = Math.floor(atMs / periodMs);
  const msg = Buffer.alloc(24);
  msg.write('storesense-token', 0, 'ascii');
  msg.writeBigUInt64BE(BigInt(counter), 16);
  return createHmac('sha256', Buffer.from(keyHex, 'hex')).update(msg).digest().subarray(0, 8).toString('hex');
}

/** iBeacon proximity UUID, canonical form: lower-case 8-4-4-4-12 hex. */
const IBEACON_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A legacy member card: a static iBeacon (proximity UUID, major, minor) printed on one member's card.
 * Unlike a rotating token it is the same on air every day, so anyone listening can follow it; it is
 * only sent for consenting members of sites that opted into legacy mode.
 */
export const legacyCardSchema = z.object({
  memberId: z.string().min(1).max(64),
  uuid: z.string().regex(IBEACON_UUID, 'expected a lower-case 8-4-4-4-12 hex UUID'),
  major: z.number().int().min(0).max(0xffff),
  minor: z.number().int().min(0).max(0xffff),
});
export type LegacyCard = z.infer<typeof legacyCardSchema>;

/** `uuid:major:minor` (any UUID case, with or without dashes) -> a LegacyCard's beacon part; undefined when malformed. */
export function parseLegacyBeacon(text: string): Omit<LegacyCard, 'memberId'> | undefined {
  const m = /^([0-9a-fA-F-]{32,36}):(\d{1,5}):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const hex = m[1]!.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const major = Number(m[2]);
  const minor = Number(m[3]);
  if (major > 0xffff || minor > 0xffff) return undefined;
  return { uuid, major, minor };
}

/**
 * Retained on `.../members/keys`: token keys of the consenting members of a site, sent only to that
 * site's gateways (the broker's ACL pins each gateway to its own prefix).
 * `legacyCards` (added in protocol v1, optional: gateways that predate it ignore it) lists static
 * iBeacon member cards, only for sites with `memberTokens.legacyCards` on and only for members
 * listed in `members` (consenting).
 */
export const memberKeysSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  at: z.number().int().nonnegative(),
  periodMs: z.number().int().positive().default(DEFAULT_TOKEN_PERIOD_MS),
  members: z.array(z.object({ memberId: z.string().min(1).max(64), key: z.string().regex(/^[0-9a-f]{32,64}$/) })).max(1_000_000),
  legacyCards: z.array(legacyCardSchema).max(1_000_000).optional(),
});
export type MemberKeys = z.infer<typeof memberKeysSchema>;
