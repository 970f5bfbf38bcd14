import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Member token keys at rest: AES-256-GCM under a master key, with the member id as associated
 * data so a sealed key copied onto another member's row fails to open instead of impersonating.
 * A token key is the member's whole secret (anyone holding it can follow the member's rotating
 * identifier), so a copy of `cloud.db` — a backup, a support dump — must not reveal it.
 *
 * Sealed form: `s1.<iv>.<tag>.<ciphertext>` (base64url). A 32-hex value is a key stored before
 * sealing existed; the store re-seals those when it opens.
 *
 * @example
 * const sealer = new KeySealer(loadMasterKey({ envValue: process.env.STORESENSE_MASTER_KEY, filePath: 'cloud.db.key' }));
 * const sealed = sealer.seal('m1', 'a'.repeat(32)); sealer.open('m1', sealed) === 'a'.repeat(32);
 */
export class KeySealer {
  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error(`master key must be 32 bytes, got ${masterKey.length}`);
  }

  seal(memberId: string, key: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(Buffer.from(memberId, 'utf8'));
    const ct = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()]);
    return ['s1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /** The plain key; throws {@link SealedKeyError} when the value was sealed under another master key or for another member. */
  open(memberId: string, stored: string): string {
    if (isPlainKey(stored)) return stored;
    const [version, iv, tag, ct] = stored.split('.');
    if (version !== 's1' || iv === undefined || tag === undefined || ct === undefined)
      throw new SealedKeyError(`member ${memberId}: token key is neither sealed nor a plain key`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.masterKey, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(memberId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SealedKeyError(`member ${memberId}: token key does not open with this master key (was STORESENSE_MASTER_KEY or the key file changed?)`, {
        cause,
      });
    }
  }
}

export class SealedKeyError extends Error {
  override name = 'SealedKeyError';
}

/** True for a key stored in the clear (before sealing): 16 bytes as hex. */
export function isPlainKey(stored: string): boolean {
  return /^[0-9a-fA-F]{32}$/.test(stored);
}

/**
 * The master key: `envValue` (64 hex characters, e.g. from STORESENSE_MASTER_KEY, set by a secret
 * manager) wins; otherwise a random key is kept in `filePath` (created 0600). A key file beside the
 * database protects copies of the database alone (backups, dumps), not a stolen disk: production
 * sets the environment variable.
 */
export function loadMasterKey(o: { envValue?: string | undefined; filePath: string }): Buffer {
  if (o.envValue !== undefined && o.envValue !== '') {
    if (!/^[0-9a-fA-F]{64}$/.test(o.envValue.trim())) throw new Error('STORESENSE_MASTER_KEY must be 64 hex characters (32 bytes)');
    return Buffer.from(o.envValue.trim(), 'hex');
  }
  if (existsSync(o.filePath)) {
    const text = readFileSync(o.filePath, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new Error(`master key file ${o.filePath} must hold 64 hex characters`);
    return Buffer.from(text, 'hex');
  }
  const key = randomBytes(32);
  writeFileSync(o.filePath, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(o.filePath, 0o600); // the umask may have widened the mode
  return key;
}
