import { describe, expect, it } from 'vitest';
import { logLevel } from './log-level.js';

describe('logLevel (one rule for every process)', () => {
  it('takes the flag, else STORESENSE_LOG_LEVEL, else info', () => {
    expect(logLevel(undefined, {})).toBe('info');
    expect(logLevel(undefined, { STORESENSE_LOG_LEVEL: 'warn' })).toBe('warn');
    expect(logLevel('debug', { STORESENSE_LOG_LEVEL: 'warn' })).toBe('debug');
    expect(logLevel(undefined, { STORESENSE_LOG_LEVEL: ' DEBUG ' })).toBe('debug');
    expect(logLevel('', { STORESENSE_LOG_LEVEL: '' })).toBe('info');
    // The old per-package variable is not read any more: one name everywhere.
    expect(logLevel(undefined, { LOG_LEVEL: 'error' })).toBe('info');
  });

  it('refuses a value that is not a level in one line naming where it came from', () => {
    expect(() => logLevel(undefined, { STORESENSE_LOG_LEVEL: 'loud' })).toThrow(
      /^STORESENSE_LOG_LEVEL=loud is not a log level \(fatal, error, warn, info, debug, trace, silent\)$/,
    );
    expect(() => logLevel('verbose', {})).toThrow(/^--log-level=verbose is not a log level/);
  });
});
