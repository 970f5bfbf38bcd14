import { closeSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeLine, PROTOCOL_VERSION, TRACE_FORMAT, type Observation, type TraceHeader } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { systemTimers, type Timers } from '../sources/timers.js';
import { GATEWAY_VERSION } from '../version.js';

export interface TraceRecorderOptions {
  dir: string;
  siteId: string;
  /** A file is closed before a record would take it past this size; a new one starts with that record. */
  maxBytes: number;
  clock: Clock;
  logger: Logger;
  timers?: Timers;
  /**
   * Sources deliver at their own pace (an ESPresense node batches, a pcap replays in bursts), so
   * records are held this long and written in time order; a record arriving later than this
   * behind the newest one is written anyway and counted in `late`. Default 2000 ms.
   */
  reorderMs?: number;
  /** Header `generator`; default `storesense-gateway <version> record`. */
  generator?: string;
}

/** What a recorder wrote (the `record` CLI prints it as JSON). */
export interface RecordSummary {
  dir: string;
  files: string[];
  records: number;
  bytes: number;
  /** Records written behind a newer one (arrived later than reorderMs). */
  late: number;
  /** Records lost to write errors (disk full, dir removed); each logged. */
  failed: number;
}

const TRACE_FILE = /^trace-(\d{6})-.*\.ndjson$/;

/** `trace-000001-2026-11-23T09-22-00Z.ndjson`: sequence first so `ls` sorts in order; start time for people. */
export function traceFileName(seq: number, startedAtMs: number): string {
  const iso = new Date(startedAtMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  return `trace-${String(seq).padStart(6, '0')}-${iso}.ndjson`;
}

/**
 * Writes observations (already pseudonymous: sources pseudonymise MACs in their parsers, before
 * anything reaches here) as protocol trace NDJSON files, rotated by size: each file has its own
 * header line (`storesense-trace`, startedAt = its first record) so every file replays on its own
 * (`storesense-sim replay|evaluate`, the gateway's replay source). Records are whole lines and
 * never split across files. Writes are synchronous appends of small batches: a crash loses at
 * most the reorder window. Never throws into the caller; failures are logged and counted.
 * @example const r = new TraceRecorder({ dir, siteId, maxBytes: 64 << 20, clock, logger }); r.write(obs); r.close();
 */
export class TraceRecorder {
  private readonly log: Logger;
  private readonly reorderMs: number;
  private readonly timers: Timers;
  private readonly generator: string;
  private pending: Observation[] = [];
  private newestAt = Number.NEGATIVE_INFINITY;
  private lastWrittenAt = Number.NEGATIVE_INFINITY;
  private fd: number | undefined;
  private fileBytes = 0;
  private fileRecords = 0;
  private seq: number;
  private timer: unknown;
  private closed = false;
  private readonly summary: RecordSummary;

  constructor(private readonly opts: TraceRecorderOptions) {
    this.log = opts.logger.child({ module: 'recorder', dir: opts.dir });
    this.reorderMs = opts.reorderMs ?? 2_000;
    this.timers = opts.timers ?? systemTimers;
    this.generator = opts.generator ?? `storesense-gateway ${GATEWAY_VERSION} record`;
    mkdirSync(opts.dir, { recursive: true });
    // Continue the sequence of earlier recordings in the same dir; files are opened 'wx', never overwritten.
    this.seq = readdirSync(opts.dir).reduce((max, f) => Math.max(max, Number(TRACE_FILE.exec(f)?.[1] ?? 0)), 0);
    this.summary = { dir: opts.dir, files: [], records: 0, bytes: 0, late: 0, failed: 0 };
    this.schedule();
  }

  /** Buffers observations; those older than the reorder window behind the newest are written. */
  write(observations: readonly Observation[]): void {
    if (this.closed) return;
    for (const o of observations) {
      this.pending.push(o);
      if (o.at > this.newestAt) this.newestAt = o.at;
    }
    if (this.pending.length > 0) this.flush(this.newestAt - this.reorderMs);
  }

  /** Writes everything buffered and closes the current file. Idempotent. */
  close(): RecordSummary {
    if (!this.closed) {
      this.closed = true;
      if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
      this.flush(Number.POSITIVE_INFINITY);
      this.closeFile();
    }
    return this.stats();
  }

  stats(): RecordSummary {
    return { ...this.summary, files: [...this.summary.files] };
  }

  /** A quiet store still gets its last records written: flush by wall time once a second too. */
  private schedule(): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      try {
        this.flush(this.opts.clock.now() - this.reorderMs);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'recorder flush failed');
      }
      this.schedule();
    }, 1_000);
  }

  private flush(upToAt: number): void {
    if (this.pending.length === 0) return;
    this.pending.sort((a, b) => a.at - b.at);
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.at <= upToAt) n++;
    if (n === 0) return;
    const due = this.pending.slice(0, n);
    this.pending = this.pending.slice(n);
    for (const o of due) this.append(o);
  }

  private append(o: Observation): void {
    const line = Buffer.from(encodeLine(o), 'utf8');
    try {
      if (this.fd !== undefined && this.fileRecords > 0 && this.fileBytes + line.length > this.opts.maxBytes) this.closeFile();
      if (this.fd === undefined) this.openFile(o.at);
      writeSync(this.fd!, line);
      this.fileBytes += line.length;
      this.fileRecords += 1;
      this.summary.records += 1;
      this.summary.bytes += line.length;
      if (o.at < this.lastWrittenAt) this.summary.late += 1;
      else this.lastWrittenAt = o.at;
    } catch (err) {
      this.summary.failed += 1;
      if (this.summary.failed <= 10 || this.summary.failed % 1000 === 0)
        this.log.error({ err: (err as Error).message, failed: this.summary.failed }, 'trace record not written');
      this.closeFile();
    }
  }

  private openFile(startedAt: number): void {
    this.seq += 1;
    const name = traceFileName(this.seq, startedAt);
    const fd = openSync(join(this.opts.dir, name), 'wx');
    const header: TraceHeader = {
      format: TRACE_FORMAT,
      v: PROTOCOL_VERSION,
      siteId: this.opts.siteId,
      startedAt: Math.max(0, Math.round(startedAt)),
      generator: this.generator,
    };
    const bytes = Buffer.from(encodeLine(header), 'utf8');
    writeSync(fd, bytes);
    this.fd = fd;
    this.fileBytes = bytes.length;
    this.fileRecords = 0;
    this.summary.files.push(name);
    this.summary.bytes += bytes.length;
    this.log.info({ file: name }, 'trace file opened');
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'trace file close failed');
    }
    this.fd = undefined;
  }
}

/** The running gateway's recorder when config `record` is set; undefined (logged) when it cannot write. */
export function openConfiguredRecorder(
  config: { siteId: string; record?: { dir: string; maxBytes: number } | undefined },
  deps: { clock: Clock; logger: Logger },
): TraceRecorder | undefined {
  if (!config.record) return undefined;
  try {
    return new TraceRecorder({ dir: config.record.dir, siteId: config.siteId, maxBytes: config.record.maxBytes, clock: deps.clock, logger: deps.logger });
  } catch (err) {
    deps.logger
      .child({ module: 'recorder' })
      .error({ dir: config.record.dir, err: (err as Error).message }, 'recorder cannot start; gateway runs without recording');
    return undefined;
  }
}
