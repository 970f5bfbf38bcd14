#!/usr/bin/env node
// `npm run bench`: runs every benchmark, prints each result, and rewrites docs/benchmarks.md with
// the figures beside the machine, Node version and commit they were measured on.
// Quick mode for a smoke run: BENCH_QUICK=1 npm run bench (smaller inputs, docs not rewritten).
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.env.BENCH_QUICK === '1';

const benches = [
  { name: 'simulator generation', file: 'simulators/dist/bench.js', args: quick ? ['dept-store', '10m', '600'] : ['dept-store', '2h', '600'] },
  { name: 'gateway throughput', file: 'bench/dist/gateway-throughput.bench.js', args: quick ? ['5', '600', '2'] : ['30', '600', '5'] },
  { name: 'end-to-end latency', file: 'bench/dist/e2e-latency.bench.js', args: quick ? ['8', '600'] : ['40', '600'] },
];

const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  commit: git('rev-parse', '--short', 'HEAD'),
  date: new Date().toISOString().slice(0, 10),
};

const results = {};
for (const b of benches) {
  process.stdout.write(`== ${b.name}: node ${b.file} ${b.args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [b.file, ...b.args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`${b.name} failed (exit ${r.status})\n${r.stdout}`);
    process.exit(1);
  }
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  results[b.name] = { ...JSON.parse(line), command: `node ${b.file} ${b.args.join(' ')}` };
  process.stdout.write(`${line}\n`);
}

if (quick) process.exit(0);

const g = results['simulator generation'];
const t = results['gateway throughput'];
const e = results['end-to-end latency'];
const fmt = (n) => n.toLocaleString('en-US');
const md = `# Benchmarks

Measured by \`npm run bench\` (\`scripts/bench.js\`), which rewrites this file. The machine is shared
and noisy (${machine.cores} cores): figures are medians over repeated runs where it says so, and
ratios matter more than absolute values.

| | |
| --- | --- |
| machine | ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB |
| Node | ${machine.node} |
| commit | ${machine.commit} |
| date | ${machine.date} |

## Gateway replay throughput

The gateway's whole decision path — observation validation, member-token resolution, tracker,
features, rules classifier, journey state machine — and the SQLite outbox (WAL, one transaction per
250 ms tick), driven tick by tick as fast as one core allows. ${t.traceMinutes} minutes of the
simulated department store at ${t.shoppersPerHour} shoppers/hour: ${fmt(t.observations)} observations,
${fmt(t.events)} events.

| median obs/s | min | max | runs | faster than real time |
| --- | --- | --- | --- | --- |
| ${fmt(t.medianObservationsPerSecond)} | ${fmt(t.minObservationsPerSecond)} | ${fmt(t.maxObservationsPerSecond)} | ${t.runs} | ${t.realTimeFactor}× |

Command: \`${t.command}\`

## End-to-end latency: observation into the gateway → staff websocket alert

Real cloud (aedes on loopback, SQLite with \`synchronous=FULL\`) and real gateway (system clock,
250 ms ticks, outbox, MQTT QoS 1) in one process; the department store replayed in real time at
${e.shoppersPerHour} shoppers/hour (${fmt(e.observationsPerSecond)} observations/s) with
${e.scriptedMembers} scripted member visits. Latency runs from the member's last observation before
the gateway's decision tick to the alert frame at a staff websocket client: tick wait, outbox
write, MQTT, cloud validation and storage, rules, alert storage and the websocket push.

| alerts | p50 | p99 | max |
| --- | --- | --- | --- |
| ${e.alerts} | ${e.p50Ms} ms | ${e.p99Ms} ms | ${e.maxMs} ms |

How long the journey machine waits for evidence before deciding (event \`detectedAt − at\`, the
hysteresis that keeps false arrivals out) is separate: p50 ${e.detectionP50Ms} ms, p99 ${e.detectionP99Ms} ms.

Command: \`${e.command}\`

## Simulator generation

${g.durationMs / 3_600_000} h of the department store at ${g.shoppersPerHour} shoppers/hour: ${fmt(g.shoppers)} shoppers,
${fmt(g.observations)} observations (${g.traceMiB} MiB of NDJSON) in ${fmt(g.elapsedMs)} ms —
${fmt(g.observationsPerSecond)} observations/s.

Command: \`${g.command}\`
`;
writeFileSync(join(root, 'docs/benchmarks.md'), md);
process.stdout.write('docs/benchmarks.md written\n');
