import { observationSchema, parseObservationLine, safeParseWith, type Observation } from '@storesense/protocol';

export interface ParsedBatch {
  observations: Observation[];
  /** 1-based line (NDJSON) or 0-based array index (JSON array / single object), with the reason. */
  rejected: { at: string; error: string }[];
}

/**
 * Parses an observation payload in any of the accepted shapes: a JSON array, a single JSON object,
 * or NDJSON (one observation per line). Pure; bad entries are returned with reasons, good ones kept.
 */
export function parseObservationPayload(text: string): ParsedBatch {
  const trimmed = text.trim();
  if (trimmed === '') return { observations: [], rejected: [] };
  if (trimmed.startsWith('[')) {
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (err) {
      return { observations: [], rejected: [{ at: 'body', error: `malformed JSON: ${(err as Error).message}` }] };
    }
    return fromValues(raw as unknown[]);
  }
  const lines = trimmed.split('\n');
  if (lines.length === 1) {
    const r = parseObservationLine(trimmed);
    return r.ok ? { observations: [r.value], rejected: [] } : { observations: [], rejected: [{ at: 'body', error: r.error }] };
  }
  const out: ParsedBatch = { observations: [], rejected: [] };
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const r = parseObservationLine(line);
    if (r.ok) out.observations.push(r.value);
    else out.rejected.push({ at: `line ${i + 1}`, error: r.error });
  });
  return out;
}

function fromValues(values: unknown[]): ParsedBatch {
  const out: ParsedBatch = { observations: [], rejected: [] };
  values.forEach((v, i) => {
    const r = safeParseWith(observationSchema, v);
    if (r.ok) out.observations.push(r.value);
    else out.rejected.push({ at: `[${i}]`, error: r.error });
  });
  return out;
}

/**
 * A rejection reason safe for logs: JSON.parse quotes a snippet of the input ("garbage ab"... is
 * not valid JSON), which could be part of a token or an unhashed identifier; logs get "…" instead.
 */
export function reasonForLog(error: string): string {
  return error.replace(/"[^"]*"(\.\.\.)?/g, '"…"').slice(0, 300);
}

/** Log the first few rejections, then one in a thousand, so a broken sender cannot flood the log. */
export function shouldLogRejection(totalRejected: number): boolean {
  return totalRejected <= 10 || totalRejected % 1000 === 0;
}
