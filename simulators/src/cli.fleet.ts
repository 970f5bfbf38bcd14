import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isValidId } from '@storesense/protocol';
import { type CliIo, UsageError } from './cli.shared.js';
import { durationError, parseDurationMs } from './duration.js';
import { fleetCredentialsSchema, runFleet, type FleetGateway, type FleetProgress } from './fleet.js';
import { splitBrokerUrl } from './mqtt.adapter.js';

export const FLEET_USAGE = `storesense-sim fleet: N simulated gateways publishing events to a cloud's broker (load generator)

Usage: storesense-sim fleet --gateways N --events-per-second R --to mqtt://host:port
                            [--credentials FILE] [--duration 30s] [--count N] [--drain 10s]
                            [--site S] [--mqtt-version 3.1.1|5] [--json]

Each gateway connects with its own account (client id = username), subscribes to its ack topic and
publishes QoS 1 arrival events of the contract; R is the total over all gateways. The run stops at
--duration (default 30s) or after --count events, then waits up to --drain for the cloud's acks.
Prints a summary: sent, acked, rejected, unacked, events/s, publish→ack p50/p99/max (ms). Exits 0
when every event was acked (or refused by the cloud with a reason), 1 otherwise.

Options:
  --gateways N          simulated gateways (1-10000)
  --events-per-second R total publish rate (events/s, > 0)
  --to URL              the broker, mqtt:// or mqtts://
  --credentials FILE    accounts: storesense-cloud broker-config's credentials.json, or any JSON
                        {"gateways": [{"siteId", "gatewayId", "username", "password"}, ...]}; the
                        first N are used. Without it: gateways gw-0001… of --site, no password
                        (a broker allowing anonymous clients)
  --site S              site id without --credentials (default fleet)
  --duration D          publishing time (default 30s)
  --count N             stop after N events in all
  --drain D             how long to wait for outstanding acks (default 10s)
  --mqtt-version V      3.1.1 (default) or 5
  --json                the summary as one JSON object (default on a pipe: text)
  -h, --help            this text
`;

/** At most this many events per run (each outstanding one holds its publish time until acked). */
const MAX_EVENTS = 10_000_000;

function oneLine(message: string): UsageError {
  return new UsageError(message);
}

