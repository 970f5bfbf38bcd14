import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './processes.js';

/**
 * Every CLI, every subcommand: a bad flag (or a missing file) is a one-line reason and a non-zero
 * exit (2 for usage), never a stack trace (issue 13 "CLIs that respect people").
 */
const CASES: Array<[args: string[], code: number]> = [
  [['gateway/dist/cli.js', '--bogus'], 2],
  [['gateway/dist/cli.js', 'decode', 'ble', 'zz', '--bogus'], 2],
  [['gateway/dist/cli.js', 'record', '--bogus'], 2],
  [['gateway/dist/cli.js', 'wifi', '--bogus'], 2],
  [['gateway/dist/cli.js', 'calibrate', '--bogus'], 2],
  [['gateway/dist/cli.js', 'install-service', '--bogus'], 2],
  [['gateway/dist/model/train.js', '--bogus'], 2],
  [['gateway/dist/occupancy/occupancy.cli.js', '--bogus'], 2],
  [['gateway/dist/fingerprint/fingerprint.cli.js', '--bogus'], 2],
  [['cloud/dist/cli.js', '--bogus'], 2],
  [['cloud/dist/cli.js', 'user', 'add'], 2],
  [['firmware-config/dist/cli.js', 'render', '--bogus'], 2],
  [['simulators/dist/cli.js', 'generate', '--site', 'boutique', '--out', '/tmp/never', '--duration', '2'], 2],
  [['simulators/dist/cli.js', 'replay', '--bogus'], 2],
  [['simulators/dist/cli.js', 'evaluate', '--site', 'boutique', '--trace', '/nonexistent.ndjson', '--truth', '/nonexistent.ndjson'], 1],
  [['scripts/eval.js', '--bogus'], 2],
];

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!existsSync(join(repoRoot, 'gateway/dist/cli.js')))('CLI usage errors: a reason in one line, no stack trace', () => {
  it('for every CLI and subcommand', { timeout: 180_000 }, async () => {
    // Four at a time: the machine is shared.
    const results: Array<{ args: string[]; code: number | null; stderr: string; want: number }> = [];
    for (let i = 0; i < CASES.length; i += 4) {
      const batch = CASES.slice(i, i + 4);
      results.push(...(await Promise.all(batch.map(async ([args, want]) => ({ args, want, ...(await run(args)) })))));
    }
    for (const r of results) {
      const label = r.args.join(' ');
      expect(r.code, `${label}\n${r.stderr}`).toBe(r.want);
      const first = r.stderr.split('\n')[0] ?? '';
      expect(first.length, label).toBeGreaterThan(5);
      expect(r.stderr, label).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(r.stderr, label).not.toMatch(/node:internal|ERR_PARSE_ARGS/);
    }
  });
});
