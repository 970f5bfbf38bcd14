import { randomBytes } from 'node:crypto';
import type { StaffProfile } from '../store/cloud-store.js';
import type { StaffSeedInput } from './staff.seed.js';

/** Shortest password `user add` accepts: 12 characters (NIST SP 800-63B rev. 4 asks 15 for single-factor; 12 is the floor we can ask of an installer typing it). */
export const MIN_PASSWORD_CHARS = 12;

/** A few passwords every guessing list starts with (NIST SP 800-63B §3.1.1.2: refuse known-bad passwords). */
const COMMON = ['password', 'passw0rd', 'storesense', 'operator', 'qwerty', 'letmein', 'welcome', 'admin', 'changeme', '123456'];

/** Why a password is too weak for an account, or undefined when it is acceptable. */
export function passwordWeakness(password: string, username: string): string | undefined {
  if (password.length < MIN_PASSWORD_CHARS) return `password must have at least ${MIN_PASSWORD_CHARS} characters`;
  if (new Set(password).size < 5) return 'password repeats too few characters';
  const lower = password.toLowerCase();
  if (username.length > 0 && lower.includes(username.toLowerCase())) return 'password must not contain the username';
  const stripped = lower.replace(/[^a-z0-9]/g, '');
  if (COMMON.some((c) => stripped.startsWith(c) || stripped.endsWith(c))) return 'password starts or ends with a common password';
  if (/^(\d)\1*$|^(0123456789|1234567890)+/.test(password)) return 'password is a digit sequence';
  return undefined;
}

export interface FirstOperator {
  username: string;
  password: string;
  seed: StaffSeedInput;
}

/**
 * The first operator a cloud with sign-in required and no operator creates, so a fresh install is
 * never a dead login: the password is random (18 bytes, 144 bits) and returned once for the CLI to
 * print on stdout; it is stored only as a scrypt hash and never logged. Undefined when an
 * operator exists already.
 */
export function firstOperatorFor(existing: readonly StaffProfile[], random: (n: number) => Buffer = randomBytes): FirstOperator | undefined {
  if (existing.some((s) => s.role === 'operator')) return undefined;
  const taken = new Set(existing.map((s) => s.username));
  let username = 'operator';
  for (let i = 2; taken.has(username); i++) username = `operator-${i}`;
  const password = random(18).toString('base64url');
  return { username, password, seed: { username, password, displayName: 'First operator', role: 'operator' } };
}
