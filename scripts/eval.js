#!/usr/bin/env node
// `npm run eval`: journey-event accuracy of the rules baseline and the ONNX model on simulator traces
// of every shipped site (the held-out one too) and of random sites of every family (held-out
// families included), at each realism level (default, harsh, staff phones by the door), plus the
// WiFi occupancy score (scripts/eval.occupancy.js, when present) and the UJIIndoorLoc fingerprint
// figures; writes docs/accuracy.md (rewritten on every run).
//   node scripts/eval.js [--seeds 101,102,103] [--family-seeds 101] [--site-seeds 9001,9002]
//                        [--duration 30m] [--jobs 2] [--out docs/accuracy.md] [--traces-only]
// Traces are cached in data/eval/ (gitignored), keyed by site file, realism level and simulator
// build, so a simulator change regenerates them. Evaluations run as `storesense-sim evaluate --json`
// child processes, at most --jobs at a time (2 cores here). Progress on a TTY; quiet when piped.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { buildCases, STAFF_SPEC } from './eval.cases.js';
import { renderAccuracy } from './eval.report.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SIM = 'simulators/dist/cli.js';
const FINGERPRINT = 'gateway/dist/fingerprint/fingerprint.cli.js';
const UJI_DIR = resolve(root, '../shared/datasets/ujiindoorloc');

const USAGE = `Usage: node scripts/eval.js [--seeds 101,102,103] [--family-seeds 101] [--site-seeds 9001,9002] [--duration 30m] [--jobs 2] [--out docs/accuracy.md] [--traces-only]
  --traces-only   generate (cache) the traces and stop: nothing is evaluated or written`;
