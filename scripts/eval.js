#!/usr/bin/env node
// `npm run eval`: journey-event accuracy of the rules baseline and the ONNX model on held-out
// simulator traces of every shipped site plus the held-out site no model trains on, and the
// UJIIndoorLoc fingerprint figures; writes docs/accuracy.md (rewritten on every run).
//   node scripts/eval.js [--seeds 101,102,103] [--duration 30m] [--jobs 2] [--out docs/accuracy.md]
// Traces are cached in data/eval/ (gitignored), keyed by site file and simulator build, so a
// simulator change regenerates them. Evaluations run as `storesense-sim evaluate --json`
// child processes, at most --jobs at a time (2 cores here).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { renderAccuracy } from './eval.report.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SIM = 'simulators/dist/cli.js';
const FINGERPRINT = 'gateway/dist/fingerprint/fingerprint.cli.js';
const UJI_DIR = resolve(root, '../shared/datasets/ujiindoorloc');

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '101,102,103' },
    duration: { type: 'string', default: '30m' },
    jobs: { type: 'string', default: '2' },
    out: { type: 'string', default: 'docs/accuracy.md' },
  },
});
const seeds = values.seeds.split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`bad --seeds "${values.seeds}"`);
const jobs = Math.max(1, Number(values.jobs) || 1);
const started = Date.now();
const log = (m) => process.stderr.write(`[eval ${((Date.now() - started) / 1000).toFixed(1)} s] ${m}\n`);

// The same lists and model path the packages use: the shipped example sites (training defaults to
// some of them), the held-out ones, and the model `--classifier onnx` loads by default.
const paths = await import(pathToFileURL(join(root, 'firmware-config/dist/paths.js')).href);
const { DEFAULT_MODEL_PATH } = await import(pathToFileURL(join(root, 'gateway/dist/classify/create-classifier.js')).href);
const sites = [
  ...paths.EXAMPLE_SITES.map((name) => ({ name, heldOut: false })),
  ...(paths.HELD_OUT_SITES ?? []).map((name) => ({ name, heldOut: true })),
].map((s) => ({ ...s, file: relative(root, paths.exampleSitePath(s.name)) }));
const model = relative(root, DEFAULT_MODEL_PATH);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const modelSha = sha256(readFileSync(DEFAULT_MODEL_PATH));

/** What the model card says it was trained on (sites and seeds), to label the tables honestly. */
function trainingScope() {
  const card = join(dirname(DEFAULT_MODEL_PATH), 'MODEL_CARD.md');
  const text = existsSync(card) ? readFileSync(card, 'utf8') : '';
  const m = /sites ([\w+-]+), training seeds (\d[\d-]*(?:,\d[\d-]*)*)/.exec(text);
  return m ? { sites: m[1].split('+'), seeds: m[2] } : { sites: [], seeds: 'unknown' };
}
const scope = trainingScope();

