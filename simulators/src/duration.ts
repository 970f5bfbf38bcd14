import { parseDuration } from '@storesense/protocol';

/**
 * `90s`, `10m`, `2h`, `1h30m`, `500ms` in ms; undefined otherwise, including a bare number (which
 * unit was meant cannot be known). `durationError` says why, for the CLI's one-line message.
 * @example parseDurationMs('2h') // 7_200_000
 */
export function parseDurationMs(text: string): number | undefined {
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : undefined;
}

/** The usage error for a flag whose value is not a duration, e.g. `--duration: 2 what? use 2s, 2m, 2h`. */
export function durationError(flag: string, text: string): string {
  const parsed = parseDuration(text);
  return parsed.ok ? `${flag}: ${text} is not valid here` : `${flag}: ${parsed.reason}`;
}
