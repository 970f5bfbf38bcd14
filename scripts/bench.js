#!/usr/bin/env node
// `npm run bench`: runs every benchmark, prints each result, and rewrites docs/benchmarks.md with
// the figures beside the machine, Node version and commit they were measured on.
// Quick mode for a smoke run: BENCH_QUICK=1 npm run bench (smaller inputs, docs not rewritten).
// One or some benchmarks only: npm run bench -- --only classifier-inference[,gateway-throughput]
// reruns those and replaces just their sections of docs/benchmarks.md (each section names the
// commit and date it was measured at); the other sections are kept as they are.
// Opt-in (heavy, run only when named): --only analytics-sqlite,analytics-postgres (1 M events over
// 14 days, issue 12 §5; PostgreSQL at STORESENSE_BENCH_DATABASE_URL). A full run keeps their sections.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.env.BENCH_QUICK === '1';

const allBenches = [
  {
    name: 'simulator generation',
    id: 'simulator-generation',
    file: 'simulators/dist/bench.js',
    args: quick ? ['dept-store', '10m', '600'] : ['dept-store', '2h', '600'],
  },
  {
    name: 'gateway throughput',
    id: 'gateway-throughput',
    file: 'bench/dist/gateway-throughput.bench.js',
    args: quick ? ['5', '600', '2'] : ['30', '600', '5'],
  },
  { name: 'subject memory', id: 'subject-memory', file: 'bench/dist/subject-memory.bench.js', node: ['--expose-gc'], args: quick ? ['200'] : ['2000'] },
  { name: 'end-to-end latency', id: 'e2e-latency', file: 'bench/dist/e2e-latency.bench.js', args: quick ? ['8', '600'] : ['40', '600'] },
  {
    name: 'classifier inference',
    id: 'classifier-inference',
    file: 'bench/dist/classifier-inference.bench.js',
    args: quick ? ['4', '1200', '1'] : ['10', '1200', '5'],
  },
  { name: 'outbox append at depth', id: 'outbox-append', file: 'bench/dist/outbox-append.bench.js', args: quick ? ['20000', '200'] : ['1000000', '2000'] },
  {
    name: 'cloud ingest',
    id: 'cloud-ingest',
    file: 'bench/dist/cloud-ingest.bench.js',
    args: quick ? ['10', '1000', 'auto', '3'] : ['500', '20000', 'auto', '10'],
  },
  { name: 'staff fan-out', id: 'staff-fanout', file: 'bench/dist/staff-fanout.bench.js', args: quick ? ['100', '20', '2'] : ['1000,5000', '20', '10'] },
  ...['sqlite', 'postgres'].map((backend) => ({
    name: `analytics at scale (${backend})`,
    id: `analytics-${backend}`,
    optIn: true,
    file: 'bench/dist/cloud-analytics.bench.js',
    args: quick ? [backend, '20000', '14', '5'] : [backend, '1000000', '14', '20'],
  })),
];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? (process.argv[onlyArg + 1] ?? '').split(',').filter(Boolean) : undefined;
const unknown = (only ?? []).filter((id) => !allBenches.some((b) => b.id === id));
if (unknown.length > 0 || (only && only.length === 0)) {
  process.stderr.write(`--only takes a comma-separated list of: ${allBenches.map((b) => b.id).join(', ')}\n`);
  process.exit(2);
}
const benches = only ? allBenches.filter((b) => only.includes(b.id)) : allBenches.filter((b) => !b.optIn);

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
  const command = `node ${[...(b.node ?? []), b.file, ...b.args].join(' ')}`;
  process.stdout.write(`== ${b.name}: ${command}\n`);
  const r = spawnSync(process.execPath, [...(b.node ?? []), b.file, ...b.args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`${b.name} failed (exit ${r.status})\n${r.stdout}`);
    process.exit(1);
  }
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  results[b.name] = { ...JSON.parse(line), command };
  process.stdout.write(`${line}\n`);
}

if (quick) process.exit(0);

const fmt = (n) => n.toLocaleString('en-US');
const us = (x) => (x >= 1000 ? `${fmt(Math.round(x))} µs` : `${x} µs`);
const measured = `_Measured at commit ${machine.commit} on ${machine.date}._`;

