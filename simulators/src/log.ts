import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Never log member token keys, tokens or broker passwords, even inside an options object. */
const REDACT_PATHS = ['password', 'key', 'token', 'tokenKey', '*.password', '*.key', '*.token', '*.tokenKey'];

/**
 * The simulator's logger: JSON lines on stderr (stdout carries the CLI's result), level from
 * LOG_LEVEL. Modules take a child: `logger.child({ module: 'replay' })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: process.env['LOG_LEVEL'] ?? 'info', base: { app: 'storesense-sim' }, ...options, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination(2),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
