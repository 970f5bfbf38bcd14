import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, so a push service can tell our offers from anyone else's POSTs:
 * `storesense-signature: t=<ms since epoch>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the MAC, so a captured request cannot be replayed later than the
 * receiver's tolerance (the same scheme as Stripe's and Slack's webhooks).
 * @example
 * const header = signatureHeader(secret, Date.now(), body);
 * verifySignature(secret, header, body, Date.now()) // { ok: true }
 */
export const SIGNATURE_HEADER = 'storesense-signature';

export function signatureHeader(secret: string, atMs: number, payload: string | Buffer): string {
  return `t=${atMs},v1=${mac(secret, atMs, payload)}`;
}

/** What a receiver runs: the MAC matches (constant time) and the timestamp is within `toleranceMs` of `nowMs`. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  payload: string | Buffer,
  nowMs: number,
  toleranceMs = 5 * 60_000,
): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'no signature header' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isSafeInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(nowMs - t) > toleranceMs) return { ok: false, reason: 'signature timestamp outside tolerance' };
  const expected = Buffer.from(mac(secret, t, payload), 'hex');
  return timingSafeEqual(expected, Buffer.from(v1, 'hex')) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

function mac(secret: string, atMs: number, payload: string | Buffer): string {
  return createHmac('sha256', secret).update(`${atMs}.`).update(payload).digest('hex');
}
