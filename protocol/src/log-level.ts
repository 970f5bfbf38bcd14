/** pino's levels, quietest last; `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The one log-level rule of every storesense process (cloud, gateway, simulators, scripts;
 * decision 141): an explicit level (a `--log-level` flag) wins, else `STORESENSE_LOG_LEVEL`, else
 * `info`. A value that is not a level throws one line naming where it came from (pino's own error
 * would be a stack trace at start). Case-insensitive; blank counts as unset.
 * @example createLogger({ level: logLevel(args['log-level']) })
 */
export function logLevel(explicit?: string, env: Readonly<Record<string, string | undefined>> = process.env): LogLevel {
  const [raw, from] = explicit !== undefined && explicit.trim() !== '' ? [explicit, '--log-level'] : [env['STORESENSE_LOG_LEVEL'], 'STORESENSE_LOG_LEVEL'];
  if (raw === undefined || raw.trim() === '') return 'info';
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`${from}=${raw} is not a log level (${LOG_LEVELS.join(', ')})`);
  return level as LogLevel;
}
