#!/usr/bin/env node
/**
 * storesense-site: validate a site file, render one gateway's config from it, print the JSON Schema.
 * Exit codes: 0 ok, 1 invalid input (site errors, unknown gateway), 2 bad usage.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { esp32NodesToEnv, esp32NodesToMqttCommands, Esp32RenderError, renderEsp32Nodes, type Esp32RenderOptions } from './esp32.render.js';
import { withDefaultDeployment } from './gateway-config.defaults.js';
import { GatewayConfigError, renderGatewayConfig, type GatewayConfigOverrides } from './gateway-config.render.js';
import { loadSiteFile } from './site.loader.js';
import { siteJsonSchemaText } from './site.json-schema.js';
import { findUnknownKeys, lintSite } from './site.lint.js';
import { checkDomain, parseTrainingDomain, trainingDomainJson } from './site.domain.check.js';
import { describeSite, trainingDomainOf, type TrainingDomain } from './site.domain.js';
import type { Site } from './site.schema.js';

const USAGE = `Usage: storesense-site <command> [options]

Commands:
  validate <site.json> [--strict]      check a site file; prints a summary or every error with its path,
                                       and warnings (unknown keys, odd geometry, unwired devices);
                                       --strict makes warnings fail too
  render <site.json> --gateway <id>    print the config of one gateway (JSON): the sources its receivers
                                       and terminals call for (ble, wifi_probe, espresense,
                                       http_observations), a status API on 127.0.0.1:8081, no
                                       recording; what is left to set up is said on stderr
      [--mqtt-url <url>]               broker URL (default mqtt://127.0.0.1:1883)
      [--data-dir <dir>]               gateway data directory (outbox)
      [--out <file>]                   write to a file instead of stdout
  render <site.json> --esp32           print the settings of each ESPresense node (receivers of kind
                                       "espresense") and the gateway's matching espresense source
      [--receiver <id>]                only this receiver
      [--gateway <id>]                 only this gateway's receivers
      [--format json|env|mqtt]         json (default), KEY=value blocks, or mosquitto_pub commands
      [--mqtt-url <url>]               the broker the nodes publish to (default mqtt://gateway.local:1883)
      [--mqtt-user <user>]             broker user for the nodes
      [--mqtt-password-env <NAME>]     rendered as \${NAME}; the password itself is never rendered
      [--include <prefixes>]           ESPresense include filter (default: report every device)
      [--max-distance <m>]             override the distance derived from calibration
      [--out <file>]
  lint <site.json>                     the warnings of validate, and per gateway what lies outside a
      [--model-domain <F.domain.json>]  model's training domain (written beside the model, e.g.
                                       gateway/model/journey-mlp.domain.json); the gateway runs the
                                       rules instead of such a model there
      [--json] [--strict]              machine-readable output; --strict fails on any warning or finding
  domain <site.json>... [--out <file>] the training domain of these sites (every gateway, merged) as JSON
      [--family <name>]                label them with a site family
  schema [--out <file>]                print the JSON Schema of site files

Options:
  -h, --help                           show this help

Exit codes: 0 ok, 1 invalid site or unknown gateway, 2 bad usage.
Example: storesense-site render sites/dept-store.site.json --gateway gw-dept-1 --mqtt-url mqtt://cloud:1883
`;

class UsageError extends Error {}

/** Options that only `render --esp32` takes. */
const ESP32_OPTIONS = ['esp32', 'receiver', 'format', 'mqtt-user', 'mqtt-password-env', 'include', 'max-distance'] as const;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export function runCli(argv: string[], io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): number {
  try {
    return dispatch(argv, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.err(`storesense-site: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof Esp32RenderError) {
      io.err(`storesense-site: ${err.issues.length} error(s)\n${err.issues.map((i) => `  ${i}\n`).join('')}`);
      return 1;
    }
    if (err instanceof GatewayConfigError) {
      io.err(`storesense-site: ${err.message}\n`);
      return 1;
    }
    io.err(`storesense-site: ${(err as Error).message}\n`);
    return 1;
  }
}

function dispatch(argv: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      gateway: { type: 'string', short: 'g' },
      'mqtt-url': { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string', short: 'o' },
      strict: { type: 'boolean' },
      esp32: { type: 'boolean' },
      receiver: { type: 'string' },
      format: { type: 'string' },
      'mqtt-user': { type: 'string' },
      'mqtt-password-env': { type: 'string' },
      include: { type: 'string' },
      'max-distance': { type: 'string' },
      'model-domain': { type: 'string' },
      json: { type: 'boolean' },
      family: { type: 'string' },
    },
  });
  const [command, ...args] = positionals;
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const expectArgs = (n: number, what: string) => {
    if (args.length !== n) throw new UsageError(`${command} expects ${what}`);
  };
  const rejectOptions = (...names: (keyof typeof values)[]) => {
    for (const n of names) if (values[n] !== undefined) throw new UsageError(`--${n} is not an option of ${command}`);
  };
  switch (command) {
    case 'validate': {
      expectArgs(1, 'one site file');
      rejectOptions('gateway', 'mqtt-url', 'data-dir', 'out', 'model-domain', 'json', 'family', ...ESP32_OPTIONS);
      const site = load(args[0]!, io);
      if (site === undefined) return 1;
      const warnings = [...findUnknownKeys(readJson(args[0]!)), ...lintSite(site)];
      if (warnings.length > 0) io.err(`${warnings.length} warning(s)\n${warnings.map((w) => `  warning: ${w}\n`).join('')}`);
      if (values.strict === true && warnings.length > 0) {
        io.err(`INVALID ${args[0]}: warnings are errors with --strict\n`);
        return 1;
      }
      io.out(`OK ${args[0]}: ${summary(site)}\n`);
      return 0;
    }
    case 'render': {
      expectArgs(1, 'one site file');
      rejectOptions('strict', 'model-domain', 'json', 'family');
      if (values.esp32 === true) {
        rejectOptions('data-dir');
        const format = values.format ?? 'json';
        if (format !== 'json' && format !== 'env' && format !== 'mqtt') throw new UsageError(`--format must be json, env or mqtt, got "${format}"`);
        const site = load(args[0]!, io);
        if (site === undefined) return 1;
        const opts: Esp32RenderOptions = {};
        if (values['mqtt-url'] !== undefined) opts.mqttUrl = values['mqtt-url'];
        if (values['mqtt-user'] !== undefined) opts.mqttUser = values['mqtt-user'];
        if (values['mqtt-password-env'] !== undefined) opts.mqttPasswordEnv = values['mqtt-password-env'];
        if (values.receiver !== undefined) opts.receiverId = values.receiver;
        if (values.gateway !== undefined) opts.gatewayId = values.gateway;
        if (values.include !== undefined) opts.include = values.include;
        if (values['max-distance'] !== undefined) opts.maxDistanceM = Number(values['max-distance']);
        const render = renderEsp32Nodes(site, opts);
        const text = format === 'json' ? `${JSON.stringify(render, null, 2)}\n` : format === 'env' ? esp32NodesToEnv(render) : esp32NodesToMqttCommands(render);
        emit(text, values.out, io);
        return 0;
      }
      rejectOptions(...ESP32_OPTIONS);
      if (values.gateway === undefined) throw new UsageError('render needs --gateway <id>');
      const site = load(args[0]!, io);
      if (site === undefined) return 1;
      const overrides: GatewayConfigOverrides = {};
      if (values['mqtt-url'] !== undefined) overrides.mqtt = { url: values['mqtt-url'] };
      if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
      const deployment = withDefaultDeployment(site, values.gateway, overrides);
      const config = renderGatewayConfig(site, values.gateway, deployment.overrides);
      emit(`${JSON.stringify(config, null, 2)}\n`, values.out, io);
      for (const note of deployment.notes) io.err(`note: ${note}\n`);
      return 0;
    }
    case 'lint': {
      expectArgs(1, 'one site file');
      rejectOptions('gateway', 'mqtt-url', 'data-dir', 'out', 'family', ...ESP32_OPTIONS);
      const domain = values['model-domain'] === undefined ? undefined : readDomain(values['model-domain']);
      const site = load(args[0]!, io);
      if (site === undefined) return 1;
      return lint(args[0]!, site, domain, values, io);
    }
    case 'domain': {
      if (args.length === 0) throw new UsageError('domain expects one or more site files');
      rejectOptions('gateway', 'mqtt-url', 'data-dir', 'strict', 'model-domain', 'json', ...ESP32_OPTIONS);
      const sites: Site[] = [];
      for (const path of args) {
        const site = load(path, io);
        if (site === undefined) return 1;
        sites.push(site);
      }
      const family = values.family;
      emit(trainingDomainJson(trainingDomainOf(sites.map((site) => ({ site, ...(family !== undefined ? { family } : {}) })))), values.out, io);
      return 0;
    }
    case 'schema': {
      expectArgs(0, 'no arguments');
      rejectOptions('gateway', 'mqtt-url', 'data-dir', 'strict', 'model-domain', 'json', 'family', ...ESP32_OPTIONS);
      emit(siteJsonSchemaText(), values.out, io);
      return 0;
    }
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Reads a `.domain.json` file; a missing or invalid one is an input error (exit 1) naming the file. */
function readDomain(path: string): { path: string; domain: TrainingDomain } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --model-domain ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { path, domain: parseTrainingDomain(text, `--model-domain ${path}`) };
}

function lint(
  file: string,
  site: Site,
  model: { path: string; domain: TrainingDomain } | undefined,
  opts: { json?: boolean; strict?: boolean },
  io: Io,
): number {
  const warnings = [...findUnknownKeys(readJson(file)), ...lintSite(site)];
  const gateways = describeSite(site).map(({ gatewayId, descriptor }) => ({
    gatewayId,
    descriptor,
    findings: model === undefined ? undefined : checkDomain(descriptor, model.domain),
  }));
  const findings = gateways.reduce((n, g) => n + (g.findings?.length ?? 0), 0);
  if (opts.json === true) {
    io.out(`${JSON.stringify({ site: site.id, warnings, modelDomain: model?.path ?? null, gateways }, null, 2)}\n`);
  } else {
    for (const w of warnings) io.out(`warning: ${w}\n`);
    for (const g of gateways) {
      const d = g.descriptor;
      io.out(
        `gateway ${g.gatewayId}: ${d.floorCount} floor(s), ${d.footprintM2} m² footprint, ${d.entranceCount} entrance(s), ${d.receiverCount} receivers (${d.receiversPer100M2} in-store per 100 m²), roles ${d.roles.join(', ')}, 1-m levels ${d.refRssiAt1mDbm.min} to ${d.refRssiAt1mDbm.max} dBm\n`,
      );
      if (g.findings === undefined) continue;
      if (g.findings.length === 0) io.out(`  inside the training domain of ${model!.path}\n`);
      else {
        io.out(`  OUTSIDE the training domain of ${model!.path} (the gateway runs the rules baseline here unless forced):\n`);
        for (const f of g.findings) io.out(`    ${f.message}\n`);
      }
    }
    if (model === undefined) io.out('training domain not checked: pass --model-domain <model>.domain.json (e.g. gateway/model/journey-mlp.domain.json)\n');
  }
  if (opts.strict === true && warnings.length + findings > 0) {
    io.err(`LINT FAILED ${file}: ${warnings.length} warning(s), ${findings} domain finding(s) with --strict\n`);
    return 1;
  }
  return 0;
}

function load(path: string, io: Io): Site | undefined {
  const result = loadSiteFile(path);
  if (result.ok) return result.value;
  io.err(`INVALID ${path}: ${result.issues.length} error(s)\n${result.issues.map((i) => `  ${i}\n`).join('')}`);
  return undefined;
}

/** Only called after loadSiteFile succeeded on the same path, so the file reads and parses. */
function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
}

function emit(text: string, out: string | undefined, io: Io): void {
  if (out === undefined) io.out(text);
  else writeFileSync(out, text);
}

function summary(site: Site): string {
  const zones = site.stores.reduce((n, s) => n + s.zones.length, 0);
  const parts = [
    `site ${site.id}`,
    `${site.floors.length} floor(s)`,
    `${site.stores.length} store(s)`,
    `${zones} zone(s)`,
    `${site.areas.length} area(s)`,
    `${site.receivers.length} receiver(s)`,
    `${site.terminals.length} terminal(s)`,
    `${site.gateways.length} gateway(s): ${site.gateways.map((g) => g.id).join(', ')}`,
  ];
  return parts.join(', ');
}

// Run only when executed directly (the module is also imported by tests for runCli).
// realpath: npm links bins through a symlink in node_modules/.bin.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = runCli(process.argv.slice(2));
}
