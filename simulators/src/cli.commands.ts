import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_TOKEN_PERIOD_MS, topics } from '@storesense/protocol';
import { demoMembersPath, EXAMPLE_SITES, exampleSitePath, loadMembersCsv, loadSiteFile, type DemoMember, type ExampleSiteName } from '@storesense/firmware-config';
import { parseDurationMs } from './duration.js';
import { createHttpSink } from './http.sink.js';
import { createLogger, type Logger } from './log.js';
import { createMqttSink, subscribeMqtt } from './mqtt.adapter.js';
import { recordTrace } from './record.js';
import { replayTrace, type ObservationSink } from './replay.js';
import { namedScenario, type ScriptedShopper } from './scenario.js';
import { evaluateOffline } from './evaluate.run.js';
import { readTraceFile, readTruthFile } from './trace-file.reader.js';
import { ChunkedFileWriter } from './trace-file.writer.js';
import { createTokenRebaser, type TokenRebaser } from './token-rebase.js';
import { generateWorld } from './trace-file.writer.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  logger?: Logger;
}

const USAGE = `storesense-sim <command> [options]

  generate --site F --out DIR [--seed N] [--duration D] [--members CSV] [--start ISO]
           [--shoppers-per-hour N] [--member-share X] [--ble-share X] [--scenario member-visit --member ID]
      F: a site file, or an example name (boutique, dept-store). D: 90s, 10m, 2h (default 10m).
      --member-share defaults to 0.15, or 0 with --scenario (background traffic stays anonymous).
      --ble-share: share of background phones advertising BLE (default 1; the rest are BLE-silent).
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
      Runs the gateway pipeline offline over the trace and scores its events against the truth
      (precision, recall, timing, latency, dwell error, floor accuracy). Loads the trace in memory.
`;

/** Usage errors exit 2, runtime failures 1. */
class UsageError extends Error {}

const defaultIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/**
 * Runs the CLI and resolves to the exit code (never throws).
 * @example process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'generate') return await generate(rest, io);
    if (command === 'replay') return await replay(rest, io);
    if (command === 'evaluate') return await evaluate(rest, io);
    if (command === 'record') return await record(rest, io);
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

function resolveSitePath(arg: string): string {
  if (existsSync(arg)) return arg;
  if ((EXAMPLE_SITES as readonly string[]).includes(arg)) return exampleSitePath(arg as ExampleSiteName);
  return arg; // loadSiteFile reports it as unreadable
}

function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got "${text}"`);
  return n;
}

/** Reads a members CSV, printing bad rows; the default demo CSV is optional, an explicit one is not. */
function loadMembers(explicit: string | undefined, io: CliIo): { path: string; members: DemoMember[] } {
  const path = explicit ?? demoMembersPath;
  if (explicit === undefined && !existsSync(path)) return { path, members: [] };
  const csv = loadMembersCsv(path);
  for (const e of csv.errors) io.stderr(`members ${path}:${e.line}: ${e.error}\n`);
  if (csv.errors.some((e) => e.line === 0)) throw new Error(`cannot use members file ${path}`);
  return { path, members: csv.members };
}

function nonNegative(name: string, text: string | undefined, fallback: number): number {
  const n = number(name, text, fallback);
  if (n < 0) throw new UsageError(`--${name} must be ≥ 0, got "${text}"`);
  return n;
}

function share(name: string, text: string): number {
  const n = number(name, text, 0);
  if (n < 0 || n > 1) throw new UsageError(`--${name} must be between 0 and 1, got "${text}"`);
  return n;
}

