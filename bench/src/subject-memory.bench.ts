/**
 * Memory per active subject: the heap (and ArrayBuffer) growth of the gateway's pipeline while N
 * synthetic phones are heard by the department store's receivers for 40 s, 250 ms ticks, the
 * ONNX classifier — long enough that every subject's 30 s feature history is full. Measured
 * after forced garbage collections (run with --expose-gc), as the difference to the same pipeline
 * before the first observation, divided by N. Three layers, each on a fresh instance with the same
 * observations: the tracker alone, tracker + features (adds the feature history and the position
 * fit cache), the whole pipeline (adds journey states and the classifier's zone cache).
 *
 * Usage: node --expose-gc bench/dist/subject-memory.bench.js [subjects=1000]
 */
import { exampleSitePath, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { computeFeatures, createClassifier, mulberry32, Pipeline, siteContext, silentLogger, Tracker } from '@storesense/gateway';
import type { Observation } from '@storesense/protocol';
import { report } from './stats.js';

const [subjects = 1000] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('subject-memory needs node --expose-gc\n');
  process.exit(2);
}
const siteResult = loadSiteFile(exampleSitePath('dept-store'));
if (!siteResult.ok) throw new Error(siteResult.error);
const site = siteResult.value;
const config = renderGatewayConfig(site, site.gateways[0]!.id);
const ctx = siteContext(config);
const receiverIds = config.receivers.map((r) => r.id);

const T0 = 1_767_607_200_000;
const SPAN_MS = 40_000;
const TICK_MS = config.tickMs;
const RECEIVERS_PER_SUBJECT = 6;

/** Every subject is heard by 6 of the site's receivers, each about once a second, at a steady level with noise. */
function observationsOf(seed: number): Observation[][] {
  const rnd = mulberry32(seed);
  const perTick: Observation[][] = Array.from({ length: SPAN_MS / TICK_MS }, () => []);
  for (let s = 0; s < subjects; s++) {
    const rxs = [...receiverIds].sort(() => rnd() - 0.5).slice(0, RECEIVERS_PER_SUBJECT);
    for (const rx of rxs) {
      const level = -55 - rnd() * 30;
      for (let at = T0 + Math.floor(rnd() * 1000); at < T0 + SPAN_MS; at += 800 + Math.floor(rnd() * 400)) {
        perTick[Math.floor((at - T0) / TICK_MS)]!.push({
          v: 1,
          at,
          source: 'ble',
          receiverId: rx,
          subject: `syn-${s}`,
          rssiDbm: Math.round(level + (rnd() - 0.5) * 8),
        });
      }
    }
  }
  return perTick;
}

function settledBytes(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const perTick = observationsOf(1);
let keep: unknown;
/** Bytes per subject that `build` holds once fed every tick (observe(obs), then tick(now)). */
function measure(build: () => { observe: (o: Observation) => void; tick: (now: number) => void; hold: unknown }): number {
  const layer = build();
  const before = settledBytes();
  perTick.forEach((obs, k) => {
    for (const o of obs) layer.observe(o);
    layer.tick(T0 + (k + 1) * TICK_MS);
  });
  const after = settledBytes();
  keep = layer.hold; // alive until measured
  return (after - before) / subjects;
}

const tracker = measure(() => {
  const t = new Tracker({ rssiCorrectionDb: ctx.rssiCorrectionDb });
  return { observe: (o) => void t.observe(o), tick: () => {}, hold: t };
});
const withFeatures = measure(() => {
  const t = new Tracker({ rssiCorrectionDb: ctx.rssiCorrectionDb });
  return {
    observe: (o) => void t.observe(o),
    tick: (now) => {
      for (const tr of t.all()) if (now - (tr.lastRadioAt ?? -Infinity) <= 4_000) computeFeatures(tr, now, ctx);
    },
    hold: t,
  };
});
const classifier = createClassifier(config, 'onnx');
const pipelineBytes = measure(() => {
  const p = new Pipeline({ config, classifier, logger: silentLogger() });
  return { observe: (o) => p.ingest(o), tick: (now) => void p.tick(now), hold: p };
});
await classifier.close?.();

report({
  bench: 'subject-memory',
  site: 'dept-store',
  subjects,
  receiversPerSubject: RECEIVERS_PER_SUBJECT,
  spanS: SPAN_MS / 1000,
  model: classifier.version,
  trackerBytesPerSubject: Math.round(tracker),
  featureHistoryBytesPerSubject: Math.round(withFeatures - tracker),
  pipelineBytesPerSubject: Math.round(pipelineBytes),
  kept: keep !== undefined,
});
