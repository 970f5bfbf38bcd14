import { parseArgs } from 'node:util';
import { loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { createClassifier, type Classifier } from '@storesense/gateway';
import { createProgress } from '@storesense/protocol/progress';
import { loadMembers, outputMode, progressTo, resolveSitePath, UsageError, type CliIo } from './cli.shared.js';
import { evaluateOffline } from './evaluate.run.js';
import { formatEvaluation } from './evaluate.format.js';
import { summarizeEvaluation } from './evaluate.summary.js';
import { createLogger } from './log.js';
import { readTraceFile, readTruthFile } from './trace-file.reader.js';
import { ChunkedFileWriter } from './trace-file.writer.js';

/**
 * `storesense-sim evaluate`: the gateway pipeline offline over a trace, scored against the truth.
 * Output: one JSON object with `--json` (the summary: `byType`, `macroF1`, ... beside the raw
 * per-kind score), the human report with `--human`; with neither, the report on a terminal and
 * JSON when stdout is piped, so scripts that parse the output keep working.
 */
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
      classifier: { type: 'string' },
      model: { type: 'string' },
      'auto-calibration': { type: 'string' },
      json: { type: 'boolean', default: false },
      human: { type: 'boolean', default: false },
    },
  });
  const asJson = outputMode(values, io) === 'json';
  if (values.site === undefined || values.trace === undefined || values.truth === undefined) throw new UsageError('evaluate needs --site, --trace and --truth');
  const site = loadSiteFile(resolveSitePath(values.site));
  if (!site.ok) throw new Error(`invalid site: ${site.issues.join('; ')}`);
  const gatewayId = values['gateway-id'] ?? site.value.gateways[0]?.id;
  if (gatewayId === undefined || !site.value.gateways.some((g) => g.id === gatewayId)) {
    throw new UsageError(`gateway "${gatewayId ?? ''}" is not in site ${site.value.id} (known: ${site.value.gateways.map((g) => g.id).join(', ')})`);
  }
  const kind = values.classifier ?? 'rules';
  if (kind !== 'rules' && kind !== 'onnx') throw new UsageError(`--classifier must be rules or onnx, got "${kind}"`);
  if (values.model !== undefined && kind !== 'onnx') throw new UsageError('--model needs --classifier onnx');
  const autoCal = values['auto-calibration'];
  if (autoCal !== undefined && autoCal !== 'on' && autoCal !== 'off') throw new UsageError(`--auto-calibration must be on or off, got "${autoCal}"`);
  let classifier: Classifier | undefined;
  if (kind === 'onnx') {
    const config = renderGatewayConfig(site.value, gatewayId);
    classifier = createClassifier(
      { ...config, classifier: { ...config.classifier, kind, ...(values.model !== undefined ? { modelPath: values.model } : {}) } },
      kind,
    );
  }
  const { members } = loadMembers(values.members, io);
  const logger = io.logger ?? createLogger();
  const trace = await readTraceFile(values.trace, (line, error) => logger.warn({ line, error }, 'trace line rejected'));
  // A trace of another site scores zeros (no receiver id matches): refuse it by its header instead.
  if (trace.header.siteId !== site.value.id) {
    throw new UsageError(
      `trace ${values.trace} is of site ${trace.header.siteId}${trace.header.site ? ` (${trace.header.site})` : ''}, but --site ${values.site} is site ${site.value.id}: evaluate it with its own site file`,
    );
  }
  // Two phases on one bar line each: reading the trace (trace time read) and running the pipeline.
  const stream = progressTo(io);
  const span = trace.header.durationMs;
  const reading = createProgress({ label: 'evaluate: read', total: span ?? 0, unit: 'ms', ...stream, ...(span ? {} : { enabled: false }) });
  const observations = [];
  try {
    for await (const o of trace) {
      if (observations.push(o) % 5000 === 0) reading.update(o.at - trace.header.startedAt, `${observations.length.toLocaleString('en-US')} observations`);
    }
    reading.update(span ?? 0, `${observations.length.toLocaleString('en-US')} observations`);
  } finally {
    reading.stop();
  }
  const truthFile = await readTruthFile(values.truth, (line, error) => logger.warn({ line, error }, 'truth line rejected'));
  if (truthFile.header.siteId !== site.value.id) {
    throw new UsageError(
      `truth ${values.truth} is of site ${truthFile.header.siteId}, but --site ${values.site} is site ${site.value.id}: evaluate it with its own site file`,
    );
  }
  const truth = [];
  for await (const e of truthFile) truth.push(e);
  let r;
  const running = createProgress({ label: 'evaluate: run ', total: 1, unit: 'ms', ...stream });
  try {
    r = evaluateOffline({
      site: site.value,
      gatewayId,
      observations,
      truth,
      members,
      ...(classifier ? { classifier } : {}),
      ...(autoCal !== undefined ? { autoCalibration: autoCal === 'on' } : {}),
      onProgress: (doneMs, totalMs) => {
        running.setTotal(totalMs);
        running.update(doneMs, `${kind}`);
      },
    });
  } finally {
    running.stop();
    await classifier?.close?.();
  }
  if (values['events-out'] !== undefined) {
    const out = new ChunkedFileWriter(values['events-out']);
    for (const e of r.events) await out.write(`${JSON.stringify(e)}\n`);
    await out.close();
  }
  const endAt = truthFile.header.durationMs === undefined ? undefined : truthFile.header.startedAt + truthFile.header.durationMs;
  const summary = summarizeEvaluation(r.score, truth, endAt === undefined ? {} : { endAt });
  const header = {
    gatewayId,
    observations: observations.length,
    truthEvents: truth.length,
    classifier: classifier ? `${classifier.name}@${classifier.version}` : 'rules',
    detectedEvents: r.events.length,
  };
  if (asJson) {
    io.stdout(
      `${JSON.stringify({ ...header, rejectedLines: trace.stats.rejected + truthFile.stats.rejected, ...summary, ...r.score, ...(r.calibration ? { calibration: r.calibration } : {}) })}\n`,
    );
  } else {
    io.stdout(formatEvaluation(header, summary));
  }
  return 0;
}
