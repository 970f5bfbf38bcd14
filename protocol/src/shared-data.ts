import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where tests find the public datasets and real captures that are read in place, never committed:
 * `$STORESENSE_SHARED` when set, else `shared/` beside the repository (`<repo>/../shared`), which is
 * how CI lays it out. Never an absolute path of one machine: a clone elsewhere must find it too.
 *
 * Imported from `@storesense/protocol/testing` (node-only; not part of the wire contract's index).
 */
export const SHARED_ENV = 'STORESENSE_SHARED';

/** The repository root: this file is `<repo>/protocol/dist/shared-data.js` once built. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[SHARED_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : resolve(REPO_ROOT, '..', 'shared');
}

export class SharedDataMissingError extends Error {
  override name = 'SharedDataMissingError';
}

export interface SharedFiles {
  /** Absolute paths, in the order asked. */
  paths: string[];
  /** True when any is absent: the test skips (it never runs half its data). */
  skip: boolean;
}

/**
 * Locates files under the shared folder for a test. When one is absent the test must skip, saying
 * why (a user's clone without the data), except under `CI=true`, where CI has the data and a
 * silent skip would hide a broken path: then it throws, failing the test file.
 * @example const { paths: [pcap], skip } = sharedFiles(['fixtures/wifi-probes/lab-position1-2024-03-15.pcap'], 'the real lab capture');
 *          it.skipIf(skip)('parses the real capture', () => { ... });
 */
export function sharedFiles(relative: readonly string[], what: string, env: NodeJS.ProcessEnv = process.env): SharedFiles {
  const dir = sharedDir(env);
  const paths = relative.map((r) => join(dir, r));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return { paths, skip: false };
  const reason = `${what}: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} absent (set ${SHARED_ENV} or put shared/ beside the repository)`;
  if (env.CI === 'true') throw new SharedDataMissingError(`CI=true and ${reason}`);
  console.warn(`skipping ${reason}`);
  return { paths, skip: true };
}
