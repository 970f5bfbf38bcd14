import { z } from 'zod';
import { idSchema, pseudonymSchema } from './ids.js';
import { eventTypeSchema, DWELL_PHASES } from './event.js';
import { observationSchema, type Observation } from './observation.js';
import { parseJsonWith, type Result } from './result.js';
import { PROTOCOL_VERSION } from './version.js';

/**
 * Trace files are NDJSON: one header line, then one record per line.
 * - `trace.ndjson`: header `{format: 'storesense-trace', ...}`, then `Observation`s in time order.
 * - `truth.ndjson`: header `{format: 'storesense-truth', ...}`, then `TruthEvent`s in time order.
 */
export const TRACE_FORMAT = 'storesense-trace' as const;
export const TRUTH_FORMAT = 'storesense-truth' as const;

export const traceHeaderSchema = z.object({
  format: z.literal(TRACE_FORMAT),
  v: z.literal(PROTOCOL_VERSION),
  siteId: idSchema,
  startedAt: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative().optional(),
  seed: z.number().int().optional(),
  generator: z.string().max(200).optional().describe('what wrote it: "storesense-sim 0.1.0", "storesense-gateway record"'),
  site: z.string().max(500).optional().describe('the site file the trace was made for'),
});
export type TraceHeader = z.infer<typeof traceHeaderSchema>;

export const truthHeaderSchema = traceHeaderSchema.extend({ format: z.literal(TRUTH_FORMAT) });
export type TruthHeader = z.infer<typeof truthHeaderSchema>;

/** A true journey event from the simulator, matched against detected `PresenceEvent`s by `evaluate`. */
export const truthEventSchema = z.object({
  type: eventTypeSchema,
  at: z.number().int().nonnegative(),
  subject: pseudonymSchema.describe('the same subject id the observations carry'),
  memberId: z.string().min(1).max(64).optional(),
  storeId: idSchema.optional(),
  zoneId: idSchema.optional(),
  floor: z.number().int().optional(),
  fromFloor: z.number().int().optional(),
  toFloor: z.number().int().optional(),
  phase: z.enum(DWELL_PHASES).optional(),
  dwellMs: z.number().int().nonnegative().optional(),
  amount: z.number().nonnegative().optional(),
});
export type TruthEvent = z.infer<typeof truthEventSchema>;

export function encodeLine(record: object): string {
  return `${JSON.stringify(record)}\n`;
}

export const parseTraceHeader = (line: string): Result<TraceHeader> => parseJsonWith(traceHeaderSchema, line);
export const parseTruthHeader = (line: string): Result<TruthHeader> => parseJsonWith(truthHeaderSchema, line);
export const parseObservationLine = (line: string): Result<Observation> => parseJsonWith(observationSchema, line);
export const parseTruthLine = (line: string): Result<TruthEvent> => parseJsonWith(truthEventSchema, line);

export interface ParsedFile<H, R> {
  header: H;
  records: R[];
  /** Lines that failed validation, with their 1-based line number; good lines are kept. */
  rejected: { line: number; error: string }[];
}

function parseFile<H, R>(text: string, header: (line: string) => Result<H>, record: (line: string) => Result<R>): Result<ParsedFile<H, R>> {
  const lines = text.split('\n');
  const first = lines[0] ?? '';
  const h = header(first);
  if (!h.ok) return { ok: false, error: `line 1 (header): ${h.error}`, issues: h.issues };
  const records: R[] = [];
  const rejected: { line: number; error: string }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const r = record(line);
    if (r.ok) records.push(r.value);
    else rejected.push({ line: i + 1, error: r.error });
  }
  return { ok: true, value: { header: h.value, records, rejected } };
}

/** Parses a whole trace file's text; bad lines are reported in `rejected`, good ones kept. */
export const parseTrace = (text: string) => parseFile(text, parseTraceHeader, parseObservationLine);
export const parseTruth = (text: string) => parseFile(text, parseTruthHeader, parseTruthLine);
