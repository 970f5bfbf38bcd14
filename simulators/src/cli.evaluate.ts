import { parseArgs } from 'node:util';
import { loadSiteFile } from '@storesense/firmware-config';
import { loadMembers, resolveSitePath, UsageError, type CliIo } from './cli.shared.js';
import { evaluateOffline } from './evaluate.run.js';
import { createLogger } from './log.js';
import { readTraceFile, readTruthFile } from './trace-file.reader.js';
import { ChunkedFileWriter } from './trace-file.writer.js';

/** `storesense-sim evaluate`: the gateway pipeline offline over a trace, scored against the truth. */
export async function evaluateCommand(args: string[], io: CliIo): Promise<number> {
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
