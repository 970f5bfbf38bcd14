import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  parseObservationLine,
  parseTraceHeader,
  parseTruthHeader,
  parseTruthLine,
  type Observation,
  type Result,
  type TraceHeader,
  type TruthEvent,
  type TruthHeader,
} from '@storesense/protocol';

/** A trace or truth file that cannot be read at all (missing, or a bad header line). */
export class TraceFileError extends Error {
  override name = 'TraceFileError';
}

export interface ReadStats {
  /** Lines read so far, header included. */
  lines: number;
  records: number;
  rejected: number;
  /** The first 100 rejections, with 1-based line numbers. */
  rejections: { line: number; error: string }[];
}

/** A streaming reader: the header is parsed up front, records are read as you iterate (once). */
export interface RecordFileReader<H, R> extends AsyncIterable<R> {
  readonly path: string;
  readonly header: H;
  /** Updated while iterating; final once iteration ends. */
  readonly stats: ReadStats;
  close(): void;
}

const MAX_KEPT_REJECTIONS = 100;

async function openRecordFile<H, R>(
  path: string,
  kind: string,
  parseHeader: (line: string) => Result<H>,
  parseRecord: (line: string) => Result<R>,
  onReject?: (line: number, error: string) => void,
): Promise<RecordFileReader<H, R>> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const rl = createInterface({ input, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  const stats: ReadStats = { lines: 0, records: 0, rejected: 0, rejections: [] };
  const close = () => {
    rl.close();
    input.destroy();
  };
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (err) {
    close();
    throw new TraceFileError(`cannot read ${kind} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (first.done) {
    close();
    throw new TraceFileError(`${kind} file ${path} is empty (expected a header line)`);
  }
  stats.lines = 1;
  const header = parseHeader(first.value.replace(/^\uFEFF/, ''));
  if (!header.ok) {
    close();
    throw new TraceFileError(`${kind} file ${path}: line 1 (header): ${header.error}`);
  }
  let iterated = false;
  return {
    path,
    header: header.value,
    stats,
    close,
    async *[Symbol.asyncIterator]() {
      if (iterated) throw new TraceFileError(`${kind} file ${path} can be iterated once; open it again`);
      iterated = true;
      try {
        for (;;) {
          let next: IteratorResult<string>;
          try {
            next = await lines.next();
          } catch (err) {
            throw new TraceFileError(`reading ${kind} file ${path} failed after line ${stats.lines}: ${(err as Error).message}`, { cause: err });
          }
          if (next.done) return;
          stats.lines++;
          const line = next.value;
          if (line.trim() === '') continue;
          const r = parseRecord(line);
          if (r.ok) {
            stats.records++;
            yield r.value;
          } else {
            stats.rejected++;
            if (stats.rejections.length < MAX_KEPT_REJECTIONS) stats.rejections.push({ line: stats.lines, error: r.error });
            onReject?.(stats.lines, r.error);
          }
        }
      } finally {
        close();
      }
    },
  };
}

/**
 * Opens a trace file (`storesense-trace` header, then observations), line by line. Malformed lines
 * are counted in `stats` and skipped; a missing file or a bad header rejects with TraceFileError.
 * @example
 * const trace = await readTraceFile('out/trace.ndjson');
 * for await (const o of trace) ingest(o);
 * console.log(trace.stats.rejected);
 */
export function readTraceFile(path: string, onReject?: (line: number, error: string) => void): Promise<RecordFileReader<TraceHeader, Observation>> {
  return openRecordFile(path, 'trace', parseTraceHeader, parseObservationLine, onReject);
}

/** Opens a truth file (`storesense-truth` header, then TruthEvents); see readTraceFile. */
export function readTruthFile(path: string, onReject?: (line: number, error: string) => void): Promise<RecordFileReader<TruthHeader, TruthEvent>> {
  return openRecordFile(path, 'truth', parseTruthHeader, parseTruthLine, onReject);
}
