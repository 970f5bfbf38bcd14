#!/usr/bin/env node
/**
 * Scores (and tunes) the WiFi occupancy estimator on labelled probe captures: the pcap goes through
 * the gateway's own pcap/radiotap/probe parsers, ingest's pseudonymisation and the estimator; the
 * CSV's `occupancy` column is the truth, compared per 5-minute bin.
 *   node gateway/dist/occupancy/occupancy.cli.js score --pcap F --csv F [--settings JSON|@FILE] [--json]
 *   node gateway/dist/occupancy/occupancy.cli.js tune  --pcap F --csv F [--json]
 */
import { readFile } from 'node:fs/promises';
import { exitWhenFlushed } from '@storesense/protocol/cli';
import { captureObservations, parseTruthCsv, scoreCapture, truthPerMinute } from './occupancy.score.js';
import { occupancySettingsSchema, type OccupancySettingsInput } from './occupancy.settings.js';
import { createProgress } from '@storesense/protocol/progress';
import { tune } from './occupancy.tune.js';

const usage = `usage: occupancy.cli.js score --pcap FILE --csv FILE [--settings JSON|@FILE] [--json]
       occupancy.cli.js tune  --pcap FILE --csv FILE [--json]
score: MAE (persons), Pearson r and peak error per 5-minute bin against the CSV's occupancy column.
tune:  searches the settings grid on this one day and prints the best settings (use them with score --settings on other days).`;

interface Args {
  command: 'score' | 'tune';
  pcap: string;
  csv: string;
  settings?: string;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Args | { help: true } | string {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const command = argv[0];
  if (command !== 'score' && command !== 'tune') return `unknown command ${command ?? '(none)'}; try --help`;
  const a: Partial<Args> = { command, json: false };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--json') a.json = true;
    else if (flag === '--pcap' && value !== undefined) (a.pcap = value), i++;
    else if (flag === '--csv' && value !== undefined) (a.csv = value), i++;
    else if (flag === '--settings' && value !== undefined && command === 'score') (a.settings = value), i++;
    else return `unknown or incomplete argument: ${flag}; try --help`;
  }
  if (a.pcap === undefined || a.csv === undefined) return `${command} needs --pcap FILE and --csv FILE; try --help`;
  return a as Args;
}

async function readSettings(spec: string | undefined): Promise<OccupancySettingsInput | string> {
  if (spec === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(spec.startsWith('@') ? await readFile(spec.slice(1), 'utf8') : spec);
  } catch (err) {
    return `--settings is not JSON: ${(err as Error).message}`;
  }
  const r = occupancySettingsSchema.safeParse(raw);
  if (!r.success) return `--settings: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
  return raw as OccupancySettingsInput;
}

async function readInputs(a: Args): Promise<{ pcap: Uint8Array; csv: string } | string> {
  try {
    const [pcap, csv] = await Promise.all([readFile(a.pcap), readFile(a.csv, 'utf8')]);
    return { pcap, csv };
  } catch (err) {
    return (err as Error).message;
  }
}

const fmt = (x: number, d = 2) => x.toFixed(d);

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(`occupancy: ${args}\n`);
    return 2;
  }
  if ('help' in args) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const inputs = await readInputs(args);
  if (typeof inputs === 'string') {
    process.stderr.write(`occupancy: ${inputs}\n`);
    return 1;
  }
  if (args.command === 'tune') {
    const cap = captureObservations(inputs.pcap, 'occupancy-score');
    if (!cap.ok) return fail(`pcap: ${cap.reason}`);
    const truth = parseTruthCsv(inputs.csv);
    if (!truth.ok) return fail(truth.reason);
    // The shared bar (decision 145): on a terminal only.
    const bar = createProgress({ label: 'occupancy: tune', total: 1 });
    let r: ReturnType<typeof tune>;
    try {
      r = tune(cap.value.observations, truthPerMinute(truth.value, cap.value.frameAtMs), {}, (done, total) => {
        bar.setTotal(total);
        bar.update(done, 'settings tried');
      });
    } finally {
      bar.stop();
    }
    if (args.json) process.stdout.write(JSON.stringify({ best: r.best, score: r.bestScore, tried: r.tried.length }) + '\n');
    else
      process.stdout.write(
        `best settings ${JSON.stringify(r.best)}\non this day: MAE ${fmt(r.bestScore.maePersons)} persons, r ${fmt(r.bestScore.pearsonR, 3)}, peak error ${fmt(r.bestScore.peakErrorPersons, 1)} (${r.tried.length} settings tried)\n`,
      );
    return 0;
  }
  const settings = await readSettings(args.settings);
  if (typeof settings === 'string') return fail(settings);
  const r = scoreCapture(inputs.pcap, inputs.csv, settings);
  if (!r.ok) return fail(r.reason);
  const { pairs, ...score } = r.value;
  if (args.json) process.stdout.write(JSON.stringify({ ...score, settings }) + '\n');
  else
    process.stdout.write(
      `${score.frames} frames (${score.rejected} rejected), range gate ${fmt(score.gateDbm, 1)} dBm, ${score.bins} five-minute bins (${pairs.length})\n` +
        `MAE ${fmt(score.maePersons)} persons, Pearson r ${fmt(score.pearsonR, 3)}, peak error ${fmt(score.peakErrorPersons, 1)} (true peak ${fmt(score.truePeak, 1)}, estimated ${fmt(score.estimatedPeak, 1)})\n`,
    );
  return 0;
}

function fail(reason: string): number {
  process.stderr.write(`occupancy: ${reason}\n`);
  return 1;
}

main().then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    process.stderr.write(`occupancy: ${err instanceof Error ? err.message : String(err)}\n`);
    exitWhenFlushed(1);
  },
);