/** Cache key: the simulator build (its dist JS) and the site file, so stale traces are never reused. */
function simulatorHash() {
  const h = createHash('sha256');
  const dir = join(root, 'simulators/dist');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.js') && !f.includes('.test.')).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}
const simHash = simulatorHash();
const cacheRoot = join(root, 'data/eval');

async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function traceDir(site, seed) {
  const key = sha256(Buffer.concat([Buffer.from(simHash), readFileSync(join(root, site.file))])).slice(0, 10);
  return join(cacheRoot, `${site.name}-s${seed}-${values.duration}-${key}`);
}

const cases = sites.flatMap((site) => seeds.map((seed) => ({ site, seed, dir: traceDir(site, seed) })));
mkdirSync(cacheRoot, { recursive: true });
// Drop traces of older simulator builds or site files (same site and seed, other key): never read again.
for (const c of cases) {
  const prefix = `${c.site.name}-s${c.seed}-${values.duration}-`;
  for (const old of readdirSync(cacheRoot).filter((f) => f.startsWith(prefix) && join(cacheRoot, f) !== c.dir)) rmSync(join(cacheRoot, old), { recursive: true, force: true });
}
let generated = 0;
await pool(
  cases.map((c) => async () => {
    if (existsSync(join(c.dir, 'truth.ndjson'))) return;
    // Generate into a temporary directory and rename, so an interrupted run never leaves half a trace.
    const tmp = `${c.dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await run(process.execPath, [SIM, 'generate', '--site', c.site.file, '--seed', String(c.seed), '--duration', values.duration, '--out', tmp], { cwd: root, maxBuffer: 1 << 24 });
    renameSync(tmp, c.dir);
    generated++;
    log(`generated ${c.site.name} seed ${c.seed}`);
  }),
  jobs,
);
log(`${cases.length} traces ready (${generated} generated, ${cases.length - generated} cached in ${relative(root, cacheRoot)}/)`);

const classifiers = [
  { name: 'rules', args: ['--classifier', 'rules'] },
  { name: 'onnx', args: ['--classifier', 'onnx', '--model', model] },
];
const evalStarted = Date.now();
const rows = await pool(
  cases.flatMap((c) =>
    classifiers.map((k) => async () => {
      const args = [SIM, 'evaluate', '--site', c.site.file, '--trace', relative(root, join(c.dir, 'trace.ndjson')), '--truth', relative(root, join(c.dir, 'truth.ndjson')), ...k.args, '--json'];
      try {
        const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 1 << 26 });
        log(`evaluated ${c.site.name} seed ${c.seed} ${k.name}`);
        return { site: c.site.name, heldOut: c.site.heldOut, seed: c.seed, classifier: k.name, command: `node ${args.join(' ')}`, result: JSON.parse(stdout) };
      } catch (err) {
        log(`FAILED ${c.site.name} seed ${c.seed} ${k.name}: ${err.stderr || err.message}`);
        return { site: c.site.name, heldOut: c.site.heldOut, seed: c.seed, classifier: k.name, command: `node ${args.join(' ')}`, error: String(err.stderr || err.message).trim().split('\n')[0] };
      }
    }),
  ),
  jobs,
);
const evalMs = Date.now() - evalStarted;

let uji;
if (existsSync(join(UJI_DIR, 'trainingData.csv')) && existsSync(join(UJI_DIR, 'validationData.csv'))) {
  const args = [FINGERPRINT, '--train', join(UJI_DIR, 'trainingData.csv'), '--validate', join(UJI_DIR, 'validationData.csv'), '--json'];
  try {
    const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 1 << 24 });
    uji = { ran: true, result: JSON.parse(stdout), command: `node ${FINGERPRINT} --train ../shared/datasets/ujiindoorloc/trainingData.csv --validate ../shared/datasets/ujiindoorloc/validationData.csv --json` };
    log('UJIIndoorLoc fingerprint evaluated');
  } catch (err) {
    uji = { ran: false, reason: `the fingerprint CLI failed: ${String(err.stderr || err.message).trim().split('\n')[0]}` };
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
const dirty = git('status', '--porcelain', '--', 'gateway/src', 'gateway/model', 'simulators/src', 'firmware-config/sites') !== '';
const totalMs = Date.now() - started;
const md = renderAccuracy({
  rows,
  generateCommands: cases.map((c) => `node ${SIM} generate --site ${c.site.file} --seed ${c.seed} --duration ${values.duration} --out ${relative(root, c.dir)}`),
  sites,
  seeds,
  duration: values.duration,
  jobs,
  model,
  modelSha,
  scope,
  uji,
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  commit: `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' (with uncommitted changes under gateway/, simulators/ or sites/)' : ''}`,
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  timing: { totalMs, evalMs, generated, cached: cases.length - generated },
  cacheDir: relative(root, cacheRoot),
});
writeFileSync(resolve(root, values.out), md);
log(`${values.out} written (total ${(totalMs / 1000).toFixed(1)} s)`);
process.exitCode = rows.some((r) => r.error) ? 1 : 0;
