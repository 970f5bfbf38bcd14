import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.commands.js';
import { silentLogger } from './log.js';
import { tempDir } from './testing/fixtures.js';

/** Terminal escapes (cursor moves, line clears) as cli-progress writes them. */
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, 'g');

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;

/** An io as a terminal session has it (stdout and stderr TTYs), or as a pipe has it. */
function io(tty: boolean): CliIo & { out: string; bar: string } {
  const o = { out: '', bar: '', logger: silentLogger(), stdoutIsTty: tty } as CliIo & { out: string; bar: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.bar += t);
  o.progress = { isTTY: tty, columns: 120, write: (t: string) => ((o.bar += t), true) };
  return o;
}
const plain = (s: string) => s.replace(ANSI, '\n');

describe('long simulator jobs show progress on a terminal, are quiet when piped; human output by default on a terminal', { timeout: 60_000 }, () => {
  it('generate: a bar in simulated time and a readable report on a TTY; JSON and no bar when piped; --json wins', async () => {
    const args = (out: string) => ['generate', '--site', 'boutique', '--seed', '2', '--duration', '10m', '--out', out];
    const tty = io(true);
    expect(await runCli(args(tempDir()), tty)).toBe(0);
    const bar = plain(tty.bar);
    expect(bar).toMatch(/generate \[[=-]{24}\] 100% \| 10m\/10m \| ETA/);
    expect(bar).toMatch(/generate \[[=-]{24}\] \d+% \| \d+(m\d\ds|s|m)\/10m/); // intermediate states drawn too
    expect(tty.out).toMatch(/^generated 10m of .+ \(seed 2\) from 2026-01-05T10:00:00\.000Z in \d+\.\d s/);
    expect(tty.out).toMatch(/\n {2}trace {3}\S+trace\.ndjson {3}[\d,]+ observations, [\d.]+ [kM]B\n/);
    expect(() => JSON.parse(tty.out)).toThrow();

    const piped = io(false);
    expect(await runCli(args(tempDir()), piped)).toBe(0);
    expect(piped.bar).toBe('');
    expect(JSON.parse(piped.out)).toMatchObject({ durationMs: 600_000 });

    const forced = io(true);
    expect(await runCli([...args(tempDir()), '--json'], forced)).toBe(0);
    expect(JSON.parse(forced.out)).toMatchObject({ durationMs: 600_000 });
    expect(await runCli([...args(tempDir()), '--json', '--human'], io(true))).toBe(2);
  });

  it('replay: a bar in trace time and a human report on a TTY; JSON and no bar when piped', async () => {
    const dir = tempDir();
    expect(await runCli(['generate', '--site', 'boutique', '--seed', '4', '--duration', '2m', '--out', dir], io(false))).toBe(0);
    let posted = 0;
    const server = createServer((req, res) => {
      req.on('data', (d: Buffer) => (posted += d.toString().split('\n').filter(Boolean).length));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":1}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const args = ['replay', '--trace', join(dir, 'trace.ndjson'), '--to', url, '--speed', '1000'];
      const tty = io(true);
      expect(await runCli(args, tty)).toBe(0);
      expect(plain(tty.bar)).toMatch(/replay \[[=-]{24}\] 100% \| 2m\/2m \| ETA \S+ \| [\d,]+ sent/);
      expect(tty.out).toMatch(
        /^replayed [\dms]+ of \S+trace\.ndjson to http:\/\/127\.0\.0\.1:\d+ at 1000x in \d+\.\d s\n {2}sent [\d,]+ observations in [\d,]+ batches, none failed\n/,
      );
      const sent = posted;
      expect(sent).toBeGreaterThan(0);
      const piped = io(false);
      expect(await runCli(args, piped)).toBe(0);
      expect(piped.bar).toBe('');
      expect(JSON.parse(piped.out)).toMatchObject({ sent, failedBatches: 0 });
    } finally {
      server.close();
    }
  });

  it('evaluate: a read bar and a run bar on a TTY; none when piped', async () => {
    const dir = tempDir();
    expect(await runCli(['generate', '--site', 'boutique', '--seed', '5', '--duration', '5m', '--out', dir], io(false))).toBe(0);
    const args = ['evaluate', '--site', 'boutique', '--trace', join(dir, 'trace.ndjson'), '--truth', join(dir, 'truth.ndjson')];
    const tty = io(true);
    expect(await runCli(args, tty)).toBe(0);
    const bar = plain(tty.bar);
    expect(bar).toMatch(/evaluate: read \[[=-]{24}\] 100% \| 5m\/5m/);
    expect(bar).toMatch(/evaluate: run {2}\[[=-]{24}\] 100% \| [\dms]+\/[\dms]+ \| ETA \S+ \| rules/);
    expect(tty.out).not.toMatch(/^\{/); // the human report
    const piped = io(false);
    expect(await runCli(args, piped)).toBe(0);
    expect(piped.bar).toBe('');
    expect(JSON.parse(piped.out)).toHaveProperty('macroF1');
  });

  // The real thing: the built CLI on a pseudo-terminal (util-linux `script`), and on pipes.
  it.skipIf(!hasScript || !existsSync(CLI))('the built CLI draws its bar on a pseudo-TTY and prints nothing but JSON on a pipe', () => {
    const dir = tempDir();
    const cmd = `${process.execPath} ${CLI} generate --site boutique --seed 2 --duration 10m --out ${join(dir, 'tty')}`;
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '120' } });
    expect(tty.status).toBe(0);
    expect(plain(tty.stdout)).toMatch(/generate \[[=-]{24}\] 100% \| 10m\/10m/);
    expect(tty.stdout).toMatch(/generated 10m of /);
    const piped = spawnSync(process.execPath, [CLI, 'generate', '--site', 'boutique', '--seed', '2', '--duration', '10m', '--out', join(dir, 'pipe')], {
      encoding: 'utf8',
    });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    expect(JSON.parse(piped.stdout)).toMatchObject({ durationMs: 600_000 });
  });
});
