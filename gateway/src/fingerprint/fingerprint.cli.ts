#!/usr/bin/env node
import { performance } from 'node:perf_hooks';
import { loadFingerprints, type FingerprintParseError } from './fingerprint.dataset.js';
import { evaluateFingerprintModel, trainFingerprintModel, type Distance } from './fingerprint.model.js';
import { exitWhenFlushed } from '@storesense/protocol/cli';

/**
 * Trains the building -> floor fingerprint model on one labelled file and reports accuracy on another:
 *   node gateway/dist/fingerprint/fingerprint.cli.js --train F --validate F [--json] [--k N] [--distance sorensen|euclidean]
 * Files: UJIIndoorLoc CSV (.csv) or our calibration-walk JSON lines (anything else).
 */

const usage = 'usage: fingerprint.cli.js --train FILE --validate FILE [--json] [--k N] [--distance sorensen|euclidean]';

interface Args {
  train: string;
  validate: string;
  json: boolean;
  k?: number;
  distance?: Distance;
}

function parseArgs(argv: readonly string[]): Args | string {
  const a: Partial<Args> = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--json') a.json = true;
    else if (flag === '--train' && value !== undefined) (a.train = value), i++;
    else if (flag === '--validate' && value !== undefined) (a.validate = value), i++;
    else if (flag === '--k' && value !== undefined && /^[1-9]\d*$/.test(value)) (a.k = Number(value)), i++;
    else if (flag === '--distance' && (value === 'sorensen' || value === 'euclidean')) (a.distance = value), i++;
    else return `unknown or incomplete argument: ${flag}\n${usage}`;
  }
  if (a.train === undefined || a.validate === undefined) return usage;
  return a as Args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(args + '\n');
    return 2;
  }
  const t0 = performance.now();
  // A garbled line in a calibration walk is reported and skipped, not fatal (first 10 shown).
  let badRows = 0;
  const onBadRow = (file: string) => (e: FingerprintParseError) => {
    if (++badRows <= 10) process.stderr.write(`skipped ${file} ${e.message}\n`);
  };
  const [train, validate] = await Promise.all([loadFingerprints(args.train, onBadRow(args.train)), loadFingerprints(args.validate, onBadRow(args.validate))]);
  const t1 = performance.now();
  const model = trainFingerprintModel(train, {
    ...(args.k === undefined ? {} : { kBuilding: args.k, kFloor: args.k }),
    ...(args.distance === undefined ? {} : { distance: args.distance }),
  });
  const accuracy = evaluateFingerprintModel(model, validate);
  const t2 = performance.now();
  const report = {
    train: { path: args.train, rows: train.length, receivers: model.receiverIds.length },
    validate: { path: args.validate, rows: validate.length },
    badRows,
    method: { kind: 'knn', ...model.options },
    ...accuracy,
    elapsedMs: { load: Math.round(t1 - t0), trainAndEvaluate: Math.round(t2 - t1), total: Math.round(t2 - t0) },
  };
  if (args.json) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
    process.stdout.write(
      [
        `train ${train.length} rows (${model.receiverIds.length} receivers), validate ${validate.length} rows`,
        `method: k-NN k=${model.options.kBuilding}/${model.options.kFloor}, ${model.options.distance}, ${model.options.preprocessing.representation}`,
        `building accuracy        ${pct(accuracy.buildingAccuracy)}`,
        `floor accuracy           ${pct(accuracy.floorAccuracy)}`,
        `building+floor accuracy  ${pct(accuracy.buildingFloorAccuracy)}`,
        ...(accuracy.zoneAccuracy === undefined ? [] : [`zone accuracy            ${pct(accuracy.zoneAccuracy)}`]),
        `elapsed ${(report.elapsedMs.total / 1000).toFixed(1)} s (load ${(report.elapsedMs.load / 1000).toFixed(1)} s)`,
      ].join('\n') + '\n',
    );
  }
  return 0;
}

main().then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    process.stderr.write(`fingerprint: ${err instanceof Error ? err.message : String(err)}\n`);
    exitWhenFlushed(1);
  },
);
