import { existsSync } from 'node:fs';
import { demoMembersPath, EXAMPLE_SITES, exampleSitePath, loadMembersCsv, type DemoMember, type ExampleSiteName } from '@storesense/firmware-config';
import type { ProgressStream } from '@storesense/protocol/progress';
import type { Logger } from './log.js';

/** Helpers shared by the CLI commands. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  logger?: Logger;
  /** Where progress bars go, drawn only when it is a terminal (the CLI: process.stderr; absent: none). */
  progress?: ProgressStream;
  /** Whether stdout is a terminal (the CLI: process.stdout.isTTY; absent: no), for the human report by default. */
  stdoutIsTty?: boolean;
}

/** The progress options of a command: its io's stream, or none (an embedder's io without one). */
export function progressTo(io: CliIo): { stream: ProgressStream } {
  return { stream: io.progress ?? { write: () => true, isTTY: false } };
}

/** `--json` or `--human`, else human on a terminal and JSON when piped (decision 145). */
export function outputMode(values: { json?: boolean | undefined; human?: boolean | undefined }, io: CliIo): 'json' | 'human' {
  if (values.json && values.human) throw new UsageError('--json and --human exclude each other');
  if (values.json) return 'json';
  if (values.human) return 'human';
  return io.stdoutIsTty === true ? 'human' : 'json';
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
