import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { isValidId } from '@storesense/protocol';

const KEY_LENGTH = 32;
// Node's defaults (N=16384, r=8, p=1): ~30 ms per check, acceptable for rare gateway (re)connects.
const SCRYPT_OPTIONS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string | Buffer, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Async scrypt runs on the libuv pool, so a burst of reconnects does not stall the event loop.
    scrypt(password, salt, KEY_LENGTH, SCRYPT_OPTIONS, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a gateway password for the `gateways` table. */
export async function hashPassword(password: string): Promise<{ passwordHash: string; salt: string }> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt);
  return { passwordHash: key.toString('hex'), salt: salt.toString('hex') };
}

/** Compares in constant time; a malformed stored hash is simply a mismatch. */
export async function verifyPassword(password: string | Buffer, stored: { passwordHash: string; salt: string }): Promise<boolean> {
  const expected = Buffer.from(stored.passwordHash, 'hex');
  const actual = await scryptAsync(password, Buffer.from(stored.salt, 'hex'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A fixed decoy so an unknown username costs the same scrypt as a known one (no user probing by timing). */
export const DECOY_CREDENTIAL = { passwordHash: '00'.repeat(KEY_LENGTH), salt: '00'.repeat(16) };

/** The MQTT username convention for gateways: `${siteId}.${gatewayId}` (ids cannot contain '.'). */
export function gatewayUsername(siteId: string, gatewayId: string): string {
  return `${siteId}.${gatewayId}`;
}

export function parseGatewayUsername(username: string): { siteId: string; gatewayId: string } | undefined {
  const parts = username.split('.');
  if (parts.length !== 2 || !isValidId(parts[0]!) || !isValidId(parts[1]!)) return undefined;
  return { siteId: parts[0]!, gatewayId: parts[1]! };
}