function integer(name: string, text: string | undefined, fallback: number): number {
  const n = number(name, text, fallback);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} expects an integer, got "${text}"`);
  return n;
}

async function generate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      site: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      members: { type: 'string' },
      start: { type: 'string' },
      'shoppers-per-hour': { type: 'string' },
      'member-share': { type: 'string' },
      'ble-share': { type: 'string' },
      scenario: { type: 'string' },
      member: { type: 'string' },
    },
  });
  if (values.site === undefined) throw new UsageError('generate needs --site');
  if (values.out === undefined) throw new UsageError('generate needs --out');
  const durationMs = parseDurationMs(values.duration ?? '10m');
  if (durationMs === undefined) throw new UsageError(`--duration "${values.duration}" is not a duration like 90s, 10m, 2h`);
  let startAt: number | undefined;
  if (values.start !== undefined) {
    startAt = Date.parse(values.start);
    if (Number.isNaN(startAt)) throw new UsageError(`--start "${values.start}" is not an ISO date-time`);
  }
  const sitePath = resolveSitePath(values.site);
  const site = loadSiteFile(sitePath);
  if (!site.ok) throw new Error(`invalid site: ${site.issues.join('; ')}`);
  const { path: membersPath, members } = loadMembers(values.members, io);
  const scenarios: ScriptedShopper[] = [];
  if (values.scenario !== undefined) {
    let member: DemoMember | undefined;
    if (values.member !== undefined) {
      member = members.find((m) => m.memberId === values.member);
      if (member === undefined) throw new UsageError(`member "${values.member}" is not in ${membersPath}`);
    }
    try {
      scenarios.push(namedScenario(values.scenario, member));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  } else if (values.member !== undefined) {
    throw new UsageError('--member goes with --scenario');
  }
  const started = performance.now();
  const result = await generateWorld({
    site: site.value,
    siteFile: values.site,
    seed: integer('seed', values.seed, 1),
    durationMs,
    ...(startAt !== undefined ? { startAt } : {}),
    shoppersPerHour: nonNegative('shoppers-per-hour', values['shoppers-per-hour'], 240),
    ...(values['member-share'] !== undefined ? { memberShare: share('member-share', values['member-share']) } : {}),
    ...(values['ble-share'] !== undefined ? { bleShare: share('ble-share', values['ble-share']) } : {}),
    members,
    scenarios,
    outDir: values.out,
  });
  const elapsedMs = Math.round(performance.now() - started);
  io.stdout(`${JSON.stringify({ ...result, elapsedMs, observationsPerSecond: Math.round(result.observations / Math.max(0.001, elapsedMs / 1000)) })}\n`);
  return 0;
}

async function replay(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      trace: { type: 'string' },
      to: { type: 'string' },
      speed: { type: 'string' },
      'site-id': { type: 'string' },
      'gateway-id': { type: 'string' },
      rebase: { type: 'boolean' },
      'no-rebase': { type: 'boolean' },
      site: { type: 'string' },
      members: { type: 'string' },
      'token-period': { type: 'string' },
    },
  });
  if (values.trace === undefined) throw new UsageError('replay needs --trace');
  if (values.to === undefined) throw new UsageError('replay needs --to mqtt://host:port or http://host:port');
  const speed = number('speed', values.speed, 1);
  if (!(speed > 0)) throw new UsageError('--speed must be > 0');
  const rebase = values['no-rebase'] !== true;
  let periodMs = DEFAULT_TOKEN_PERIOD_MS;
  let defaultGatewayId: string | undefined;
  if (values.site !== undefined) {
    const site = loadSiteFile(resolveSitePath(values.site));
    if (!site.ok) throw new Error(`invalid site: ${site.issues.join('; ')}`);
    periodMs = site.value.memberTokens.periodMs;
    defaultGatewayId = site.value.gateways[0]?.id;
  }
  if (values['token-period'] !== undefined) {
    const p = parseDurationMs(values['token-period']);
    if (p === undefined || p <= 0) throw new UsageError(`--token-period "${values['token-period']}" is not a duration`);
    periodMs = p;
  }
  let retoken: TokenRebaser | undefined;
  if (rebase) {
    const { members } = loadMembers(values.members, io);
    if (members.length > 0) retoken = createTokenRebaser({ periodMs, keys: members.map((m) => ({ memberId: m.memberId, key: m.tokenKey })) });
  }
  const logger = io.logger ?? createLogger();
  const trace = await readTraceFile(values.trace, (line, error) => logger.warn({ line, error }, 'trace line rejected'));
  const siteId = values['site-id'] ?? trace.header.siteId;
  let sink: ObservationSink;
  const scheme = values.to.split(':')[0];
  if (scheme === 'mqtt' || scheme === 'mqtts' || scheme === 'ws' || scheme === 'wss') {
    const gatewayId = values['gateway-id'] ?? defaultGatewayId;
    if (gatewayId === undefined) {
      trace.close();
      throw new UsageError('replay to MQTT needs --gateway-id or --site (the topic is storesense/v1/{site}/{gateway}/obs)');
    }
    sink = await createMqttSink({ url: values.to, siteId, gatewayId, logger });
  } else if (scheme === 'http' || scheme === 'https') {
    sink = createHttpSink({ baseUrl: values.to });
  } else {
    trace.close();
    throw new UsageError(`--to "${values.to}" is neither mqtt:// nor http://`);
  }
  try {
    const r = await replayTrace({ observations: trace, sink, speed, rebase, logger, ...(retoken ? { retoken } : {}) });
    const tokens = retoken ? { retokened: retoken.stats.retokened, unknownTokens: retoken.stats.unknown } : {};
    io.stdout(`${JSON.stringify({ ...r, linesRead: trace.stats.lines, rejectedLines: trace.stats.rejected, ...tokens })}\n`);
    // Partial failures are reported in the counts; only "nothing could be delivered" is a failure.
    return r.sent === 0 && r.failedBatches > 0 ? 1 : 0;
  } finally {
    await sink.close();
  }
}

