import { parseObservationPayload } from '@storesense/gateway';
import { encodeLine, PROTOCOL_VERSION, TRACE_FORMAT, type Observation, type TraceHeader } from '@storesense/protocol';
import { silentLogger, type Logger } from './log.js';
import { systemClock, type Clock } from './replay.js';
import { encodeObservationLine } from './trace-codec.js';
import { ChunkedFileWriter } from './trace-file.writer.js';
import { SIMULATOR_VERSION } from './world.js';

/**
 * Records live observations (a gateway's obs topic, ESP32 bridges) into a trace file. Messages
 * arrive roughly in time order; a reorder buffer holds them `reorderMs` so the file is sorted by
 * `at`; anything older than what was already written is counted as late and dropped.
 * @example
 * const r = await recordTrace({ siteId, outFile: 'live.trace.ndjson', durationMs: 600_000,
 *   subscribe: (onPayload) => subscribeMqtt({ url, topic, onMessage: (_t, p) => onPayload(p.toString()) }) });
 */
export interface RecordOptions {
  siteId: string;
  outFile: string;
  /** Starts delivering payloads (JSON array, single object or NDJSON) and returns how to stop. */
  subscribe(onPayload: (payload: string) => void): Promise<{ close(): Promise<void> }>;
  /** Stop after this long (clock time); else only on `signal`. */
  durationMs?: number;
  signal?: AbortSignal;
  reorderMs?: number;
  /** How often the reorder buffer is flushed to the file (default 500 ms). */
  flushEveryMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface RecordResult {
  file: string;
  payloads: number;
  observations: number;
  rejected: number;
  late: number;
  startedAt: number;
  durationMs: number;
}

export async function recordTrace(o: RecordOptions): Promise<RecordResult> {
  const clock = o.clock ?? systemClock;
  const log = (o.logger ?? silentLogger()).child({ module: 'record', file: o.outFile });
  const reorderMs = o.reorderMs ?? 2_000;
  const startedAt = clock.now();
  const header: TraceHeader = {
    format: TRACE_FORMAT,
    v: PROTOCOL_VERSION,
    siteId: o.siteId,
    startedAt,
    generator: `storesense-sim ${SIMULATOR_VERSION} record`,
  };
  const out = new ChunkedFileWriter(o.outFile, 1 << 16);
  await out.write(encodeLine(header));
  const result: RecordResult = { file: o.outFile, payloads: 0, observations: 0, rejected: 0, late: 0, startedAt, durationMs: 0 };
  let buffer: Observation[] = [];
  let written = -Infinity;
  let maxAt = -Infinity;
  const onPayload = (payload: string) => {
    result.payloads++;
    const parsed = parseObservationPayload(payload);
    result.rejected += parsed.rejected.length;
    if (parsed.rejected.length > 0) log.warn({ rejected: parsed.rejected.length, first: parsed.rejected[0] }, 'observations rejected');
    for (const obs of parsed.observations) {
      if (obs.at < written) {
        result.late++;
        continue;
      }
      buffer.push(obs);
      if (obs.at > maxAt) maxAt = obs.at;
    }
  };
  const flush = async (all: boolean) => {
    if (buffer.length === 0) return;
    buffer.sort((a, b) => a.at - b.at);
    const cut = all ? buffer.length : buffer.findIndex((x) => x.at > maxAt - reorderMs);
    const n = cut < 0 ? buffer.length : cut;
    if (n === 0) return;
    let text = '';
    for (let i = 0; i < n; i++) text += encodeObservationLine(buffer[i]!);
    written = buffer[n - 1]!.at;
    result.observations += n;
    buffer = buffer.slice(n);
    await out.write(text);
  };
  const subscription = await o.subscribe(onPayload);
  try {
    const every = o.flushEveryMs ?? 500;
    while (!o.signal?.aborted && (o.durationMs === undefined || clock.now() - startedAt < o.durationMs)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          o.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, every);
        o.signal?.addEventListener('abort', done, { once: true });
      });
      await flush(false);
    }
  } finally {
    await subscription.close();
    await flush(true);
    await out.close();
  }
  result.durationMs = clock.now() - startedAt;
  log.info({ observations: result.observations, rejected: result.rejected, late: result.late }, 'recording finished');
  return result;
}