/** Section title -> body, per benchmark id (the title is the `## ` heading in docs/benchmarks.md). */
const sections = {
  'gateway-throughput': (t) => {
    const [rules, onnx] = t.classifiers;
    return {
      title: 'Gateway replay throughput',
      body: `The gateway's whole decision path — observation validation, member-token resolution, tracker,
features, classifier, journey state machine — and the SQLite outbox (WAL, one transaction per
250 ms tick), driven tick by tick as fast as one core allows, with the rules and with the ONNX
classifier (model \`${onnx.model}\`) side by side: the runs alternate (rules, onnx, rules, ...) on the
same trace, so load from other processes hits both alike. ${t.traceMinutes} minutes of the simulated
department store at ${t.shoppersPerHour} shoppers/hour: ${fmt(t.observations)} observations,
${rules.subjectsPerTick} subjects per tick on average.

| classifier | median obs/s | min | max | runs | faster than real time | events | µs per subject per tick (whole path) | of which classify | subjects one core sustains at 4 ticks/s |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${[rules, onnx].map((c) => `| ${c.classifier} | ${fmt(c.medianObservationsPerSecond)} | ${fmt(c.minObservationsPerSecond)} | ${fmt(c.maxObservationsPerSecond)} | ${t.runs} | ${c.realTimeFactor}× | ${fmt(c.events)} | ${c.perSubjectTickUs} | ${c.classifyPerSubjectTickUs} | ${fmt(c.sustainedSubjectsAt4Hz)} |`).join('\n')}

ONNX / rules: **${t.onnxToRules}×** (ratio of the medians; median of the back-to-back pairs'
ratios ${t.onnxToRulesPairMedian}×). "µs per subject per tick" is the whole run's time divided by the
subject-ticks it classified; "subjects one core sustains" is 250 ms divided by that cost (the
rest of the tick's work grows with the subjects too). Load average while measuring:
${t.loadAverage.join(', ')} on ${machine.cores} cores.

Command: \`${t.command}\``,
    };
  },
  'subject-memory': (m) => ({
    title: 'Memory per active subject',
    body: `Heap and ArrayBuffer growth per subject (after forced garbage collection) while ${fmt(m.subjects)} synthetic
phones are heard by ${m.receiversPerSubject} receivers each for ${m.spanS} s of 250 ms ticks (every 30 s
feature history full), ONNX classifier \`${m.model}\`; each layer on a fresh instance with the same
observations.

| tracker | feature state (30 s history, fit cache) | whole pipeline (tracker, features, journey state, zone cache) |
| --- | --- | --- |
| ${fmt(m.trackerBytesPerSubject)} B | ${fmt(m.featureHistoryBytesPerSubject)} B | ${fmt(m.pipelineBytesPerSubject)} B |

Command: \`${m.command}\``,
  }),
  'e2e-latency': (e) => ({
    title: 'End-to-end latency: observation into the gateway → staff websocket alert',
    body: `Real cloud (aedes on loopback, SQLite with \`synchronous=FULL\`) and real gateway (system clock,
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

Command: \`${e.command}\``,
  }),
  'simulator-generation': (g) => ({
    title: 'Simulator generation',
    body: `${g.durationMs / 3_600_000} h of the department store at ${g.shoppersPerHour} shoppers/hour: ${fmt(g.shoppers)} shoppers,
${fmt(g.observations)} observations (${g.traceMiB} MiB of NDJSON) in ${fmt(g.elapsedMs)} ms —
${fmt(g.observationsPerSecond)} observations/s.

Command: \`${g.command}\``,
  }),
  'outbox-append': (o) => ({
    title: 'Outbox append at depth',
    body: `One tick's append (one event) into an outbox holding nothing and into one holding
${fmt(o.full.depth)} unsent events at its cap, where each append also drops the oldest row and extends
the open gap record (an outage longer than the cap). ${fmt(o.appends)} appends each, 250 ms of clock
apart; times per append. The depth is a counter and the age bound reads through the created_at
index, so the append does not grow with the table (it scanned the table twice before: 306-417 ms
at 1 M rows).

| depth | p50 | p99 | max |
| --- | --- | --- | --- |
| ${fmt(o.empty.depth)} | ${us(o.empty.p50Us)} | ${us(o.empty.p99Us)} | ${us(o.empty.maxUs)} |
| ${fmt(o.full.depth)} (at the cap) | ${us(o.full.p50Us)} | ${us(o.full.p99Us)} | ${us(o.full.maxUs)} |

p50 at the cap / empty: ${o.ratioP50}×. The p99s are WAL checkpoints and a shared machine.

Command: \`${o.command}\``,
  }),
  'classifier-inference': (c) => ({
    title: 'Classifier inference cost per tick',
    body: `The pipeline calls its classifier once per 250 ms tick with every active subject's feature
window; the ONNX classifier packs them into one [batch, ${c.features}] tensor for a native run of the place
head (onnxruntime-node, intraOp threads 1, model \`${c.model}\`), then adds floor and zone estimates${
      c.zoneHead
        ? `
(zone-candidate rows and a second run, of the zone head, only for subjects with P(inside) ≥ 0.2; rows
reused while a subject's evidence is unchanged, which rotating batches of recorded windows rarely
allow, so this is the uncached cost — the throughput bench above has the real mix)`
        : ''
    }.
Inputs are ${fmt(c.windows)} real feature windows recorded from the gateway's own offline run over
${c.traceMinutes} min of the department store at ${c.shoppersPerHour} shoppers/hour, where a tick
carries ${c.subjectsPerTick.median} subjects at the median (p99 ${c.subjectsPerTick.p99}); batch 256 stands
for a large mall gateway. "native run only" times the session run on the packed tensor, without
the JS around it${c.zoneHead ? ' (the place head alone; the zone input gets one dummy row)' : ''}. p50 and p99 are per round, median over ${c.rounds} rounds; the worst round's p99
beside them. The machine was shared while measuring (load average ${c.loadAverage.join(', ')} on
${machine.cores} cores), which is what the p99s mostly show.

| classifier | batch | p50 per tick | p99 per tick | p50 per subject | p99 per subject | worst-round p99 per tick | CPU time p50 / p99 per tick | calls |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${c.series.map((x) => `| ${x.classifier} | ${x.batch} | ${us(x.p50Us)} | ${us(x.p99Us)} | ${us(x.perSubjectP50Us)} | ${us(x.perSubjectP99Us)} | ${us(x.worstRoundP99Us)} | ${x.cpuP50Us === undefined ? '–' : `${us(x.cpuP50Us)} / ${us(x.cpuP99Us)}`} | ${fmt(x.calls)} |`).join('\n')}

"CPU time" is the process's CPU time per call (\`process.cpuUsage\`, user + system, all threads:
garbage-collector helpers count): the work itself, without the time the scheduler gave the core to
other processes, which is what the wall-clock p99s on this shared machine mostly are.

Command: \`${c.command}\``,
  }),
};

