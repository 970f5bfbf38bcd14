/**
 * Gateway replay throughput: observations per second through the gateway's full decision path —
 * validation, member-token resolution, tracker, features, classifier, journey machine — and the
 * SQLite outbox (WAL, one transaction per tick), driven tick by tick (250 ms of trace time) as fast
 * as the CPU allows. The uplink is left out (it is I/O-bound and measured by the latency bench).
 *
 * The rules and the ONNX classifier run side by side on the same trace, alternating run by run
 * (rules, onnx, rules, onnx, ...), so a burst of load from other processes on the shared machine
 * hits both alike; the figures are medians per classifier and the ratio of the medians. Beside
 * them: the cost per subject per tick (the whole path's time divided by the subject-ticks it
 * classified, and the classify call's share of it), and how many concurrent subjects one core
 * would sustain at 4 ticks/s at that cost (250 ms / cost per subject-tick).
 *
 * Usage: node bench/dist/gateway-throughput.bench.js [minutes=30] [shoppersPerHour=600] [runs=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoMembersPath, exampleSitePath, loadMembersCsv, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { createClassifier, MemberResolver, Pipeline, silentLogger, SqliteOutbox, ManualClock, type Classifier } from '@storesense/gateway';
import { observationSchema, type Observation } from '@storesense/protocol';
import { createWorld } from '@storesense/simulators';
import { median, report } from './stats.js';

const [minutes = 30, shoppersPerHour = 600, runs = 5] = process.argv.slice(2).map(Number);
const KINDS = ['rules', 'onnx'] as const;
type Kind = (typeof KINDS)[number];
const siteResult = loadSiteFile(exampleSitePath('dept-store'));
if (!siteResult.ok) throw new Error(siteResult.error);
const site = siteResult.value;
const members = loadMembersCsv(demoMembersPath).members;
const world = createWorld({ site, seed: 3, durationMs: minutes * 60_000, shoppersPerHour, members });
const observations: Observation[] = [...world.observations()];
const memberKeys = {
  v: 1,
  at: 0,
  periodMs: site.memberTokens.periodMs,
  members: members.filter((m) => m.consent).map((m) => ({ memberId: m.memberId, key: m.tokenKey })),
};

interface Run {
  elapsedMs: number;
  classifyMs: number;
  events: number;
  ticks: number;
  subjectTicks: number;
  model: string;
}

function once(kind: Kind): Run {
  const dir = mkdtempSync(join(tmpdir(), 'storesense-bench-gw-'));
  const config = renderGatewayConfig(site, site.gateways[0]!.id, { dataDir: dir });
  const logger = silentLogger();
  const clock = new ManualClock(observations[0]!.at);
  const resolver = new MemberResolver({ periodMs: config.memberTokens.periodMs, logger });
  resolver.setKeys(memberKeys);
  const inner = createClassifier(config, kind);
  // Counts the subject-ticks and times the classify call (two clock reads per tick, ~7,200 ticks).
  let subjectTicks = 0;
  let classifyMs = 0;
  const classifier: Classifier = {
    name: inner.name,
    version: inner.version,
    ...(inner.decision ? { decision: inner.decision } : {}),
    classify(windows, at) {
      subjectTicks += windows.length;
      const t0 = performance.now();
      const out = inner.classify(windows, at);
      classifyMs += performance.now() - t0;
      return out;
    },
  };
  const pipeline = new Pipeline({ config, classifier, logger, resolver });
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxRows: config.outbox.maxRows, maxAgeMs: config.outbox.maxAgeMs, clock, logger });
  let events = 0;
  let ticks = 0;
  const started = performance.now();
  let i = 0;
  for (let t = observations[0]!.at + config.tickMs; i < observations.length; t += config.tickMs) {
    while (i < observations.length && observations[i]!.at <= t) {
      // Validation is part of the path: every observation enters through the protocol schema.
      const parsed = observationSchema.parse(observations[i]);
      pipeline.ingest(parsed);
      i++;
    }
    clock.set(t);
    const drafts = pipeline.tick(t);
    ticks += 1;
    if (drafts.length > 0) events += outbox.append(drafts).length;
  }
  const elapsedMs = performance.now() - started;
  outbox.close();
  void inner.close?.();
  rmSync(dir, { recursive: true, force: true });
  return { elapsedMs, classifyMs, events, ticks, subjectTicks, model: inner.version };
}

// One untimed warm-up run each (JIT, onnxruntime session), then the timed runs alternating.
for (const kind of KINDS) once(kind);
const byKind: Record<Kind, Run[]> = { rules: [], onnx: [] };
for (let r = 0; r < runs; r++) for (const kind of KINDS) byKind[kind].push(once(kind));

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const TICK_BUDGET_US = 250_000;
const summary = (kind: Kind) => {
  const list = byKind[kind];
  const rates = list.map((x) => observations.length / (x.elapsedMs / 1000));
  const perSubjectUs = median(list.map((x) => (x.elapsedMs * 1000) / x.subjectTicks));
  const last = list[list.length - 1]!;
  return {
    classifier: kind,
    model: last.model,
    events: last.events,
    medianObservationsPerSecond: Math.round(median(rates)),
    minObservationsPerSecond: Math.round(Math.min(...rates)),
    maxObservationsPerSecond: Math.round(Math.max(...rates)),
    realTimeFactor: round(median(rates) / (observations.length / (minutes * 60))),
    subjectsPerTick: round(last.subjectTicks / last.ticks),
    /** The whole path's time per classified subject per tick (ingest and outbox included). */
    perSubjectTickUs: round(perSubjectUs, 2),
    /** Of which the classify call (features are computed before it, in the pipeline). */
    classifyPerSubjectTickUs: round(median(list.map((x) => (x.classifyMs * 1000) / x.subjectTicks)), 2),
    /** Subjects one core keeps up with at 4 ticks/s: 250 ms / (cost per subject-tick). */
    sustainedSubjectsAt4Hz: Math.round(TICK_BUDGET_US / perSubjectUs / 100) * 100,
  };
};
const rules = summary('rules');
const onnx = summary('onnx');
// The ratio of medians, and the median of the per-pair ratios (each pair ran back to back).
const pairRatios = byKind.onnx.map((o, i) => byKind.rules[i]!.elapsedMs / o.elapsedMs);
report({
  bench: 'gateway.throughput',
  site: 'dept-store',
  traceMinutes: minutes,
  shoppersPerHour,
  observations: observations.length,
  runs,
  classifiers: [rules, onnx],
  onnxToRules: round(onnx.medianObservationsPerSecond / rules.medianObservationsPerSecond, 2),
  onnxToRulesPairMedian: round(median(pairRatios), 2),
  loadAverage: loadavg().map((x) => round(x, 2)),
});
