import type { z } from 'zod';

/** A parse outcome: the value, or every problem found with the path where it was found. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string; issues: string[] };

/**
 * Formats zod issues as `path: message`, one per issue, e.g.
 * `zones[3].receivers[0].floor: expected integer`.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Validates `input` with `schema` and returns a Result instead of throwing. */
export function safeParseWith<S extends z.ZodType>(schema: S, input: unknown): Result<z.output<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = formatIssues(parsed.error.issues);
  return { ok: false, error: issues.join('; '), issues };
}

/** Parses JSON text then validates it; malformed JSON is a rejection, never a throw. */
export function parseJsonWith<S extends z.ZodType>(schema: S, text: string | Uint8Array): Result<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch (err) {
    const msg = `malformed JSON: ${(err as Error).message}`;
    return { ok: false, error: msg, issues: [msg] };
  }
  return safeParseWith(schema, raw);
}
