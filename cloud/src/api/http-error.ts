import { formatIssues } from '@storesense/protocol';
import type { z } from 'zod';

/** An error with an HTTP status and a JSON body; the app's one `onError` turns it into a response. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503 | 504,
    readonly body: { error: string; issues?: string[] },
  ) {
    super(body.error);
    this.name = 'HttpError';
  }
}

/**
 * Validates query parameters; a 400 lists every problem with its path (`limit: Too big: ...`).
 * @example const q = parseQuery(eventsQuerySchema, c.req.query());
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new HttpError(400, { error: 'invalid query parameters', issues: formatIssues(parsed.error.issues) });
  return parsed.data;
}

/**
 * Validates a JSON request body; malformed JSON and each schema problem answer 400 with the
 * problem's path (`actions[0].validForMs: Invalid input: expected number, received string`).
 */
export async function parseJsonBody<S extends z.ZodType>(schema: S, req: { json(): Promise<unknown> }): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new HttpError(400, { error: 'invalid body', issues: ['(root): malformed JSON'] });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, { error: 'invalid body', issues: formatIssues(parsed.error.issues) });
  return parsed.data;
}
