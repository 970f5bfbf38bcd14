/**
 * The progress bar of every long storesense job (decision 145): generate, replay, evaluate, the
 * trainer, `npm run eval`. Drawn with cli-progress on stderr when stderr is a terminal; a no-op
 * otherwise, so piped and logged runs get nothing but their output. The only file importing
 * cli-progress. Imported from `@storesense/protocol/progress` (a CLI that draws no bar never loads it).
 * @example
 * const bar = createProgress({ label: 'generate', total: durationMs, unit: 'ms' });
 * bar.update(simulatedMs); ... bar.stop();
 */
import cliProgress from 'cli-progress';

/** Where the bar goes: process.stderr, or a test's collecting stream with `isTTY: true`. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is running ("generate", "evaluate", "traces"). */
  label: string;
  total: number;
  /** How value and total print: a count (`12/40`) or a duration in ms (`12m/2h`). Default count. */
  unit?: 'count' | 'ms';
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Force on or off; default: on when the stream is a terminal. */
  enabled?: boolean;
}

export interface Progress {
  readonly enabled: boolean;
  /** Sets the value (clamped to the total) and an optional short note shown after it. */
  update(value: number, detail?: string): void;
  setTotal(total: number): void;
  /** Draws the last state and ends the line; later calls do nothing. */
  stop(): void;
}

const NOOP: Progress = { enabled: false, update() {}, setTotal() {}, stop() {} };

export function createProgress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  if (!(o.enabled ?? stream.isTTY === true)) return NOOP;
  const show = o.unit === 'ms' ? formatDurationMs : (n: number) => Math.round(n).toLocaleString('en-US');
  let total = Math.max(0, o.total);
  let stopped = false;
  const bar = new cliProgress.SingleBar({
    // cli-progress writes through readline's cursor helpers, which only need write().
    stream: stream as NodeJS.WritableStream,
    format: `${o.label} [{bar}] {percentage}% | {shown} | ETA {eta_formatted}{detail}`,
    barsize: 24,
    fps: 5,
    hideCursor: false, // a killed job must not leave the terminal without a cursor
    clearOnComplete: false,
    stopOnComplete: false,
    linewrap: false,
    etaBuffer: 40,
    noTTYOutput: false,
  });
  const payload = (value: number, detail?: string) => ({ shown: `${show(value)}/${show(total)}`, detail: detail ? ` | ${detail}` : '' });
  bar.start(total, 0, payload(0));
  return {
    enabled: true,
    update(value, detail) {
      if (stopped) return;
      const v = Math.min(Math.max(0, value), total);
      bar.update(v, payload(v, detail));
    },
    setTotal(t) {
      if (stopped) return;
      total = Math.max(0, t);
      bar.setTotal(total);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/** 90_000 -> "1m30s", 7_200_000 -> "2h", 3_900_000 -> "1h05m", 12_000 -> "12s". */
export function formatDurationMs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return m > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${m}m`;
  return `${sec}s`;
}
