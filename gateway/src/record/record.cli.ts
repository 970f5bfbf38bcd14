/**
 * `storesense-gateway record --config F --out DIR [--max-bytes N] [--duration D]`: runs the
 * configured sources with no uplink and no pipeline, and writes what they observe (pseudonymous)
 * as rotated trace files for `storesense-sim replay|evaluate`. Ends after D, on SIGINT/SIGTERM,
 * or when every source has finished by itself (a pcap or trace replay).
 */
import { parseArgs } from 'node:util';
import { MAC_SOURCE_KINDS, type GatewayConfig } from '@storesense/firmware-config';
import { parseDuration } from '@storesense/protocol';
import { systemClock, type Clock } from '../clock.js';
import { loadGatewayConfig } from '../config-file.js';
import { resolveSitePepper } from '../identity/site-pepper.js';
import type { Logger } from '../log.js';
import type { NobleLike } from '../sources/ble/ble.adapter.js';
import { createConfiguredSource } from '../sources/configured-source.js';
import type { Source } from '../sources/source.js';
import { TraceRecorder, type RecordSummary } from './trace.recorder.js';

export const RECORD_USAGE = `Usage: storesense-gateway record --config <gateway-config.json> --out <dir> [--max-bytes N] [--duration D]

  --config F       the gateway config whose sources to record (uplink, pipeline and status API are not started)
  --out DIR        where trace files go: trace-000001-<start time>.ndjson, trace-000002-…, each with a header line
  --max-bytes N    rotate before a file would exceed N bytes (default config.record.maxBytes, else 64 MiB; min 4096)
  --duration D     stop after D (90s, 10m, 2h, 1500ms: a unit is required); default: until Ctrl-C or every source has finished

Sources fed through the status API (http_observations, meraki) are not recorded here: set
"record": {"dir": …} in the config to record everything a running gateway sees.`;

export const DEFAULT_RECORD_MAX_BYTES = 64 * 1024 * 1024;

export interface RecordIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock?: Clock;
  /** Aborting ends the recording (the CLI wires SIGINT/SIGTERM here). */
  signal?: AbortSignal;
  /**
   * Called once the sources have started. The CLI installs its SIGINT handler here, not earlier:
   * noble's hci-socket bindings add a SIGINT listener at init that calls process.exit(1) when it
   * is the last one, which would skip writing the buffered records and the summary.
   */
  afterStart?: () => void;
  /** Tests: a noble-like stack for ble sources. */
  noble?: () => Promise<NobleLike>;
}

/** `90s`, `10m`, `2h`, `1500ms` (a unit is required); undefined when not a positive duration. */
export function parseDurationMs(text: string): number | undefined {
  const parsed = parseDuration(text);
  return parsed.ok && parsed.ms > 0 ? parsed.ms : undefined;
}

