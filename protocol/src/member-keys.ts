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

/**
 * Retained on `.../members/keys`: token keys of the consenting members of a site, sent only to that
 * site's gateways (the broker's ACL pins each gateway to its own prefix).
 */
export const memberKeysSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  at: z.number().int().nonnegative(),
  periodMs: z.number().int().positive().default(DEFAULT_TOKEN_PERIOD_MS),
  members: z
    .array(z.object({ memberId: z.string().min(1).max(64), key: z.string().regex(/^[0-9a-f]{32,64}$/) }))
    .max(1_000_000),
});
export type MemberKeys = z.infer<typeof memberKeysSchema>;
