import { UsageError, type CliIo } from './cli.shared.js';
import { generateCommand } from './cli.generate.js';
import { evaluateCommand } from './cli.evaluate.js';
import { recordCommand } from './cli.record.js';
import { replayCommand } from './cli.replay.js';
import { RANDOM_SITE_USAGE, randomSiteCommand } from './cli.random-site.js';
import { scenarioSchemaCommand } from './cli.scenario-schema.js';
import { fleetCommand } from './cli.fleet.js';

export type { CliIo } from './cli.shared.js';

const USAGE = `storesense-sim <command> [options]

  generate --site F --out DIR [--seed N] [--duration D] [--members CSV] [--start ISO]
           [--shoppers-per-hour N] [--member-share X] [--ble-share X] [--ble-rotation D]
           [--scenario member-visit --member ID | --scenario S] [--set PATH=VALUE ...] [--staff LIST]
      F: a site file, or an example name (boutique, dept-store). D: 90s, 10m, 2h, 1h30m, a unit always (default 10m).
      --scenario S: a scenario file (JSON: radio noise, advert intervals, address rotation, intent
        mix, routes, calibration error, ...) or a shipped preset (realistic, harsh, miscalibrated).
      --set PATH=VALUE: any scenario key, over the file (radio.shadowingSigmaDb=6, plan.crossShare=0.3,
        calibration.offsetErrorDb=6); VALUE is JSON or a string. The flags below win over both.
      --member-share defaults to 0.15, or 0 with --scenario (background traffic stays anonymous).
      --ble-share: share of background phones advertising BLE (default 1; the rest are BLE-silent).
      --ble-rotation D: anonymous phones change BLE address (subject) every D (default off; real: 15m).
      --staff LIST: staff/fixed devices in the first store, in the trace but never in the truth;
           one per comma, KIND:SPOTS with KIND phone (default), fixed or registered and SPOTS
           door, counter, stockroom joined by '+', e.g. --staff door,phone:counter+stockroom,fixed:counter
  replay   --trace F --to URL [--speed X] [--site-id S] [--gateway-id G] [--no-rebase]
           [--site F] [--members CSV] [--token-period D]
      URL: mqtt://host:port[?username=&password=] (publishes JSON arrays to the gateway's obs topic)
           http://host:port (POSTs NDJSON to /api/v1/observations)
      Rebasing (the default) re-derives member tokens for the new times with the members' keys
      (--members, default the demo CSV) and the token period (--site's, or --token-period, default 15m).
      --site also supplies the default --gateway-id (its first gateway).
  record   --from mqtt://host:port[?username=&password=] --site-id S --gateway-id G --out F [--duration D]
      Subscribes to the gateway's obs topic and writes a sorted trace file (until D or Ctrl-C).
  evaluate --site F --trace F --truth F [--gateway-id G] [--members CSV] [--events-out F]
           [--classifier rules|onnx] [--model F.onnx] [--auto-calibration on|off] [--json | --human]
      Runs the gateway pipeline offline over the trace and scores its events against the truth
      (a trace or truth whose header names another site than --site is refused):
      per event type precision, recall, F1, detection latency p50/p95; macro F1 (arrival, dwell,
      floor_change, exit), dwell-time error, floor-change accuracy, false exits per subject-hour.
      A detection matches the closest true event of the same subject and kind within a per-kind
      tolerance (arrival 10 s, dwell 20 s, floor_change 20 s, exit 30 s, ...). Loads the trace in memory.
      --classifier onnx runs the gateway's ONNX place model (--model, default the gateway's packaged one).
      --auto-calibration: the gateway learns receiver offsets from the traffic (default on; the
      JSON then carries the learned offsets under "calibration").
      --json prints one JSON object (byType, macroF1, ...); --human the text report. Default: the
      report on a terminal, JSON when piped.
  fleet    --gateways N --events-per-second R --to mqtt://host:port [--credentials FILE]
           [--duration 30s] [--count N] [--json]   (load generator; see storesense-sim fleet --help)
  scenario-schema [--out F]
      Prints (or writes) the JSON Schema of scenario files (simulators/scenarios/scenario.schema.json).
${RANDOM_SITE_USAGE}`;

/** Usage errors exit 2, runtime failures 1. */
const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  progress: process.stderr,
  stdoutIsTty: process.stdout.isTTY === true,
};

/**
 * Runs the CLI and resolves to the exit code (never throws).
 * @example process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // Its own usage, and one-line usage errors.
    if (command === 'fleet') return await fleetCommand(rest, io);
    // Every command answers --help with the usage (random-site has its own).
    if (command !== 'random-site' && (rest.includes('--help') || rest.includes('-h'))) {
      io.stdout(USAGE);
      return 0;
    }
    if (command === 'generate') return await generateCommand(rest, io);
    if (command === 'replay') return await replayCommand(rest, io);
    if (command === 'evaluate') return await evaluateCommand(rest, io);
    if (command === 'record') return await recordCommand(rest, io);
    if (command === 'random-site') return await randomSiteCommand(rest, io);
    if (command === 'scenario-schema') return scenarioSchemaCommand(rest, io);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`storesense-sim: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(`storesense-sim: ${(err as Error).message}\n`);
    return 1;
  }
}
