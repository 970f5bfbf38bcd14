import { parseArgs } from 'node:util';
import { topics } from '@storesense/protocol';
import { UsageError, type CliIo } from './cli.shared.js';
import { durationError, parseDurationMs } from './duration.js';
import { createLogger } from './log.js';
import { subscribeMqtt } from './mqtt.adapter.js';
import { recordTrace } from './record.js';

/** `storesense-sim record`: a gateway's live obs topic to a sorted trace file. */
export async function recordCommand(args: string[], io: CliIo): Promise<number> {
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
  if (from === undefined || siteId === undefined || gatewayId === undefined || out === undefined)
    throw new UsageError('record needs --from, --site-id, --gateway-id and --out');
  let topic: string;
  try {
    topic = topics.observations(siteId, gatewayId);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    durationMs = parseDurationMs(values.duration);
    if (durationMs === undefined) throw new UsageError(durationError('--duration', values.duration));
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
