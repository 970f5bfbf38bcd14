import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['45', 45_000],
  ])('%s = %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', 'abc', '10 minutes', '5x', 'm10'])('rejects %j', (text) => expect(parseDurationMs(text)).toBeUndefined());
});
