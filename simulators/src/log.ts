import { logLevel } from '@storesense/protocol/cli';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Never log member token keys, tokens or broker passwords, even inside an options object. */
const REDACT_PATHS = ['password', 'key', 'token', 'tokenKey', '*.password', '*.key', '*.token', '*.tokenKey'];

/**
 * The simulator's logger: JSON lines on stderr (stdout carries the CLI's result), level from
 * STORESENSE_LOG_LEVEL (decision 141). Modules take a child: `logger.child({ module: 'replay' })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { base: { app: 'storesense-sim' }, ...options, level: logLevel(options.level), redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination(2),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
