import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.commands.js';
import { silentLogger } from './log.js';
import { tempDir } from './testing/fixtures.js';

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '', logger: silentLogger() } as CliIo & { out: string; err: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.err += t);
  return o;
}

describe('storesense-sim CLI', () => {
  it('generates a member-visit scenario without background traffic', async () => {
    const out = tempDir();
    const c = io();
    const code = await runCli(
      [
        'generate',
        '--site',
        'boutique',
        '--seed',
        '3',
        '--duration',
        '3m',
        '--out',
        out,
        '--shoppers-per-hour',
        '0',
        '--scenario',
        'member-visit',
        '--member',
        'M0001',
      ],
      c,
    );
    expect(c.err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(c.out) as { observations: number; truthEvents: number; shoppers: number };
    expect(summary).toMatchObject({ truthEvents: 6, shoppers: 1 });
    const truth = readFileSync(join(out, 'truth.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as { type: string; memberId?: string });
    expect(truth.map((e) => e.type)).toEqual(['approach', 'arrival', 'dwell', 'dwell', 'purchase', 'exit']);
    expect(truth.every((e) => e.memberId === 'M0001')).toBe(true);
  });

  it("generates staff devices from --staff or a scenario file's staff key: observations, no truth; a bad spot is a usage error", async () => {
    const dir = tempDir();
    const scenario = join(dir, 'staff.json');
    writeFileSync(scenario, JSON.stringify({ shoppersPerHour: 0, staff: [{ placements: ['door'] }] }));
    const subjectsOf = (out: string) =>
      new Set(
        readFileSync(join(out, 'trace.ndjson'), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => (JSON.parse(l) as { subject: string }).subject),
      );
    for (const args of [
      ['--scenario', scenario],
      ['--shoppers-per-hour', '0', '--staff', 'fixed:counter,registered:door'],
    ]) {
      const out = join(dir, args[1]!.replace(/\W/g, ''));
      const c = io();
      expect(await runCli(['generate', '--site', 'boutique', '--duration', '2m', '--out', out, ...args], c)).toBe(0);
      expect(JSON.parse(c.out)).toMatchObject({ truthEvents: 0, shoppers: 0 });
      const subjects = [...subjectsOf(out)].filter((s) => !s.startsWith('w_'));
      expect(subjects.length, args.join(' ')).toBe(args[0] === '--scenario' ? 1 : 2);
      if (args[0] !== '--scenario') expect(subjects.some((s) => s.startsWith('staff_'))).toBe(true);
    }
    const bad = io();
    expect(await runCli(['generate', '--site', 'boutique', '--out', dir, '--staff', 'roof'], bad)).toBe(2);
    expect(bad.err).toMatch(/"roof" is not one of door, counter, stockroom/);
  }, 60_000);

  it('honours --start and rejects bad arguments with exit code 2', async () => {
    const out = tempDir();
    const c = io();
    expect(await runCli(['generate', '--site', 'boutique', '--duration', '30s', '--start', '2026-02-01T08:00:00Z', '--out', out], c)).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'trace.ndjson'), 'utf8').split('\n')[0]!)).toMatchObject({
      startedAt: Date.parse('2026-02-01T08:00:00Z'),
      durationMs: 30_000,
    });
    for (const args of [
      ['generate', '--out', out],
      ['generate', '--site', 'boutique', '--out', out, '--duration', 'forever'],
      ['generate', '--site', 'boutique', '--out', out, '--start', 'yesterday'],
      ['generate', '--site', 'boutique', '--out', out, '--scenario', 'member-visit', '--member', 'NOBODY'],
      ['generate', '--site', 'boutique', '--out', out, '--scenario', 'moonwalk'],
      ['generate', '--site', 'boutique', '--out', out, '--bogus'],
      ['generate', '--site', 'boutique', '--out', out, '--seed', '1.5'],
      ['generate', '--site', 'boutique', '--out', out, '--shoppers-per-hour', '-3'],
      ['generate', '--site', 'boutique', '--out', out, '--member-share', '2'],
      ['replay', '--trace', 'x'],
      ['teleport'],
    ]) {
      const e = io();
      expect(await runCli(args, e), args.join(' ')).toBe(2);
      expect(e.err).toMatch(/^storesense-sim: /);
    }
  });

  it('reports an unknown site file or an invalid site clearly (exit 1)', async () => {
    const dir = tempDir();
    const c = io();
    expect(await runCli(['generate', '--site', join(dir, 'missing.site.json'), '--out', dir], c)).toBe(1);
    expect(c.err).toMatch(/cannot read site file .*missing\.site\.json: ENOENT/);
    writeFileSync(join(dir, 'bad.site.json'), JSON.stringify({ version: 1, id: 'x' }));
    const d = io();
    expect(await runCli(['generate', '--site', join(dir, 'bad.site.json'), '--out', dir], d)).toBe(1);
    expect(d.err).toMatch(/invalid site: .*stores/);
  });

  it('replays a generated trace to an HTTP gateway API, skipping malformed lines', async () => {
    const dir = tempDir();
    expect(
      await runCli(
        ['generate', '--site', 'boutique', '--duration', '20s', '--out', dir, '--shoppers-per-hour', '0', '--scenario', 'member-visit', '--member', 'M0002'],
        io(),
      ),
    ).toBe(0);
    const tracePath = join(dir, 'trace.ndjson');
    const lines = readFileSync(tracePath, 'utf8').split('\n');
    lines.splice(3, 0, '{"garbage": true}');
    writeFileSync(tracePath, lines.join('\n'));
    let received = 0;
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received += body.trim().split('\n').length;
        res.statusCode = 202;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const c = io();
      expect(await runCli(['replay', '--trace', tracePath, '--speed', '1000', '--to', `http://127.0.0.1:${port}`], c)).toBe(0);
      const r = JSON.parse(c.out) as { sent: number; rejectedLines: number; retokened: number; unknownTokens: number };
      expect(r.rejectedLines).toBe(1);
      // Rebased to now: the member's tokens were re-derived with the demo members' keys.
      expect(r.retokened).toBe(r.sent);
      expect(r.unknownTokens).toBe(0);
      expect(r.sent).toBe(lines.length - 3); // minus header, garbage and the trailing empty line
      expect(received).toBe(r.sent);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('evaluates a generated trace against its truth with the gateway pipeline', async () => {
    const dir = tempDir();
    expect(
      await runCli(
        ['generate', '--site', 'boutique', '--duration', '3m', '--out', dir, '--shoppers-per-hour', '0', '--scenario', 'member-visit', '--member', 'M0001'],
        io(),
      ),
    ).toBe(0);
    const c = io();
    const eventsOut = join(dir, 'events.ndjson');
    expect(
      await runCli(
        ['evaluate', '--site', 'boutique', '--trace', join(dir, 'trace.ndjson'), '--truth', join(dir, 'truth.ndjson'), '--events-out', eventsOut],
        c,
      ),
    ).toBe(0);
    const r = JSON.parse(c.out) as { truthEvents: number; detectedEvents: number; kinds: Record<string, { truth: number }>; memberAccuracy: number | null };
    expect(r.truthEvents).toBe(6);
    expect(r.kinds['purchase']!.truth).toBe(1);
    expect(readFileSync(eventsOut, 'utf8').trim().split('\n')).toHaveLength(r.detectedEvents);
    const bad = io();
    expect(
      await runCli(['evaluate', '--site', 'boutique', '--trace', join(dir, 'trace.ndjson'), '--truth', join(dir, 'truth.ndjson'), '--gateway-id', 'nope'], bad),
    ).toBe(2);
    expect(bad.err).toMatch(/gateway "nope"/);
  });

  const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  it.skipIf(!existsSync(bin))('runs as a built binary (dist/cli.js)', { timeout: 30_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'help']);
    expect(stdout).toMatch(/storesense-sim <command>/);
    const failed = await promisify(execFile)(process.execPath, [bin, 'replay', '--trace', '/nonexistent.ndjson', '--to', 'http://127.0.0.1:9']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/cannot read trace file/);
  });
});
