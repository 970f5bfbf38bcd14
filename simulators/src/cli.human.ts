import { formatDurationMs } from '@storesense/protocol/progress';
import type { ReplayResult } from './replay.js';
import type { GenerateResult } from './trace-file.writer.js';

/** The human reports of `generate` and `replay` (a terminal's default; `--json` for the object). */
const n = (x: number) => x.toLocaleString('en-US');
const mb = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function formatGenerate(r: GenerateResult & { elapsedMs: number; observationsPerSecond: number }, what: { site: string; seed: number }): string {
  const lines = [
    `generated ${formatDurationMs(r.durationMs)} of ${what.site} (seed ${what.seed}) from ${new Date(r.startAt).toISOString()} in ${secs(r.elapsedMs)} (${n(r.observationsPerSecond)} observations/s)`,
    `  trace   ${r.traceFile}   ${n(r.observations)} observations, ${mb(r.traceBytes)}`,
    `  truth   ${r.truthFile}   ${n(r.truthEvents)} events`,
    ...(r.receiversFile ? [`  biases  ${r.receiversFile}`] : []),
    `  ${n(r.shoppers)} shoppers, ${n(r.members)} of them members`,
  ];
  return `${lines.join('\n')}\n`;
}

export function formatReplay(
  r: ReplayResult & { linesRead: number; rejectedLines: number; retokened?: number; unknownTokens?: number },
  what: { trace: string; to: string; speed: number },
): string {
  const span = r.firstAt !== undefined && r.lastAt !== undefined ? formatDurationMs(r.lastAt - r.firstAt) : '0s';
  const lines = [
    `${r.aborted ? 'stopped replaying' : 'replayed'} ${span} of ${what.trace} to ${what.to} at ${what.speed}x in ${secs(r.elapsedMs)}`,
    `  sent ${n(r.sent)} observations in ${n(r.batches)} batches${r.failedBatches > 0 ? `; FAILED ${n(r.failedBatches)} batches (${n(r.failedObservations)} observations dropped)` : ', none failed'}`,
    `  read ${n(r.linesRead)} lines${r.rejectedLines > 0 ? `, ${n(r.rejectedLines)} rejected (see the log)` : ''}`,
    ...(r.retokened !== undefined
      ? [`  member tokens re-derived for the new times: ${n(r.retokened)}${r.unknownTokens ? `, ${n(r.unknownTokens)} of unknown members kept` : ''}`]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}
