import type { Observation } from '@storesense/protocol';
import { silentLogger, type Logger } from './log.js';
import type { TokenRebaser } from './token-rebase.js';

/** Time as a dependency: replay paces against this clock, tests pass a fake one. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Where replayed observations go: a gateway's MQTT ingest topic, its HTTP API, or a test array. */
export interface ObservationSink {
  readonly name: string;
  send(batch: readonly Observation[]): Promise<void>;
  close(): Promise<void>;
}

export interface ReplayOptions {
  observations: AsyncIterable<Observation> | Iterable<Observation>;
  sink: ObservationSink;
  /** 1 = real time, 10 = ten times faster (default 1). */
  speed?: number;
  /**
   * Map times to now (default true): `at' = now + (at - first) / speed`, as the gateway's own replay
   * source does, so observation times agree with a live gateway's tick clock (which drops
   * observations more than 10 s in the future). At speed > 1 durations shrink by `speed`; use
   * speed 1 (or the gateway's runOffline) when dwell times must stay true. Without rebase, times
   * are kept and only the pacing follows `speed`.
   */
  rebase?: boolean;
  clock?: Clock;
  /** Waits `ms` of the clock's time (tests advance a fake clock here). */
  sleep?: (ms: number) => Promise<void>;
  /** Observations due within this many wall ms of a batch's first are sent together (default 50). */
  batchWindowMs?: number;
  /** Largest batch (default 500). */
  maxBatch?: number;
  /** Re-derives member tokens for rebased times (see token-rebase.ts); without it tokens keep their original period. */
  retoken?: TokenRebaser;
  signal?: AbortSignal;
  logger?: Logger;
  /** Told after each batch sent: trace ms replayed so far (from the first observation), observations sent. */
  onProgress?: (traceMs: number, sent: number) => void;
}

export interface ReplayResult {
  sent: number;
  batches: number;
  failedBatches: number;
  failedObservations: number;
  firstAt: number | undefined;
  lastAt: number | undefined;
  /** Added to the first `at` (0 without rebase); later ones also shrink by speed. */
  offsetMs: number;
  /** Clock time the replay took. */
  elapsedMs: number;
  aborted: boolean;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Replays observations into a sink, paced by their `at` divided by `speed`. A failing batch is
 * logged, counted and dropped; the replay goes on.
 * @example
 * const trace = await readTraceFile('trace.ndjson');
 * const sink = await createMqttSink({ url: 'mqtt://127.0.0.1:1883', siteId: 'mall', gatewayId: 'gw1' });
 * const r = await replayTrace({ observations: trace, sink, speed: 10 });
 */
export async function replayTrace(options: ReplayOptions): Promise<ReplayResult> {
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const batchWindowMs = options.batchWindowMs ?? 50;
  const maxBatch = Math.max(1, options.maxBatch ?? 500);
  const log = (options.logger ?? silentLogger()).child({ module: 'replay', sink: options.sink.name });
  const startWall = clock.now();
  const result: ReplayResult = {
    sent: 0,
    batches: 0,
    failedBatches: 0,
    failedObservations: 0,
    firstAt: undefined,
    lastAt: undefined,
    offsetMs: 0,
    elapsedMs: 0,
    aborted: false,
  };
  let batch: Observation[] = [];
  let batchFirstDue = 0;
  let batchLastDue = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const wait = batchLastDue - clock.now();
    if (wait > 0) await sleep(wait);
    const out = batch;
    batch = [];
    try {
      await options.sink.send(out);
      result.sent += out.length;
      result.batches++;
      if (result.firstAt !== undefined && result.lastAt !== undefined) options.onProgress?.(result.lastAt - result.firstAt, result.sent);
    } catch (err) {
      result.failedBatches++;
      result.failedObservations += out.length;
      log.warn({ err: (err as Error).message, size: out.length }, 'batch failed; dropped');
    }
  };

  for await (const o of options.observations) {
    if (options.signal?.aborted) {
      result.aborted = true;
      break;
    }
    if (result.firstAt === undefined) {
      result.firstAt = o.at;
      result.offsetMs = (options.rebase ?? true) ? startWall - o.at : 0;
    }
    result.lastAt = o.at;
    const due = startWall + (o.at - result.firstAt) / speed;
    if (batch.length > 0 && (due - batchFirstDue > batchWindowMs || batch.length >= maxBatch)) await flush();
    if (batch.length === 0) batchFirstDue = due;
    batchLastDue = due;
    if (result.offsetMs === 0) batch.push(o);
    else {
      const shifted = { ...o, at: Math.round(due) };
      batch.push(options.retoken && o.token !== undefined ? options.retoken(shifted, o.at) : shifted);
    }
  }
  if (!result.aborted) await flush();
  result.elapsedMs = clock.now() - startWall;
  log.info({ sent: result.sent, batches: result.batches, failedBatches: result.failedBatches }, 'replay finished');
  return result;
}

/** A sink that keeps every batch in memory (tests, in-process pipelines). */
export class MemorySink implements ObservationSink {
  readonly name = 'memory';
  readonly batches: { at: number; observations: Observation[] }[] = [];

  constructor(private readonly clock: Clock = systemClock) {}

  async send(batch: readonly Observation[]): Promise<void> {
    this.batches.push({ at: this.clock.now(), observations: [...batch] });
  }

  async close(): Promise<void> {}
}
