#!/usr/bin/env node
/**
 * Trains the ONNX journey model (place head + zone head) from simulator traces, with no Python:
 *   node gateway/dist/model/train.js [--site boutique --site dept-store | --site F]
 *     [--seeds 1-4] [--holdout 101] [--duration 30m] [--epochs 12] [--zone-epochs 6] [--seed 7]
 *     [--random kiosk,department,food-court,anchor] [--random-seeds 1-18] [--random-duration 10m]
 *     [--variants 0] [--train-site F] [--hidden 48,48] [--max-rows 60000]
 *     [--balance 0.5] [--decision JSON] [--no-zone] [--no-eval]
 * Random sites come from `storesense-sim random-site` (one 10-minute trace per site); families in
 * HELD_OUT_FAMILIES (model-holdout.ts) are refused, as are HELD_OUT_SITES.
 * 1. generates trace.ndjson + truth.ndjson per site and seed with the simulator CLI (cached in
 *    gateway/model/data/), 2. collects the gateway's own feature rows (runOffline) and zone
 *    candidate rows, labelled from the truth, 3. trains both MLPs, 4. exports one ONNX graph
 *    (gateway/model/journey-mlp.onnx) and checks onnxruntime against the TypeScript forward pass
 *    (1e-5), 5. scores held-out seeds (tick level, zone accuracy, and events through
 *    `storesense-sim evaluate` with rules vs onnx) into MODEL_CARD.md. The repository's
 *    docs/accuracy.md is written by `npm run eval`, not here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EXAMPLE_SITES,
  exampleSitePath,
  loadSiteFile,
  renderGatewayConfig,
  TRAINING_DOMAIN_METADATA_KEY,
  trainingDomainJson,
  trainingDomainOf,
  type ExampleSiteName,
  type GatewayConfig,
  type Site,
} from '@storesense/firmware-config';
import { parseTrace, parseTruth } from '@storesense/protocol';
import { siteContext } from '../classify/site-context.js';
import { collectFeatureRows, knownZone, labelRows, labelZoneRows, type LabelledRows, type ZoneRows } from './dataset.js';
import { predictBatch } from './mlp.js';
import { argmaxRows, fitPlaceModel, onnxVersusTs, tickMetrics, zoneAccuracy, type TickMetrics } from './train.core.js';
import { DECISION_METADATA_KEY, parseDecision } from '../classify/onnx.classifier.js';
import { writeModelCard, type EventComparison } from './model-card.js';
import { MODEL_DIR, SIM_CLI, seedList } from './model-paths.js';
import { exitWhenFlushed } from '@storesense/protocol/cli';
import { siteVariant, VARIANT_KINDS } from './site-variants.js';
import { assertNotHeldOut, HELD_OUT_FAMILIES } from './model-holdout.js';
import { randomSiteFiles } from './random-sites.js';
import { createProgress, type Progress } from '@storesense/protocol/progress';

interface SiteRef {
  name: string;
  path: string;
  config: GatewayConfig;
  site: Site;
  /** random-site family, when drawn from one. */
  family?: string;
  /** Trace seeds (default: the --seeds list). */
  seeds?: number[];
  /** Trace duration (default: --duration). */
  duration?: string;
}

/**
 * Training-only variants of `site` (site-variants.ts: calibration redrawn, inner receivers thinned
 * or gone), written into `dir` as site files so the simulator generates their traces.
 */
function variantRefs(site: SiteRef, count: number, seed: number, dir: string): SiteRef[] {
  const raw = JSON.parse(readFileSync(site.path, 'utf8')) as Parameters<typeof siteVariant>[0];
  const out: SiteRef[] = [];
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const kind = VARIANT_KINDS[i % VARIANT_KINDS.length]!;
    const v = siteVariant(raw, kind, seed * 1000 + i);
    const path = join(dir, `${site.name}-${kind}-${seed * 1000 + i}.site.json`);
    writeFileSync(path, `${JSON.stringify(v, null, 1)}\n`);
    out.push({ ...siteRef(path), name: `${site.name}-${kind}-${seed * 1000 + i}` });
  }
  return out;
}