let values;
try {
  ({ values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '101,102,103' },
      'family-seeds': { type: 'string', default: '101' },
      'site-seeds': { type: 'string' },
      duration: { type: 'string', default: '30m' },
      jobs: { type: 'string', default: '2' },
      out: { type: 'string', default: 'docs/accuracy.md' },
      'traces-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  process.stderr.write(`eval: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const intList = (flag, text) => {
  const xs = text.split(',').map(Number);
  if (xs.length === 0 || xs.some((s) => !Number.isInteger(s) || s < 0)) {
    process.stderr.write(`eval: bad --${flag} "${text}"\n${USAGE}\n`);
    process.exit(2);
  }
  return xs;
};
const seeds = intList('seeds', values.seeds);
const familySeeds = intList('family-seeds', values['family-seeds']);
const jobs = Math.max(1, Number(values.jobs) || 1);
const started = Date.now();
const tty = process.stderr.isTTY === true;
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
/** A status line rewritten in place on a TTY; nothing when piped (the report says it all). */
const progress = (m) => {
  if (tty) process.stderr.write(`\r\x1b[2K[eval ${elapsed()}] ${m}`);
};
/** Always printed: failures and the closing line (above a bar, which redraws on its next update). */
const say = (m) => process.stderr.write(`${tty ? '\r\x1b[2K' : ''}[eval ${elapsed()}] ${m}\n`);
// The shared progress bar (decision 145): one per phase (traces, evaluations), on a TTY only.
const { createProgress } = await import(pathToFileURL(join(root, 'protocol/dist/cli-progress.js')).href);

// The same lists and model path the packages use: the shipped example sites (training defaults to
// some of them), the held-out ones, and the model `--classifier onnx` loads by default.
const paths = await import(pathToFileURL(join(root, 'firmware-config/dist/paths.js')).href);
const fc = await import(pathToFileURL(join(root, 'firmware-config/dist/index.js')).href);
const { DEFAULT_MODEL_PATH } = await import(pathToFileURL(join(root, 'gateway/dist/classify/create-classifier.js')).href);
const model = relative(root, DEFAULT_MODEL_PATH);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const modelBytes = readFileSync(DEFAULT_MODEL_PATH);
const modelSha = sha256(modelBytes);

/** What the model card says it was trained on (sites and seeds), to label the tables honestly. */
function trainingScope() {
  const card = join(dirname(DEFAULT_MODEL_PATH), 'MODEL_CARD.md');
  const text = existsSync(card) ? readFileSync(card, 'utf8') : '';
  const m = /sites ([^\n]+?), training seeds (\d[\d-]*(?:,\d[\d-]*)*)/.exec(text);
  // "boutique+dept-store", or a longer description; only names of example sites matter here.
  const names = m
    ? m[1]
        .split(/[+, ]+/)
        .map((x) => x.replace(/[`*]/g, ''))
        .filter(Boolean)
    : [];
  return m
    ? { sites: names.filter((n) => [...paths.EXAMPLE_SITES, ...(paths.HELD_OUT_SITES ?? [])].includes(n)), described: m[1], seeds: m[2] }
    : { sites: [], seeds: 'unknown' };
}
const scope = trainingScope();

/** The model's training domain: its ONNX metadata, else the .domain.json beside it (decision 61). */
async function modelDomain() {
  const { onnxMetadata } = await import(pathToFileURL(join(root, 'gateway/dist/model/onnx-export.js')).href);
  const text = onnxMetadata(modelBytes)[fc.TRAINING_DOMAIN_METADATA_KEY];
  if (text) return { domain: fc.parseTrainingDomain(text, 'model metadata'), source: 'model metadata' };
  const sidecar = DEFAULT_MODEL_PATH.replace(/\.onnx$/, '.domain.json');
  if (existsSync(sidecar)) return { domain: fc.parseTrainingDomain(readFileSync(sidecar, 'utf8'), sidecar), source: relative(root, sidecar) };
  return undefined;
}
const trained = await modelDomain();

/** Cache key: the simulator build (its dist JS), so stale traces are never reused. */
function simulatorHash() {
  const h = createHash('sha256');
  const dir = join(root, 'simulators/dist');
  const walk = (d) => {
    for (const f of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.js') && !f.name.includes('.test.')) h.update(relative(dir, p)).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}
const simHash = simulatorHash();
const cacheRoot = join(root, 'data/eval');
mkdirSync(cacheRoot, { recursive: true });

async function pool(tasks, limit, label) {
  const results = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const bar = createProgress({ label: `eval: ${label}`, total: tasks.length });
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
      bar.update(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  } finally {
    bar.stop();
  }
  return results;
}

progress('building the site list');
const built = await buildCases({
  root,
  paths,
  cacheRoot,
  seeds,
  familySeeds,
  siteSeeds: values['site-seeds'] ? intList('site-seeds', values['site-seeds']) : [...(paths.EVAL_RANDOM_SITE_SEEDS ?? [9001, 9002])],
  trainedSites: scope.sites,
  trainedFamilies: trained?.domain.families ?? [],
});
const { sites, levels } = built;

// Which sites the live gateway would run the model on (decision 62): eval scores the raw model
// everywhere, and says where the gateway would have switched to the rules.
for (const s of sites) {
  const loaded = fc.loadSiteFile(join(root, s.file));
  if (!loaded.ok) {
    // evaluate will fail on it too, and the report lists that failure; the domain stays unknown.
    s.domain = 'unknown';
    s.domainFindings = [];
    built.notes.push(`${s.file} is not a valid site: ${loaded.issues.slice(0, 3).join('; ')}`);
    continue;
  }
  const findings = trained ? fc.describeSite(loaded.value).flatMap(({ descriptor }) => fc.checkDomain(descriptor, trained.domain)) : undefined;
  s.domain = findings === undefined ? 'unknown' : findings.length === 0 ? 'inside' : 'outside';
  s.domainFindings = (findings ?? []).map((f) => f.message);
}

function traceDir(c) {
  const h = createHash('sha256')
    .update(simHash)
    .update(readFileSync(join(root, c.site.file)))
    .update(c.level.args.join(' '));
  if (c.level.hashFile) h.update(readFileSync(join(root, c.level.hashFile)));
  return join(cacheRoot, `${c.site.name}-${c.level.name}-s${c.seed}-${values.duration}-${h.digest('hex').slice(0, 10)}`);
}
const cases = built.cases.map((c) => ({ ...c, dir: traceDir(c) }));
// Drop traces of older simulator builds or site files (same site, level and seed, other key): never read again.
const keep = new Set(cases.map((c) => c.dir));
for (const c of cases) {
  const prefix = `${c.site.name}-${c.level.name}-s${c.seed}-${values.duration}-`;
  for (const old of readdirSync(cacheRoot).filter((f) => f.startsWith(prefix) && !keep.has(join(cacheRoot, f))))
    rmSync(join(cacheRoot, old), { recursive: true, force: true });
}
const generateArgs = (c, out) => [
  SIM,
  'generate',
  '--site',
  c.site.file,
  '--seed',
  String(c.seed),
  '--duration',
  values.duration,
  ...c.level.args,
  '--out',
  out,
];
let generated = 0;
const genFailures = new Map();
await pool(
  cases.map((c) => async () => {
    if (existsSync(join(c.dir, 'truth.ndjson'))) return;
    // Generate into a temporary directory and rename, so an interrupted run never leaves half a trace.
    const tmp = `${c.dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    try {
      await run(process.execPath, generateArgs(c, tmp), { cwd: root, maxBuffer: 1 << 24 });
      renameSync(tmp, c.dir);
      generated++;
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      const msg = String(err.stderr || err.message)
        .trim()
        .split('\n')[0];
      genFailures.set(c.dir, msg);
      say(`FAILED generate ${c.site.name} ${c.level.name} seed ${c.seed}: ${msg}`);
    }
  }),
  jobs,
  'traces',
);

if (values['traces-only']) {
  say(
    `${cases.length} traces ready in ${relative(root, cacheRoot)}/ (${generated} generated${genFailures.size ? `, ${genFailures.size} FAILED` : ''}); --traces-only: nothing evaluated`,
  );
  process.exit(genFailures.size > 0 ? 1 : 0);
}

const classifiers = [
  { name: 'rules', args: ['--classifier', 'rules'] },
  { name: 'onnx', args: ['--classifier', 'onnx', '--model', model] },
];
const evalStarted = Date.now();
const rowOf = (c, k) => ({
  site: c.site.name,
  family: c.site.family,
  kind: c.site.kind,
  heldOut: c.site.heldOut,
  level: c.level.name,
  seed: c.seed,
  classifier: k.name,
});
const rows = await pool(
  cases.flatMap((c) =>
    classifiers.map((k) => async () => {
      const args = [
        SIM,
        'evaluate',
        '--site',
        c.site.file,
        '--trace',
        relative(root, join(c.dir, 'trace.ndjson')),
        '--truth',
        relative(root, join(c.dir, 'truth.ndjson')),
        ...k.args,
        '--json',
      ];
      const command = `node ${args.join(' ')}`;
      if (genFailures.has(c.dir)) return { ...rowOf(c, k), command, error: `trace not generated: ${genFailures.get(c.dir)}` };
      try {
        const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 1 << 26 });
        return { ...rowOf(c, k), command, result: JSON.parse(stdout) };
      } catch (err) {
        const error = String(err.stderr || err.message)
          .trim()
          .split('\n')[0];
        say(`FAILED ${c.site.name} ${c.level.name} seed ${c.seed} ${k.name}: ${error}`);
        return { ...rowOf(c, k), command, error };
      }
    }),
  ),
  jobs,
  'evaluations',
);
const evalMs = Date.now() - evalStarted;

// WiFi occupancy (issue 10 item 7): scripts/eval.occupancy.js, when present, exports
//   evalOccupancy({ root, jobs, log }) -> Promise<{ ran: boolean, reason?: string, markdown: string,
//     targets?: { label: string, value: string, ok: boolean | null }[] }>
// and its markdown becomes the report's occupancy section, its targets rows of the targets table.
let occupancy;
const occupancyModule = join(root, 'scripts/eval.occupancy.js');
if (existsSync(occupancyModule)) {
  progress('WiFi occupancy');
  try {
    const { evalOccupancy } = await import(pathToFileURL(occupancyModule).href);
    occupancy = await evalOccupancy({ root, jobs, log: progress });
  } catch (err) {
    occupancy = { ran: false, reason: `scripts/eval.occupancy.js failed: ${String(err.message).split('\n')[0]}`, markdown: '' };
    say(`FAILED occupancy: ${occupancy.reason}`);
  }
} else {
  occupancy = { ran: false, reason: 'scripts/eval.occupancy.js is absent from this build', markdown: '' };
}

let uji;
if (existsSync(join(UJI_DIR, 'trainingData.csv')) && existsSync(join(UJI_DIR, 'validationData.csv'))) {
  progress('UJIIndoorLoc fingerprint');
  const args = [FINGERPRINT, '--train', join(UJI_DIR, 'trainingData.csv'), '--validate', join(UJI_DIR, 'validationData.csv'), '--json'];
  try {
    const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 1 << 24 });
    uji = {
      ran: true,
      result: JSON.parse(stdout),
      command: `node ${FINGERPRINT} --train ../shared/datasets/ujiindoorloc/trainingData.csv --validate ../shared/datasets/ujiindoorloc/validationData.csv --json`,
    };
  } catch (err) {
    uji = {
      ran: false,
      reason: `the fingerprint CLI failed: ${
        String(err.stderr || err.message)
          .trim()
          .split('\n')[0]
      }`,
    };
  }
} else {
  uji = { ran: false, reason: `${relative(root, UJI_DIR)} is absent on this machine` };
}

