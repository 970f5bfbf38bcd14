import { existsSync } from 'node:fs';
import { demoMembersPath, EXAMPLE_SITES, exampleSitePath, loadMembersCsv, type DemoMember, type ExampleSiteName } from '@storesense/firmware-config';
import type { Logger } from './log.js';

/** Helpers shared by the CLI commands. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  logger?: Logger;
}

/** A bad command line: exit code 2 with the usage text. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function resolveSitePath(arg: string): string {
  if (existsSync(arg)) return arg;
  if ((EXAMPLE_SITES as readonly string[]).includes(arg)) return exampleSitePath(arg as ExampleSiteName);
  return arg; // loadSiteFile reports it as unreadable
}

export function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got "${text}"`);
  return n;
}

/** Reads a members CSV, printing bad rows; the default demo CSV is optional, an explicit one is not. */
export function loadMembers(explicit: string | undefined, io: CliIo): { path: string; members: DemoMember[] } {
  const path = explicit ?? demoMembersPath;
  if (explicit === undefined && !existsSync(path)) return { path, members: [] };
  const csv = loadMembersCsv(path);
  for (const e of csv.errors) io.stderr(`members ${path}:${e.line}: ${e.error}\n`);
  if (csv.errors.some((e) => e.line === 0)) throw new Error(`cannot use members file ${path}`);
  return { path, members: csv.members };
}

export function nonNegative(name: string, text: string | undefined, fallback: number): number {
  const n = number(name, text, fallback);
  if (n < 0) throw new UsageError(`--${name} must be ≥ 0, got "${text}"`);
  return n;
}

export function share(name: string, text: string): number {
  const n = number(name, text, 0);
  if (n < 0 || n > 1) throw new UsageError(`--${name} must be between 0 and 1, got "${text}"`);
  return n;
}

export function integer(name: string, text: string | undefined, fallback: number): number {
  const n = number(name, text, fallback);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} expects an integer, got "${text}"`);
  return n;
}
