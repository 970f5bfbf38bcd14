import { parseArgs } from 'node:util';
import { loadSiteFile } from '@storesense/firmware-config';
import { DEFAULT_TOKEN_PERIOD_MS } from '@storesense/protocol';
import { createProgress } from '@storesense/protocol/progress';
import { formatReplay } from './cli.human.js';
import { loadMembers, number, outputMode, progressTo, resolveSitePath, UsageError, type CliIo } from './cli.shared.js';
import { durationError, parseDurationMs } from './duration.js';
import { createHttpSink } from './http.sink.js';
import { createLogger } from './log.js';
import { createMqttSink } from './mqtt.adapter.js';
import { replayTrace, type ObservationSink } from './replay.js';
import { createTokenRebaser, type TokenRebaser } from './token-rebase.js';
import { readTraceFile } from './trace-file.reader.js';

/** `storesense-sim replay`: a trace file to a gateway over MQTT or HTTP, paced by `at / speed`. */
export async function replayCommand(args: string[], io: CliIo): Promise<number> {
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
      json: { type: 'boolean' },
      human: { type: 'boolean' },
    },
  });
  const mode = outputMode(values, io);
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
    if (p === undefined || p <= 0) throw new UsageError(durationError('--token-period', values['token-period']));
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
  // The bar runs in trace time (the header's duration); a trace without one shows none.
  const traceMs = trace.header.durationMs;
  const bar = createProgress({ label: 'replay', total: traceMs ?? 0, unit: 'ms', ...progressTo(io), ...(traceMs ? {} : { enabled: false }) });
  try {
    const r = await replayTrace({
      observations: trace,
      sink,
      speed,
      rebase,
      logger,
      ...(retoken ? { retoken } : {}),
      onProgress: (doneMs, sent) => bar.update(doneMs, `${sent.toLocaleString('en-US')} sent`),
    })
      .then((r) => {
        if (!r.aborted && traceMs) bar.update(traceMs, `${r.sent.toLocaleString('en-US')} sent`);
        return r;
      })
      .finally(() => bar.stop());
    const tokens = retoken ? { retokened: retoken.stats.retokened, unknownTokens: retoken.stats.unknown } : {};
    const report = { ...r, linesRead: trace.stats.lines, rejectedLines: trace.stats.rejected, ...tokens };
    io.stdout(
      mode === 'json'
        ? `${JSON.stringify(report)}\n`
        : formatReplay(report, { trace: values.trace, to: values.to.replace(/\/\/[^@/]*@/, '//…@').replace(/([?&]password=)[^&]*/, '$1…'), speed }),
    );
    // Partial failures are reported in the counts; only "nothing could be delivered" is a failure.
    return r.sent === 0 && r.failedBatches > 0 ? 1 : 0;
  } finally {
    await sink.close();
  }
}
