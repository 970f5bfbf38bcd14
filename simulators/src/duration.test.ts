import { parseDuration } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.commands.js';
import { silentLogger } from './log.js';
import { durationError, parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1_500],
  ])('%s = %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', 'abc', '10 minutes', '5x', 'm10', '45', '2', '1h30'])('rejects %j', (text) => expect(parseDurationMs(text)).toBeUndefined());

  it('a bare number asks for its unit instead of meaning seconds', () => {
    expect(parseDuration('2')).toEqual({ ok: false, reason: '2 what? use 2s, 2m, 2h' });
    expect(durationError('--duration', '2')).toBe('--duration: 2 what? use 2s, 2m, 2h');
    expect(durationError('--duration', 'soon')).toBe('--duration: "soon" is not a duration like 90s, 10m, 2h, 1h30m');
  });

  it('generate --duration 2 is a usage error (exit 2) saying which units, and writes nothing', async () => {
    const io = { err: '', logger: silentLogger(), stdout: () => undefined } as unknown as CliIo & { err: string };
    io.stderr = (t) => void (io.err += t);
    const code = await runCli(['generate', '--site', 'boutique', '--duration', '2', '--out', '/nonexistent/never-written'], io);
    expect(code).toBe(2);
    expect(io.err).toContain('--duration: 2 what? use 2s, 2m, 2h');
  });
});
