/**
 * Inference cost per tick: the classifiers' batched `classify(windows)` — what the pipeline calls
 * once per 250 ms tick with every active subject — at batch 1, 32 and 256. The ONNX classifier
 * (the gateway's packaged model, one native session, intraOp threads 1) beside the rules baseline;
 * for ONNX also the native `run` alone, so the JS around it (tensor packing, floor and zone
 * estimates) shows separately.
 *
 * Inputs are real feature windows: the gateway's own runOffline over a simulated department-store
 * trace, recorded as the pipeline hands them to its classifier. A batch of B is B consecutive
 * recorded windows (from several ticks when B exceeds one tick's subjects), rotating through the
 * pool so no two consecutive calls see the same rows.
 *
 * Usage: node bench/dist/classifier-inference.bench.js [minutes=10] [shoppersPerHour=1200] [rounds=5]
 */
import { loadavg } from 'node:os';
import { exampleSitePath, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { createClassifier, runOffline, type Classifier, type FeatureWindow } from '@storesense/gateway';
import { createWorld } from '@storesense/simulators';
import { median, percentile, report } from './stats.js';

const [minutes = 10, shoppersPerHour = 1200, rounds = 5] = process.argv.slice(2).map(Number);
const BATCHES = [1, 32, 256] as const;
/** Calls per batch size and round: enough samples for a stable p99, bounded total time. */
const CALLS: Record<(typeof BATCHES)[number], number> = { 1: 3000, 32: 1000, 256: 250 };
const WARMUP_CALLS = 100;

const siteResult = loadSiteFile(exampleSitePath('dept-store'));
if (!siteResult.ok) throw new Error(siteResult.error);
const site = siteResult.value;
const config = renderGatewayConfig(site, site.gateways[0]!.id);
const world = createWorld({ site, seed: 11, durationMs: minutes * 60_000, shoppersPerHour });

/*
 * Record the windows the pipeline classifies once the store has filled (after the first quarter of
 * the trace), up to POOL_MAX: a pool of hundreds of thousands of windows (each with its Maps) made
 * the timings measure the garbage collector more than the classifiers.
 */
const POOL_MAX = 16_384;
const pool: FeatureWindow[] = [];
const perTick: number[] = [];
const observations = [...world.observations()];
const recordFrom = observations[0]!.at + (minutes * 60_000) / 4;
const rulesForRecording = createClassifier(config, 'rules');
runOffline(config, observations, {
  classifier: {
    name: 'recorder',
    version: '1',
    classify(windows, at) {
      perTick.push(windows.length);
      if (at >= recordFrom) for (const w of windows) if (pool.length < POOL_MAX) pool.push({ ...w, values: Float32Array.from(w.values) });
      return rulesForRecording.classify(windows, at);
    },
  },
});
if (pool.length < 1024) throw new Error(`only ${pool.length} feature windows recorded; raise minutes or shoppersPerHour`);

interface Series {
  classifier: string;
  batch: number;
  calls: number;
  p50Us: number;
  p99Us: number;
  worstRoundP99Us: number;
  /** The same percentiles of the process's CPU time per call: the work without the time the shared machine's scheduler took the core away. */
  cpuP50Us: number;
  cpuP99Us: number;
  perSubjectP50Us: number;
  perSubjectP99Us: number;
}

/** Times `fn` on rotating batches of B windows; returns microseconds per call (wall clock and process CPU time), one array per round. */
function time(batch: number, calls: number, fn: (windows: FeatureWindow[], at: number) => void): { wall: number[][]; cpu: number[][] } {
  const rounds_: number[][] = [];
  const cpuRounds: number[][] = [];
  let offset = 0;
  const next = () => {
    if (offset + batch > pool.length) offset = 0;
    const w = pool.slice(offset, offset + batch);
    offset += batch;
    return w;
  };
  for (let i = 0; i < WARMUP_CALLS; i++) {
    const w = next();
    fn(w, w[0]!.at);
  }
  for (let r = 0; r < rounds; r++) {
    const samples: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < calls; i++) {
      const w = next();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      fn(w, w[0]!.at);
      samples.push((performance.now() - t0) * 1000);
      const used = process.cpuUsage(c0);
      cpu.push(used.user + used.system);
    }
    rounds_.push(samples);
    cpuRounds.push(cpu);
  }
  return { wall: rounds_, cpu: cpuRounds };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
/**
 * p50 and p99 per round, then the median over rounds: the machine is shared, and one round hit by
 * another process's burst should not decide the figure (the worst round's p99 is kept beside it).
 */
function series(name: string, batch: number, timed: { wall: number[][]; cpu: number[][] }): Series {
  const perRound = timed.wall;
  const p50 = median(perRound.map((s) => percentile(s, 50)));
  const p99s = perRound.map((s) => percentile(s, 99));
  const p99 = median(p99s);
  return {
    classifier: name,
    batch,
    calls: perRound.reduce((a, s) => a + s.length, 0),
    p50Us: round1(p50),
    p99Us: round1(p99),
    worstRoundP99Us: round1(Math.max(...p99s)),
    perSubjectP50Us: round1(p50 / batch),
    perSubjectP99Us: round1(p99 / batch),
    cpuP50Us: round1(median(timed.cpu.map((s) => percentile(s, 50)))),
    cpuP99Us: round1(median(timed.cpu.map((s) => percentile(s, 99)))),
  };
}

const onnx = createClassifier(config, 'onnx');
const rules = createClassifier(config, 'rules');
/** The native run alone, when the classifier exposes it (OnnxClassifier.runRaw). */
const runRaw = (onnx as Classifier & { runRaw?: (x: Float32Array, rows: number) => Float32Array }).runRaw?.bind(onnx);
const width = pool[0]!.values.length;
let sink = 0; // keeps results alive so nothing is optimised away

const results: Series[] = [];
for (const batch of BATCHES) {
  const calls = CALLS[batch];
  results.push(
    series(
      'onnx',
      batch,
      time(batch, calls, (w, at) => void (sink += onnx.classify(w, at).length)),
    ),
  );
  if (runRaw) {
    results.push(
      series(
        'onnx native run only',
        batch,
        time(batch, calls, (w) => {
          const x = new Float32Array(w.length * width);
          w.forEach((win, i) => x.set(win.values, i * width));
          sink += runRaw(x, w.length).length;
        }),
      ),
    );
  }
  results.push(
    series(
      'rules',
      batch,
      time(batch, calls, (w, at) => void (sink += rules.classify(w, at).length)),
    ),
  );
}
await onnx.close?.();

report({
  bench: 'classifier-inference',
  site: 'dept-store',
  traceMinutes: minutes,
  shoppersPerHour,
  rounds,
  windows: pool.length,
  features: width,
  model: onnx.version,
  // With a zone head, runRaw feeds it one dummy row: "native run only" is then the place head's run.
  zoneHead: (onnx as Classifier & { hasZoneHead?: boolean }).hasZoneHead === true,
  subjectsPerTick: { median: median(perTick), p99: percentile(perTick, 99), max: Math.max(...perTick) },
  series: results,
  // Load on the shared 2-core machine while measuring (1, 5, 15 min): context for the p99s.
  loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  sink: sink > 0,
});
