import type { GatewayConfig } from '@storesense/firmware-config';
import { newId, type Observation, type PresenceEvent } from '@storesense/protocol';
import type { Classifier } from './classify/classifier.js';
import { createClassifier } from './classify/create-classifier.js';
import { MemberResolver } from './identity/member-resolver.js';
import { silentLogger, type Logger } from './log.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';
import { mulberry32 } from './random.js';

export { mulberry32 };

export interface RunOfflineOptions {
  classifier?: Classifier;
  /** A `members/keys` payload to resolve member tokens with. */
  memberKeys?: unknown;
  /** Seed for the random part of event/visit ULIDs, so two runs give identical output. */
  seed?: number;
  /**
   * Keep ticking this long after the last observation. Default 0: a trace that ends while people are
   * inside should not turn into exits (its truth has none); pass exitAbsenceMs + 5 s to flush them.
   */
  drainMs?: number;
  logger?: Logger;
  /** Hysteresis overrides (tuning experiments). */
  hold?: PipelineOptions['hold'];
  /** Overrides config.calibration.auto (default on: decision 57). */
  autoCalibration?: boolean;
  /** Receives the pipeline once the run is over (its stats and calibration). */
  onDone?: (pipeline: Pipeline) => void;
  /** Told every simulated minute: trace ms done so far and the trace's span (progress bars). */
  onProgress?: (doneMs: number, totalMs: number) => void;
}

/**
 * Runs the live gateway's tracker/classifier/journey code over a recorded or simulated observation
 * array with a simulated tick clock (no outbox, no uplink, no timers): for `evaluate` and benchmarks.
 * Observations are sorted by time; each tick first ingests everything heard up to it.
 * Events get `seq` 1, 2, 3… in emission order.
 * @example const events = runOffline(renderGatewayConfig(site, 'gw1'), trace.records, { seed: 1 })
 */
export function runOffline(config: GatewayConfig, observations: readonly Observation[], opts: RunOfflineOptions = {}): PresenceEvent[] {
  const logger = opts.logger ?? silentLogger();
  const random = mulberry32(opts.seed ?? 1);
  const resolver = new MemberResolver({ periodMs: config.memberTokens.periodMs, logger });
  if (opts.memberKeys !== undefined) resolver.setKeys(opts.memberKeys);
  const pipeline = new Pipeline({
    config,
    classifier: opts.classifier ?? createClassifier(config, 'rules'),
    logger,
    resolver,
    newId: (at) => newId(at, random),
    ...(opts.hold ? { hold: opts.hold } : {}),
    ...(opts.autoCalibration !== undefined ? { autoCalibration: opts.autoCalibration } : {}),
  });
  const sorted = [...observations].sort((a, b) => a.at - b.at);
  const out: PresenceEvent[] = [];
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) {
    opts.onDone?.(pipeline);
    return out;
  }
  const tickMs = config.tickMs;
  const end = last.at + (opts.drainMs ?? 0);
  let i = 0;
  let reportedAt = first.at;
  for (let now = Math.ceil(first.at / tickMs) * tickMs; now <= end + tickMs; now += tickMs) {
    while (i < sorted.length && sorted[i]!.at <= now) pipeline.ingest(sorted[i++]!);
    for (const d of pipeline.tick(now)) out.push({ ...d, seq: out.length + 1 });
    if (opts.onProgress && now - reportedAt >= 60_000) {
      reportedAt = now;
      opts.onProgress(now - first.at, end - first.at);
    }
  }
  opts.onProgress?.(end - first.at, end - first.at);
  opts.onDone?.(pipeline);
  return out;
}