const cloudNames = {
  'bare-aedes': 'bare aedes (relay and ack only: no login, validation or storage)',
  embedded: 'embedded default (aedes + SQLite)',
  'postgres+mosquitto': 'one node on PostgreSQL + Mosquitto 2',
};
/** The embedded default as a ratio of bare aedes in the same run, and the warm reconnect (decision 181). */
const cloudRatios = (c) => {
  const bare = c.configurations.find((x) => x.name === 'bare-aedes');
  const emb = c.configurations.find((x) => x.name === 'embedded');
  if (!bare || !emb) return '';
  return `Embedded / bare aedes, burst acked/s: **${(emb.burst.ackedPerSecond / bare.burst.ackedPerSecond).toFixed(2)}×**. "connect" is the first
connect of the run; the steady load connects again with logins remembered (decision 181):
${fmt(emb.steady.connectMs)} ms embedded against ${fmt(bare.steady.connectMs)} ms bare aedes.

`;
};
sections['cloud-ingest'] = (c) => ({
  title: 'Cloud ingest: embedded default vs PostgreSQL + Mosquitto',
  body: `\`storesense-sim fleet\` in its own process drives ${fmt(c.gateways)} gateway connections, each with its own
account, publishing QoS 1 events; the cloud (in the benchmark's process) validates, stores, runs the
rules and acks each event on the gateway's ack topic. Embedded: aedes and SQLite in the cloud's
process. PostgreSQL + Mosquitto: a fresh schema on the machine's PostgreSQL, a private Mosquitto
2.0 with the dynamic-security plugin written by \`broker-config\`, gateways enrolled live through
the cloud, ingest on a shared subscription with \`STORESENSE_BROKER_CONCURRENCY=${c.brokerConcurrency}\`. The configurations alternate. **Burst**: ${fmt(c.burst)}
events offered at once; events/s stored (first to last stored) and acked (first publish to last
ack) is the ceiling, and publish→ack there is mostly queueing. **Steady**: ${fmt(c.rate)} events/s
for ${c.seconds} s (half the lower ceiling) for publish→ack below it. "connect" is the time to
connect all gateways (a password check per CONNECT: scrypt on the embedded broker, the plugin's
PBKDF2 on Mosquitto); "offered/s" is how fast the fleet itself handed the burst to its client,
which bounds what can be measured on a busy machine.

| configuration | connect | burst: offered/s | stored/s | acked/s | publish→ack p50 / p99 | steady: acked/s | publish→ack p50 | p99 | max | unacked |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${c.configurations.map((x) => `| ${cloudNames[x.name] ?? x.name} | ${fmt(x.burst.connectMs)} ms | ${fmt(x.burst.sentPerSecond)} | ${fmt(x.burst.storedPerSecond)} | ${fmt(x.burst.ackedPerSecond)} | ${fmt(Math.round(x.burst.ackP50Ms))} / ${fmt(Math.round(x.burst.ackP99Ms))} ms | ${fmt(x.steady.ackedPerSecond)} | ${fmt(Math.round(x.steady.ackP50Ms))} ms | ${fmt(Math.round(x.steady.ackP99Ms))} ms | ${fmt(Math.round(x.steady.ackMaxMs))} ms | ${x.burst.unacked + x.steady.unacked} |`).join('\n')}

${cloudRatios(c)}Load average while measuring: ${c.loadAverage.join(', ')} on ${machine.cores} cores (the machine is shared; ratios
matter more than absolute values).

Command: \`${c.command}\``,
});
const analyticsSection = (a) => {
  const ms = (x) => (x === undefined ? '–' : x >= 1000 ? `${fmt(Math.round(x))} ms` : `${x} ms`);
  const rows = a.routes
    .map(
      (r) =>
        `| ${r.route} | ${r.days} | ${ms(r.beforeMs)} | ${ms(r.afterMs)} | ${r.beforeMs ? `${fmt(Math.round(r.beforeMs / Math.max(r.afterMs, 0.1)))}×` : '–'} | ${ms(r.beforeStallMs)} / ${ms(r.afterStallMs)} | ${r.sameFigures === undefined ? '–' : r.sameFigures ? 'yes' : '**no**'} |`,
    )
    .join('\n');
  return {
    title: `Analytics at scale: ${a.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    body: `${fmt(a.events)} events over ${a.days} days of ${a.stores} stores in one site (Asia/Shanghai), about 5.2 per
visit (approach, re-detected once in ten; arrival for six in ten, then one to three zone dwells,
floor changes, purchases, an exit), written straight into the events table (${a.loadS} s), then rolled
up by the store's backfill at open (${a.backfillS} s, decision 120). Each analytics call over the last
7 and ${a.days} days, from the rollups ("after", median of 3) and from the raw events as before the
rollups ("before", \`rollups: false\`, once); "stall" is the longest event-loop block during the call
(ingest waits that long). "same" compares the two answers.

| route | days | before | after | speed-up | stall before / after | same |
| --- | --- | --- | --- | --- | --- | --- |
${rows}

Peak RSS: ${fmt(a.peakRssAfterMiB)} MiB after the rollup calls${a.peakRssBeforeMiB ? `, ${fmt(a.peakRssBeforeMiB)} MiB after the raw ones` : ''} (the load runs in the same process).
Health's database work (\`counts()\`): ${fmt(a.healthCountsPerSecond.before)}/s with the \`count(*)\` statements it ran
before, ${fmt(a.healthCountsPerSecond.after)}/s from the maintained counters (decision 121). Listing a site with
no events: ${ms(a.emptySiteListingMs.before)} before, ${ms(a.emptySiteListingMs.after)} now.

Command: \`${a.command}\``,
  };
};
sections['analytics-sqlite'] = analyticsSection;
sections['analytics-postgres'] = analyticsSection;
const OPT_IN_TITLES = ['Analytics at scale: SQLite', 'Analytics at scale: PostgreSQL'];

sections['staff-fanout'] = (f) => ({
  title: 'Staff websocket fan-out: cloud vs bare ws',
  body: `C staff sockets (clients in a child process) receive ${f.rate} alerts/s for ${f.seconds} s. Cloud: the embedded
default's \`/api/v1/alerts/ws\`, each alert raised the real way (a consenting member's arrival
ingested in-process: stored, rules, alert stored, hub fan-out), latency from handing the event to
ingest to the client's receipt. Bare ws: a \`ws\` server writing a frame of similar size to every
client, latency from the start of the broadcast. The two alternate per client count; RSS is the
server process's after each (bare ws first).

| clients | bare ws: p50 / p99 / max | delivered | cloud: p50 / p99 / max | delivered | server RSS (bare / cloud) |
| --- | --- | --- | --- | --- | --- |
${f.results.map((r) => `| ${fmt(r.clients)} | ${fmt(r.bareWs.p50Ms)} / ${fmt(r.bareWs.p99Ms)} / ${fmt(r.bareWs.maxMs)} ms | ${fmt(r.bareWs.received)} of ${fmt(r.bareWs.expected)} | ${fmt(r.cloud.p50Ms)} / ${fmt(r.cloud.p99Ms)} / ${fmt(r.cloud.maxMs)} ms | ${fmt(r.cloud.received)} of ${fmt(r.cloud.expected)} | ${fmt(r.bareWs.rssMiB)} / ${fmt(r.cloud.rssMiB)} MiB |`).join('\n')}

Load average while measuring: ${f.loadAverage.join(', ')} on ${machine.cores} cores.

Command: \`${f.command}\``,
});

const render = (id) => {
  const { title, body } = sections[id](results[allBenches.find((b) => b.id === id).name]);
  return { title, text: `## ${title}\n\n${body}\n\n${measured}\n` };
};
const header = `# Benchmarks

Measured by \`npm run bench\` (\`scripts/bench.js\`), which rewrites this file (\`npm run bench -- --only
<id>\` reruns one benchmark and replaces its section). The machine is shared
and noisy (${machine.cores} cores): figures are medians over repeated runs where it says so, and
ratios matter more than absolute values.

| | |
| --- | --- |
| machine | ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB |
| Node | ${machine.node} |
| commit | ${machine.commit}${only ? ' (last full run: see each section)' : ''} |
| date | ${machine.date} |
`;
const docPath = join(root, 'docs/benchmarks.md');
let md;
if (!only) {
  md = [
    header,
    ...[
      'gateway-throughput',
      'subject-memory',
      'e2e-latency',
      'simulator-generation',
      'classifier-inference',
      'outbox-append',
      'cloud-ingest',
      'staff-fanout',
    ].map((id) => render(id).text),
    // Opt-in sections are not rerun by a full run: keep the ones measured earlier.
    ...(existsSync(docPath) ? readFileSync(docPath, 'utf8').split(/^(?=## )/m) : []).filter((p) => OPT_IN_TITLES.some((t) => p.startsWith(`## ${t}\n`))),
  ].join('\n');
} else {
  // Split the existing file at its `## ` headings, replace (or append) the sections rerun.
  const existing = existsSync(docPath) ? readFileSync(docPath, 'utf8') : header;
  const parts = existing.split(/^(?=## )/m);
  for (const b of benches) {
    const { title, text } = render(b.id);
    const i = parts.findIndex((p) => p.startsWith(`## ${title}\n`));
    if (i >= 0) parts[i] = i === parts.length - 1 ? text : `${text}\n`;
    else parts.push(`${parts[parts.length - 1].endsWith('\n\n') ? '' : '\n'}${text}`);
  }
  md = parts.join('');
}
writeFileSync(docPath, md);
process.stdout.write('docs/benchmarks.md written\n');