export function parseFleetArgs(argv: readonly string[]): {
  url: string;
  gateways: FleetGateway[];
  eventsPerSecond: number;
  durationMs: number;
  count: number | undefined;
  drainMs: number;
  protocolVersion: 4 | 5;
  json: boolean;
} {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      gateways: { type: 'string' },
      'events-per-second': { type: 'string' },
      to: { type: 'string' },
      credentials: { type: 'string' },
      site: { type: 'string', default: 'fleet' },
      duration: { type: 'string', default: '30s' },
      count: { type: 'string' },
      drain: { type: 'string', default: '10s' },
      'mqtt-version': { type: 'string', default: '3.1.1' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.gateways === undefined) throw oneLine('fleet needs --gateways N');
  if (values['events-per-second'] === undefined) throw oneLine('fleet needs --events-per-second R');
  if (values.to === undefined) throw oneLine('fleet needs --to mqtt://host:port');
  const n = Number(values.gateways);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw oneLine(`--gateways must be a whole number 1-10000, got "${values.gateways}"`);
  const rate = Number(values['events-per-second']);
  if (!Number.isFinite(rate) || rate <= 0) throw oneLine(`--events-per-second must be a number > 0, got "${values['events-per-second']}"`);
  const durationMs = parseDurationMs(values.duration);
  if (durationMs === undefined || durationMs <= 0) throw oneLine(durationError('--duration', values.duration));
  const drainMs = parseDurationMs(values.drain);
  if (drainMs === undefined) throw oneLine(durationError('--drain', values.drain));
  let count: number | undefined;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) throw oneLine(`--count must be a whole number ≥ 1, got "${values.count}"`);
  }
  if (Math.min(count ?? Number.POSITIVE_INFINITY, (rate * durationMs) / 1000) > MAX_EVENTS)
    throw oneLine(`a run is limited to ${MAX_EVENTS} events: lower --events-per-second, --duration or --count`);
  if (!['3.1.1', '4', '5'].includes(values['mqtt-version'])) throw oneLine(`--mqtt-version must be 3.1.1 or 5, got "${values['mqtt-version']}"`);
  let url: string;
  try {
    const split = splitBrokerUrl(values.to);
    if (split.username !== undefined) throw new TypeError('put credentials in --credentials, not in --to');
    url = split.url;
  } catch (err) {
    throw oneLine(`--to: ${(err as Error).message}`);
  }

  let gateways: FleetGateway[];
  if (values.credentials !== undefined) {
    let parsed: ReturnType<typeof fleetCredentialsSchema.safeParse>;
    try {
      parsed = fleetCredentialsSchema.safeParse(JSON.parse(readFileSync(values.credentials, 'utf8')));
    } catch (err) {
      throw oneLine(`--credentials ${values.credentials}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (!parsed.success) throw oneLine(`--credentials ${values.credentials}: expected {"gateways": [{siteId, gatewayId, username, password}]}`);
    if (parsed.data.gateways.length < n)
      throw oneLine(`--credentials ${values.credentials} has ${parsed.data.gateways.length} gateways, fewer than --gateways ${n}`);
    gateways = parsed.data.gateways.slice(0, n);
    const bad = gateways.find((g) => !isValidId(g.siteId) || !isValidId(g.gatewayId));
    if (bad) throw oneLine(`--credentials ${values.credentials}: ${bad.siteId}/${bad.gatewayId} is not a valid site/gateway id`);
  } else {
    if (!isValidId(values.site)) throw oneLine(`--site "${values.site}" is not a valid id`);
    const width = Math.max(4, String(n).length);
    gateways = Array.from({ length: n }, (_, i) => ({ siteId: values.site, gatewayId: `gw-${String(i + 1).padStart(width, '0')}` }));
  }
  return {
    url,
    gateways,
    eventsPerSecond: rate,
    durationMs,
    count,
    drainMs,
    protocolVersion: values['mqtt-version'] === '5' ? 5 : 4,
    json: values.json,
  };
}

/** `storesense-sim fleet …`: usage errors are one line (exit 2), a failed run one line (exit 1). */
export async function fleetCommand(argv: readonly string[], io: CliIo, tty = process.stderr.isTTY === true): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(FLEET_USAGE);
    return 0;
  }
  let args: ReturnType<typeof parseFleetArgs>;
  try {
    args = parseFleetArgs(argv);
  } catch (err) {
    io.stderr(`storesense-sim fleet: ${(err as Error).message} (see storesense-sim fleet --help)\n`);
    return 2;
  }
  const onProgress = tty
    ? (p: FleetProgress) =>
        io.stderr(`\r${p.phase} ${p.connected}/${args.gateways.length} gateways, ${p.sent} sent, ${p.acked} acked, ${Math.round(p.elapsedMs / 1000)} s   `)
    : undefined;
  try {
    const summary = await runFleet({ ...args, ...(onProgress ? { onProgress } : {}) });
    if (tty) io.stderr('\n');
    if (args.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else
      io.stdout(
        `fleet: ${summary.gateways} gateways, ${summary.sent} sent (${summary.sentPerSecond}/s), ${summary.acked} acked (${summary.ackedPerSecond}/s), ` +
          `${summary.rejected} rejected, ${summary.unacked} unacked, ${summary.publishErrors} publish errors, ${summary.disconnects} disconnects\n` +
          `publish→ack ms: p50 ${summary.ackP50Ms ?? '-'} p99 ${summary.ackP99Ms ?? '-'} max ${summary.ackMaxMs ?? '-'} (connect ${summary.connectMs} ms)\n`,
      );
    return summary.unacked > 0 || summary.publishErrors > 0 ? 1 : 0;
  } catch (err) {
    if (tty) io.stderr('\n');
    io.stderr(`storesense-sim fleet: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}