export async function runRecord(argv: string[], io: RecordIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        config: { type: 'string' },
        out: { type: 'string' },
        'max-bytes': { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${RECORD_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${RECORD_USAGE}\n`);
    return 0;
  }
  if (!values.config || !values.out) {
    io.stderr(`record needs --config and --out\n\n${RECORD_USAGE}\n`);
    return 2;
  }
  const maxBytes = values['max-bytes'] === undefined ? undefined : Number(values['max-bytes']);
  if (maxBytes !== undefined && (!Number.isInteger(maxBytes) || maxBytes < 4096)) {
    io.stderr(`--max-bytes must be an integer >= 4096, got "${values['max-bytes']}"\n`);
    return 2;
  }
  const durationMs = values.duration === undefined ? undefined : parseDurationMs(values.duration);
  if (values.duration !== undefined && durationMs === undefined) {
    const parsed = parseDuration(values.duration);
    io.stderr(`--duration: ${parsed.ok ? 'must be more than 0' : parsed.reason}\n`);
    return 2;
  }
  const loaded = loadGatewayConfig(values.config);
  if (!loaded.ok) {
    io.stderr(`invalid gateway config ${values.config}:\n${loaded.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return 1;
  }
  const summary = await record(
    loaded.config,
    { out: values.out, maxBytes: maxBytes ?? loaded.config.record?.maxBytes ?? DEFAULT_RECORD_MAX_BYTES, ...(durationMs !== undefined ? { durationMs } : {}) },
    io,
  );
  if (summary === undefined) return 1;
  io.stdout(`${JSON.stringify(summary)}\n`);
  return 0;
}

async function record(
  config: GatewayConfig,
  opts: { out: string; maxBytes: number; durationMs?: number },
  io: RecordIo,
): Promise<(RecordSummary & { sources: Record<string, unknown> }) | undefined> {
  const clock = io.clock ?? systemClock;
  const log = io.logger.child({ module: 'record' });
  const needsPepper = config.sources.some((sc) => (MAC_SOURCE_KINDS as readonly string[]).includes(sc.kind));
  let pepper: string | undefined;
  try {
    pepper = resolveSitePepper({ identity: config.identity, env: io.env, dataDir: config.dataDir, needed: needsPepper, logger: io.logger });
  } catch (err) {
    io.stderr(`record: site pepper unavailable, MAC-based sources cannot be recorded: ${(err as Error).message}\n`);
  }
  const password = config.mqtt.password ?? io.env[config.mqtt.passwordEnv];
  const sources: { name: string; source: Source }[] = [];
  const skipped: Record<string, string> = {};
  config.sources.forEach((sc, i) => {
    const name = `${sc.kind}#${i}`;
    if (sc.kind === 'http_observations' || sc.kind === 'meraki') {
      skipped[name] = 'fed through the status API; use config "record" on a running gateway';
      return;
    }
    try {
      const built = createConfiguredSource(sc, i, {
        config,
        clock,
        logger: io.logger,
        env: io.env,
        ...(password !== undefined ? { password } : {}),
        ...(pepper !== undefined ? { pepper } : {}),
        ...(io.noble ? { noble: io.noble } : {}),
      });
      sources.push({ name, source: built.source });
    } catch (err) {
      skipped[name] = (err as Error).message;
    }
  });
  for (const [name, why] of Object.entries(skipped)) io.stderr(`record: ${name} not recorded: ${why}\n`);
  if (sources.length === 0) {
    io.stderr('record: no source to record\n');
    return undefined;
  }
  let recorder: TraceRecorder;
  try {
    recorder = new TraceRecorder({ dir: opts.out, siteId: config.siteId, maxBytes: opts.maxBytes, clock, logger: io.logger });
  } catch (err) {
    io.stderr(`record: cannot write to ${opts.out}: ${(err as Error).message}\n`);
    return undefined;
  }
  const started: typeof sources = [];
  for (const s of sources) {
    try {
      await s.source.start((obs) => recorder.write(obs));
      started.push(s);
    } catch (err) {
      skipped[s.name] = (err as Error).message;
      io.stderr(`record: ${s.name} unavailable: ${(err as Error).message}\n`);
    }
  }
  log.info({ out: opts.out, maxBytes: opts.maxBytes, sources: started.map((s) => s.name) }, 'recording');
  io.afterStart?.();
  const t0 = Date.now();
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      const allDone = started.length === 0 || started.every((s) => s.source.health().state === 'stopped');
      if (allDone || io.signal?.aborted || (opts.durationMs !== undefined && Date.now() - t0 >= opts.durationMs)) {
        clearInterval(poll);
        resolve();
      }
    }, 100);
  });
  const health: Record<string, unknown> = {};
  for (const s of started) {
    health[s.name] = s.source.health();
    try {
      await s.source.stop();
    } catch (err) {
      log.warn({ source: s.name, err: (err as Error).message }, 'source failed to stop');
    }
  }
  for (const [name, why] of Object.entries(skipped)) health[name] = { state: 'unavailable', detail: why };
  return { ...recorder.close(), sources: health };
}
