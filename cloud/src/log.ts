import { logLevel } from '@storesense/protocol/cli';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino censors in every log line. Member token keys, gateway passwords and staff tokens
 * must never reach a log sink (architecture §7 habit 7), even when a caller logs a whole object by mistake.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'key',
  '*.key',
  'tokenKey',
  '*.tokenKey',
  'token',
  '*.token',
  'members[*].key',
  '*.members[*].key',
  'members[*].tokenKey',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where lines go; stdout when absent. Tests pass a collecting stream. */
  destination?: DestinationStream;
}

/**
 * The one pino factory of the cloud.
 * @example const log = createLogger({ level: 'info' }).child({ module: 'ingest' })
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: logLevel(options.level),
    name: options.name ?? 'storesense-cloud',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
