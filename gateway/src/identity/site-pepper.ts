import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';

/** File in the data dir holding a generated pepper (mode 0600). */
export const PEPPER_FILE = 'site-pepper';

/**
 * The site pepper (HMAC key of MAC pseudonyms): config `identity.pepper`, else
 * `env[identity.pepperEnv]`, else the one kept in `dataDir/site-pepper`, else — only when a
 * MAC-bearing source needs one — a fresh 32-byte pepper persisted there with mode 0600. Pseudonyms
 * then stay stable across restarts. The pepper itself is never logged; only where it came from.
 */
export function resolveSitePepper(opts: {
  identity: { pepperEnv: string; pepper?: string | undefined };
  env: NodeJS.ProcessEnv;
  dataDir: string;
  needed: boolean;
  logger: Logger;
}): string | undefined {
  const log = opts.logger.child({ module: 'identity' });
  if (opts.identity.pepper) return opts.identity.pepper;
  const fromEnv = opts.env[opts.identity.pepperEnv];
  if (fromEnv) return fromEnv;
  const file = join(opts.dataDir, PEPPER_FILE);
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 16) return kept;
  }
  if (!opts.needed) return undefined;
  mkdirSync(opts.dataDir, { recursive: true });
  const pepper = randomBytes(32).toString('hex');
  writeFileSync(file, `${pepper}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write; make sure
  log.warn(
    { file, pepperEnv: opts.identity.pepperEnv },
    'no site pepper configured: generated one and stored it in the data dir (0600); back it up, or pseudonyms change when it is lost',
  );
  return pepper;
}
