#!/usr/bin/env node
/**
 * Generation benchmark: `node simulators/dist/bench.js [site] [duration] [shoppersPerHour]`
 * (default dept-store 2h 600/h). Prints machine, Node version and commit beside the figure, as
 * aedes' benchmarks do, so numbers from different machines are never compared blind.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoMembersPath, EXAMPLE_SITES, exampleSitePath, loadMembersCsv, loadSiteFile, type ExampleSiteName } from '@storesense/firmware-config';
import { durationError, parseDurationMs } from './duration.js';
import { generateWorld } from './trace-file.writer.js';

const [siteName = 'dept-store', durationText = '2h', rateText = '600'] = process.argv.slice(2);
if (!(EXAMPLE_SITES as readonly string[]).includes(siteName)) throw new Error(`site must be one of ${EXAMPLE_SITES.join(', ')}`);
const site = loadSiteFile(exampleSitePath(siteName as ExampleSiteName));
if (!site.ok) throw new Error(site.error);
const durationMs = parseDurationMs(durationText);
if (durationMs === undefined) throw new Error(durationError('duration', durationText));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const outDir = join(tmpdir(), `storesense-bench-${process.pid}`);
const started = performance.now();
const r = await generateWorld({
  site: site.value,
  seed: 1,
  durationMs,
  shoppersPerHour: Number(rateText),
  members: loadMembersCsv(demoMembersPath).members,
  outDir,
});
const elapsedMs = performance.now() - started;
rmSync(outDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: 'simulators.generate',
    site: siteName,
    durationMs,
    shoppersPerHour: Number(rateText),
    shoppers: r.shoppers,
    observations: r.observations,
    traceMiB: Math.round(r.traceBytes / 2 ** 20),
    elapsedMs: Math.round(elapsedMs),
    observationsPerSecond: Math.round(r.observations / (elapsedMs / 1000)),
    cpu: cpus()[0]?.model,
    node: process.version,
    commit,
  }),
);
