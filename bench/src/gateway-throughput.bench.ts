/**
 * Gateway replay throughput: observations per second through the gateway's full decision path —
 * validation, member-token resolution, tracker, features, classifier, journey machine — and the
 * SQLite outbox (WAL, one transaction per tick), driven tick by tick (250 ms of trace time) as fast
 * as the CPU allows. The uplink is left out (it is I/O-bound and measured by the latency bench).
 *
 * Usage: node bench/dist/gateway-throughput.bench.js [minutes=30] [shoppersPerHour=600] [runs=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoMembersPath, exampleSitePath, loadMembersCsv, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { createClassifier, MemberResolver, Pipeline, silentLogger, SqliteOutbox, ManualClock } from '@storesense/gateway';
import { observationSchema, type Observation } from '@storesense/protocol';
import { createWorld } from '@storesense/simulators';
import { median, report } from './stats.js';

const [minutes = 30, shoppersPerHour = 600, runs = 5] = process.argv.slice(2).map(Number);
const siteResult = loadSiteFile(exampleSitePath('dept-store'));
if (!siteResult.ok) throw new Error(siteResult.error);
const site = siteResult.value;
const members = loadMembersCsv(demoMembersPath).members;
const world = createWorld({ site, seed: 3, durationMs: minutes * 60_000, shoppersPerHour, members });
const observations: Observation[] = [...world.observations()];
const memberKeys = { v: 1, at: 0, periodMs: site.memberTokens.periodMs, members: members.filter((m) => m.consent).map((m) => ({ memberId: m.memberId, key: m.tokenKey })) };

function once(): { elapsedMs: number; events: number } {
  const dir = mkdtempSync(join(tmpdir(), 'storesense-bench-gw-'));
  const config = renderGatewayConfig(site, site.gateways[0]!.id, { dataDir: dir });
  const logger = silentLogger();
  const clock = new ManualClock(observations[0]!.at);
  const resolver = new MemberResolver({ periodMs: config.memberTokens.periodMs, logger });
  resolver.setKeys(memberKeys);
  const pipeline = new Pipeline({ config, classifier: createClassifier(config, 'rules'), logger, resolver });
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxRows: config.outbox.maxRows, maxAgeMs: config.outbox.maxAgeMs, clock, logger });
  let events = 0;
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
    if (drafts.length > 0) events += outbox.append(drafts).length;
  }
  const elapsedMs = performance.now() - started;
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
  return { elapsedMs, events };
}

const rates: number[] = [];
let events = 0;
for (let r = 0; r < runs; r++) {
  const { elapsedMs, events: e } = once();
  events = e;
  rates.push(observations.length / (elapsedMs / 1000));
}
const traceSeconds = (minutes * 60);
report({
  bench: 'gateway.throughput',
  site: 'dept-store',
  traceMinutes: minutes,
  shoppersPerHour,
  observations: observations.length,
  events,
  runs,
  medianObservationsPerSecond: Math.round(median(rates)),
  minObservationsPerSecond: Math.round(Math.min(...rates)),
  maxObservationsPerSecond: Math.round(Math.max(...rates)),
  realTimeFactor: Math.round((median(rates) / (observations.length / traceSeconds)) * 10) / 10,
});