function siteRef(arg: string): SiteRef {
  const path = (EXAMPLE_SITES as readonly string[]).includes(arg) ? exampleSitePath(arg as ExampleSiteName) : resolve(arg);
  const site = loadSiteFile(path);
  if (!site.ok) throw new Error(`invalid site ${arg}: ${site.error}`);
  const gw = site.value.gateways[0];
  if (!gw) throw new Error(`site ${arg} has no gateway`);
  const name = (EXAMPLE_SITES as readonly string[]).includes(arg) ? arg : site.value.id;
  return { name, path, config: renderGatewayConfig(site.value, gw.id), site: site.value };
}

/** Generates (once) and returns the trace directory for a site and seed. */
function traceDir(dataDir: string, site: SiteRef, seed: number, duration: string): string {
  const dir = join(dataDir, `${site.name}-s${seed}-${duration}`);
  if (!existsSync(join(dir, 'truth.ndjson'))) {
    execFileSync(process.execPath, [SIM_CLI, 'generate', '--site', site.path, '--seed', String(seed), '--duration', duration, '--out', dir], {
      // stderr piped: its own progress bar must not draw over ours; a failure carries it in the error.
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
  return dir;
}

function loadLabelled(site: SiteRef, dir: string, withZone: boolean): LabelledRows & { zone: ZoneRows | undefined } {
  const trace = parseTrace(readFileSync(join(dir, 'trace.ndjson'), 'utf8'));
  const truth = parseTruth(readFileSync(join(dir, 'truth.ndjson'), 'utf8'));
  if (!trace.ok || !truth.ok) throw new Error(`unreadable trace in ${dir}`);
  const rows = collectFeatureRows(site.config, trace.value.records, withZone ? knownZone(site.config, truth.value.records) : undefined);
  return { ...labelRows(site.config, rows, truth.value.records), zone: withZone ? labelZoneRows(site.config, rows, truth.value.records) : undefined };
}

/** `storesense-sim evaluate` on one held-out trace, rules or onnx. */
function evaluate(site: SiteRef, dir: string, model: string | undefined): Record<string, unknown> {
  const args = [SIM_CLI, 'evaluate', '--site', site.path, '--trace', join(dir, 'trace.ndjson'), '--truth', join(dir, 'truth.ndjson')];
  if (model !== undefined) args.push('--classifier', 'onnx', '--model', model);
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 })) as Record<string, unknown>;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      site: { type: 'string', multiple: true },
      seeds: { type: 'string', default: '1-4' },
      holdout: { type: 'string', default: '101' },
      duration: { type: 'string', default: '30m' },
      epochs: { type: 'string', default: '12' },
      seed: { type: 'string', default: '7' },
      balance: { type: 'string', default: '0.5' },
      'data-dir': { type: 'string', default: join(MODEL_DIR, 'data') },
      out: { type: 'string', default: join(MODEL_DIR, 'journey-mlp.onnx') },
      card: { type: 'string', default: join(MODEL_DIR, 'MODEL_CARD.md') },
      'no-eval': { type: 'boolean', default: false },
      // Place head only (zones then come from estimateZone, as with the rules).
      'no-zone': { type: 'boolean', default: false },
      'zone-epochs': { type: 'string', default: '6' },
      // Place head hidden layers and the per-class row cap (more layouts carry more to learn).
      hidden: { type: 'string', default: '48,48' },
      'max-rows': { type: 'string', default: '60000' },
      // Journey-machine decision settings chosen on validation seeds (tune-decision.js), stored in the model.
      decision: { type: 'string' },
      // Training-only variants per training site (calibration redrawn, receivers dropped): site-variants.ts.
      variants: { type: 'string', default: '0' },
      // Extra training sites (files) that are not scored as held-out (e.g. hand-made variants).
      'train-site': { type: 'string', multiple: true },
      // Random training sites: families (comma list; never HELD_OUT_FAMILIES), site seeds, trace length.
      random: { type: 'string', default: 'kiosk,department,food-court,anchor' },
      'random-seeds': { type: 'string', default: '1-18' },
      'random-duration': { type: 'string', default: '10m' },
    },
  });
  const sites = (values.site ?? ['boutique', 'dept-store']).map(siteRef);
  const trainSeeds = seedList(values.seeds);
  const holdoutSeeds = seedList(values.holdout);
  const overlap = trainSeeds.filter((s) => holdoutSeeds.includes(s));
  if (overlap.length > 0) throw new Error(`held-out seeds overlap training seeds: ${overlap.join(',')}`);
  const epochs = Number(values.epochs);
  const seed = Number(values.seed);
  mkdirSync(values['data-dir'], { recursive: true });
  // On a terminal a progress bar per phase (decision 145): per-item lines (rows per trace, each
  // epoch's loss) become the bar's note; the rest print above it. Piped: every line, no bar.
  let bar: Progress | undefined;
  const log = (m: string, perItem = false) => {
    if (bar?.enabled && perItem) return;
    process.stderr.write(`${bar?.enabled ? '\r\x1b[2K' : ''}${new Date().toISOString()} ${m}\n`);
  };

  const withZone = !values['no-zone'];
  const train: LabelledRows[] = [];
  const trainZone: ZoneRows[] = [];
  const variantCount = Number(values.variants);
  if (!Number.isInteger(variantCount) || variantCount < 0) throw new Error(`bad --variants "${values.variants}"`);
  for (const site of [...sites, ...(values['train-site'] ?? []).map(siteRef)]) assertNotHeldOut(site.path);
  const families = values.random === undefined ? [] : values.random.split(',').filter((f) => f !== '');
  // One trace per random site, its own seed: many layouts beat many traces of one layout.
  const randomSites = randomSiteFiles(values['data-dir'], families, seedList(values['random-seeds'])).map((r): SiteRef => {
    const ref = siteRef(r.path);
    return { ...ref, name: r.name, family: r.family, seeds: [Number(r.name.split('-').pop())], duration: values['random-duration'] };
  });
  const trainSites = [
    ...sites,
    ...(values['train-site'] ?? []).map(siteRef),
    ...(variantCount > 0 ? sites.flatMap((site) => variantRefs(site, variantCount, seed, join(values['data-dir'], 'variants'))) : []),
    ...randomSites,
  ];
  bar = createProgress({ label: 'train: traces', total: trainSites.reduce((n, site) => n + (site.seeds ?? trainSeeds).length, 0) });
  let loaded = 0;
  for (const site of trainSites) {
    for (const s of site.seeds ?? trainSeeds) {
      bar.update(loaded, `${site.name} seed ${s}`);
      const l = loadLabelled(site, traceDir(values['data-dir'], site, s, site.duration ?? values.duration), withZone);
      log(`train ${site.name} seed ${s}: ${l.rows} rows (${l.ignored} ignored)${l.zone ? `, ${l.zone.ticks} zone ticks` : ''}`, true);
      bar.update(++loaded, `${site.name} seed ${s}`);
      train.push(l);
      if (l.zone) trainZone.push(l.zone);
    }
  }
  bar.stop();
  const sitesNote = sites.map((s) => s.name).join('+');
  const variantsNote = `${variantCount} per site (${VARIANT_KINDS.join(', ')})${values['train-site'] ? `; extra training sites ${values['train-site'].length}` : ''}`;
  const balancePower = Number(values.balance);
  const decision = parseDecision(values.decision);
  const zoneEpochs = Number(values['zone-epochs']);
  // The training domain (firmware-config's descriptor, merged over every training site): the gateway
  // compares its own site with it at load.
  const domain = trainingDomainOf(trainSites.map((t) => ({ site: t.site, ...(t.family !== undefined ? { family: t.family } : {}) })));
  const hidden = values.hidden.split(',').map(Number);
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new Error(`bad --hidden "${values.hidden}"`);
  bar = createProgress({ label: 'train: epochs', total: epochs + (withZone ? zoneEpochs : 0) });
  let epochsDone = 0;
  const fitted = fitPlaceModel(
    train,
    {
      seed,
      epochs,
      balancePower,
      hidden,
      maxRowsPerClass: Number(values['max-rows']),
      ...(withZone ? { zone: trainZone, zoneEpochs } : {}),
      onEpoch: (e, loss) => {
        log(`epoch ${e + 1} loss ${loss.toFixed(4)}`, true);
        bar?.update(++epochsDone, `${epochsDone <= epochs ? 'place' : 'zone'} epoch ${e + 1} loss ${loss.toFixed(4)}`);
      },
    },
    {
      sites: sitesNote,
      train_seeds: values.seeds,
      trace_duration: values.duration,
      balance_power: String(balancePower),
      site_variants: variantsNote,
      random_sites:
        families.length === 0
          ? 'none'
          : `${families.join(',')} seeds ${values['random-seeds']} (${values['random-duration']} each); held-out families ${HELD_OUT_FAMILIES.join(',')}`,
      [TRAINING_DOMAIN_METADATA_KEY]: trainingDomainJson(domain).trim(),
      ...(decision ? { [DECISION_METADATA_KEY]: JSON.stringify(decision) } : {}),
    },
  );
  bar.stop();
  bar = undefined;
  writeFileSync(values.out, fitted.bytes);
  writeFileSync(values.out.replace(/\.onnx$/, '') + '.domain.json', trainingDomainJson(domain));
  log(`wrote ${values.out} (${fitted.bytes.length} bytes, ${fitted.trainRows} training rows, ${fitted.zoneTrainRows} zone pair rows)`);

  const tick: {
    site: string;
    seed: number;
    model: TickMetrics;
    rules: TickMetrics;
    maxDiff: number;
    zone?: { ticks: number; model: number; estimate: number };
  }[] = [];
  const events: EventComparison[] = [];
  let maxDiff = 0;
  bar = createProgress({ label: 'train: held-out', total: sites.length * holdoutSeeds.length });
  let heldOut = 0;
  for (const site of sites) {
    for (const s of holdoutSeeds) {
      bar.update(heldOut, `${site.name} seed ${s}`);
      const dir = traceDir(values['data-dir'], site, s, values.duration);
      const l = loadLabelled(site, dir, withZone);
      const diff = onnxVersusTs(fitted.bytes, fitted.mlp, siteContext(site.config), l.x, l.rows);
      maxDiff = Math.max(maxDiff, diff);
      const model = tickMetrics(l.y, argmaxRows(predictBatch(fitted.mlp, l.x, l.rows), l.rows));
      const rules = tickMetrics(l.y, l.rulesY);
      const zone = l.zone && fitted.zoneMlp ? zoneAccuracy(l.zone, fitted.zoneMlp) : undefined;
      tick.push({ site: site.name, seed: s, model, rules, maxDiff: diff, ...(zone ? { zone } : {}) });
      log(
        `held-out ${site.name} seed ${s}: tick macro-F1 model ${model.macroF1} rules ${rules.macroF1}; zone acc ${zone ? `model ${zone.model} estimateZone ${zone.estimate} (${zone.ticks} ticks)` : '-'}; onnx vs ts ${diff.toExponential(2)}`,
      );
      if (!values['no-eval']) {
        events.push({ site: site.name, seed: s, rules: evaluate(site, dir, undefined), onnx: evaluate(site, dir, resolve(values.out)) });
        log(`evaluated ${site.name} seed ${s}`, true);
      }
      bar.update(++heldOut, `${site.name} seed ${s}`);
    }
  }
  bar.stop();
  bar = undefined;
  if (maxDiff > 1e-5) {
    log(`onnxruntime and the TypeScript forward pass differ by ${maxDiff} (> 1e-5): refusing the model`);
    return 1;
  }
  const command = `node gateway/dist/model/train.js ${argv.map((a) => (/^[\w./:=,-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`.trim();
  writeModelCard(values.card, {
    command,
    decision,
    modelFile: values.out,
    bytes: fitted.bytes,
    balancePower,
    sites: sitesNote,
    extraData: `site variants ${variantsNote}; random sites ${families.length === 0 ? 'none' : `${families.join(', ')} seeds ${values['random-seeds']} (${values['random-duration']} each, one trace per site); held-out families ${HELD_OUT_FAMILIES.join(', ')}`}`,
    trainingDomain: domain,
    hidden,
    trainSeeds: values.seeds,
    holdoutSeeds: values.holdout,
    duration: values.duration,
    epochs,
    seed,
    trainRows: fitted.trainRows,
    zoneTrainRows: fitted.zoneTrainRows,
    classCounts: fitted.classCounts,
    maxDiff,
    tick,
    events,
  });
  log(`wrote ${values.card}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: Error & { code?: string }) => {
    process.stderr.write(`train: ${err.message}\n`);
    // A bad command line (node:util parseArgs) is a usage error: exit 2, as every CLI here.
    exitWhenFlushed(err.code?.startsWith('ERR_PARSE_ARGS_') ? 2 : 1);
  },
);
