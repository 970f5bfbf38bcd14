import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseObservationLine, parseTraceHeader, type Observation } from '@storesense/protocol';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { reasonForLog, shouldLogRejection } from '../parse-observations.js';
import { SourceCounters, type Emit, type Source } from '../source.js';

export interface ReplaySourceOptions {
  path: string;
  /** 1 = real time; 10 = ten times faster (trace time is compressed by the same factor). */
  speed: number;
  /** Shift times so the first observation happens now (on the gateway clock). */
  rebase: boolean;
  loop: boolean;
  clock: Clock;
  logger: Logger;
  /** Emit in batches of this much trace time (ms); default 50. */
  batchMs?: number;
}

/**
 * Replays a trace file (protocol trace format: header line, then observations in time order),
 * streaming it line by line so a day-long trace never sits in memory. Bad lines are counted and
 * skipped. With `rebase`, times map to now + (t - first) / speed, so the live tick clock and
 * the observation times agree; at speed > 1 durations shrink by `speed` (use `runOffline` when
 * exact trace times matter).
 */
export function createReplaySource(opts: ReplaySourceOptions): Source {
  const log = opts.logger.child({ module: 'source', source: 'replay' });
  const counters = new SourceCounters();
  const batchMs = opts.batchMs ?? 50;
  let stopped = false;
  let done: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  async function playOnce(emit: Emit, startWall: number): Promise<number> {
    const rl = createInterface({ input: createReadStream(opts.path, { encoding: 'utf8' }), crlfDelay: Infinity });
    let lineNo = 0;
    let first: number | undefined;
    let last = startWall;
    let batch: Observation[] = [];
    let batchEnd = Number.NEGATIVE_INFINITY;
    const flush = () => {
      if (batch.length === 0) return;
      counters.accepted(batch);
      emit(batch);
      batch = [];
    };
    try {
      for await (const line of rl) {
        if (stopped) break;
        lineNo += 1;
        if (line.trim() === '') continue;
        if (lineNo === 1) {
          const h = parseTraceHeader(line);
          if (h.ok) {
            log.info({ siteId: h.value.siteId, generator: h.value.generator }, 'replaying trace');
            continue;
          }
        }
        const r = parseObservationLine(line);
        if (!r.ok) {
          counters.rejected += 1;
          if (shouldLogRejection(counters.rejected))
            log.warn({ line: lineNo, totalRejected: counters.rejected, error: reasonForLog(r.error) }, 'rejected trace line');
          continue;
        }
        first ??= r.value.at;
        const at = opts.rebase ? Math.round(startWall + (r.value.at - first) / opts.speed) : r.value.at;
        const obs = { ...r.value, at };
        if (at > batchEnd) {
          flush();
          batchEnd = at + batchMs;
          const waitMs = opts.rebase ? at - opts.clock.now() : (r.value.at - first) / opts.speed - (opts.clock.now() - startWall);
          if (waitMs > 1) await sleep(waitMs);
          else if (lineNo % 2000 === 0) await new Promise((r2) => setImmediate(r2)); // let ticks run
          if (stopped) break;
        }
        batch.push(obs);
        last = at;
      }
      flush();
    } finally {
      rl.close();
    }
    return last;
  }

  return {
    name: 'replay',
    start(emit: Emit) {
      stopped = false;
      counters.state = 'ok';
      counters.detail = opts.path;
      done = (async () => {
        let startWall = opts.clock.now();
        try {
          do {
            const last = await playOnce(emit, startWall);
            startWall = Math.max(opts.clock.now(), last + 1_000);
          } while (opts.loop && !stopped);
          if (!stopped) {
            counters.state = 'stopped';
            counters.detail = 'finished';
            log.info({ observations: counters.observations, rejected: counters.rejected }, 'replay finished');
          }
        } catch (err) {
          counters.state = 'unavailable';
          counters.detail = (err as Error).message;
          log.error({ err: (err as Error).message }, 'replay failed');
        }
      })();
    },
    async stop() {
      stopped = true;
      wake?.();
      await done;
      counters.state = 'stopped';
    },
    health: () => counters.snapshot(),
  };
}
