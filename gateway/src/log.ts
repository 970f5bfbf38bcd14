import { logLevel } from '@storesense/protocol/cli';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Field paths pino censors in every log line. Secrets must never reach a log even when a caller
 * logs a whole options object by mistake (member token keys, MQTT passwords, advertised tokens).
 */
export const REDACT_PATHS = [
  'password',
  'key',
  'token',
  'tokenKey',
  '*.password',
  '*.key',
  '*.token',
  '*.tokenKey',
  'mqtt.password',
  'members[*].key',
  '*.members[*].key',
];

/**
 * Creates the process logger. Modules take a child: `logger.child({ module: 'uplink' })`.
 * @example const log = createLogger({ level: 'debug' }); log.info({ siteId }, 'started')
 */
export function createLogger(options: LoggerOptions = {}, destination?: NodeJS.WritableStream): Logger {
  const opts: LoggerOptions = {
    base: { app: 'storesense-gateway' },
    ...options,
    level: logLevel(options.level),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}

/** A logger that drops everything, for tests and for library use without a logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