async function evaluate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      site: { type: 'string' },
      trace: { type: 'string' },
      truth: { type: 'string' },
      'gateway-id': { type: 'string' },
      members: { type: 'string' },
      'events-out': { type: 'string' },
    },
  });
  if (values.site === undefined || values.trace === undefined || values.truth === undefined) throw new UsageError('evaluate needs --site, --trace and --truth');
  const site = loadSiteFile(resolveSitePath(values.site));
  if (!site.ok) throw new Error(`invalid site: ${site.issues.join('; ')}`);
  const gatewayId = values['gateway-id'] ?? site.value.gateways[0]?.id;
  if (gatewayId === undefined || !site.value.gateways.some((g) => g.id === gatewayId)) {
    throw new UsageError(`gateway "${gatewayId ?? ''}" is not in site ${site.value.id} (known: ${site.value.gateways.map((g) => g.id).join(', ')})`);
  }
  const { members } = loadMembers(values.members, io);
  const logger = io.logger ?? createLogger();
  const trace = await readTraceFile(values.trace, (line, error) => logger.warn({ line, error }, 'trace line rejected'));
  const observations = [];
  for await (const o of trace) observations.push(o);
  const truthFile = await readTruthFile(values.truth, (line, error) => logger.warn({ line, error }, 'truth line rejected'));
  const truth = [];
  for await (const e of truthFile) truth.push(e);
  const r = evaluateOffline({ site: site.value, gatewayId, observations, truth, members });
  if (values['events-out'] !== undefined) {
    const out = new ChunkedFileWriter(values['events-out']);
    for (const e of r.events) await out.write(`${JSON.stringify(e)}\n`);
    await out.close();
  }
  io.stdout(
    `${JSON.stringify({ gatewayId, observations: observations.length, rejectedLines: trace.stats.rejected + truthFile.stats.rejected, truthEvents: truth.length, detectedEvents: r.events.length, ...r.score })}\n`,
  );
  return 0;
}

async function record(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      from: { type: 'string' },
      'site-id': { type: 'string' },
      'gateway-id': { type: 'string' },
      out: { type: 'string' },
      duration: { type: 'string' },
    },
  });
  const { from, out } = values;
  const siteId = values['site-id'];
  const gatewayId = values['gateway-id'];
  if (from === undefined || siteId === undefined || gatewayId === undefined || out === undefined) throw new UsageError('record needs --from, --site-id, --gateway-id and --out');
  let topic: string;
  try {
    topic = topics.observations(siteId, gatewayId);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    durationMs = parseDurationMs(values.duration);
    if (durationMs === undefined) throw new UsageError(`--duration "${values.duration}" is not a duration like 90s, 10m, 2h`);
  }
  const logger = io.logger ?? createLogger();
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const r = await recordTrace({
      siteId,
      outFile: out,
      ...(durationMs !== undefined ? { durationMs } : {}),
      signal: stop.signal,
      logger,
      subscribe: (onPayload) => subscribeMqtt({ url: from, topic, logger, onMessage: (_t, payload) => onPayload(payload.toString('utf8')) }),
    });
    io.stdout(`${JSON.stringify(r)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