const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};
const dirty =
  git('status', '--porcelain', '--', 'gateway/src', 'gateway/model', 'simulators/src', 'simulators/scenarios', 'firmware-config/sites', 'scripts') !== '';
const totalMs = Date.now() - started;
const md = renderAccuracy({
  rows,
  generateCommands: cases.map((c) => `node ${generateArgs(c, relative(root, c.dir)).join(' ')}`),
  sites,
  levels: levels.map((l) => ({ name: l.name, args: l.args.join(' ') })),
  seeds,
  familySeeds,
  staffSpec: STAFF_SPEC,
  notes: built.notes,
  families: built.families,
  heldOutFamilies: { list: built.heldOutList, source: built.heldOutSource },
  trainedDomain: trained ? { source: trained.source, families: trained.domain.families, siteCount: trained.domain.siteCount } : undefined,
  duration: values.duration,
  jobs,
  model,
  modelSha,
  scope,
  occupancy,
  uji,
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  commit: `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' (with uncommitted changes under gateway/, simulators/, scripts/ or sites/)' : ''}`,
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  timing: { totalMs, evalMs, generated, cached: cases.length - generated - genFailures.size },
  cacheDir: relative(root, cacheRoot),
});
writeFileSync(resolve(root, values.out), md);
const failedRows = rows.filter((r) => r.error).length;
say(
  `${values.out} written: ${cases.length} traces (${generated} generated), ${rows.length} evaluations${failedRows ? `, ${failedRows} FAILED` : ''}, ${(totalMs / 1000).toFixed(0)} s`,
);
process.exitCode = failedRows > 0 ? 1 : 0;
