import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedFiles } from '@storesense/protocol/testing';

/** Spawns the built CLI (`npx tsc -b` first). */
const CLI = fileURLToPath(new URL('../../dist/occupancy/occupancy.cli.js', import.meta.url));
const {
  paths: [PCAP, CSV],
  skip,
} = sharedFiles(
  ['fixtures/wifi-probes/lab-position1-2024-03-15.pcap', 'fixtures/wifi-probes/lab-position1-2024-03-15.csv'],
  'the occupancy CLI real-capture case',
);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!existsSync(CLI))('occupancy.cli.js (dist)', { timeout: 60_000 }, () => {
  it('--help prints the usage and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: occupancy\.cli\.js score --pcap FILE --csv FILE/);
  });
  it.each([
    [[], /unknown command \(none\)/, 2],
    [['score', '--pcap', 'x.pcap'], /needs --pcap FILE and --csv FILE/, 2],
    [['score', '--pcap', 'no-such.pcap', '--csv', 'no-such.csv'], /ENOENT/, 1],
    [['score', '--pcap', 'a', '--csv', 'b', '--bogus'], /unknown or incomplete argument: --bogus/, 2],
  ])('misuse %j exits non-zero with one line and no stack', (args, message, code) => {
    const r = cli(...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message as RegExp);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
  it.skipIf(skip)('score --json on a real day, and --settings is validated with the path of the problem', () => {
    const r = cli('score', '--pcap', PCAP!, '--csv', CSV!, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { bins: number; maePersons: number; pearsonR: number; peakErrorPersons: number };
    expect(s.bins).toBeGreaterThan(50);
    expect(Number.isFinite(s.maePersons) && Number.isFinite(s.pearsonR) && Number.isFinite(s.peakErrorPersons)).toBe(true);
    const bad = cli('score', '--pcap', PCAP!, '--csv', CSV!, '--settings', '{"radiusM":-1}');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--settings: radiusM: /);
  });
});
