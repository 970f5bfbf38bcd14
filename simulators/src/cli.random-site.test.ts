import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSiteFile } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.commands.js';
import { SITE_FAMILIES } from './random-site/random-site.js';
import { silentLogger } from './log.js';
import { tempDir } from './testing/fixtures.js';

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '', logger: silentLogger() } as CliIo & { out: string; err: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.err += t);
  return o;
}

describe('storesense-sim random-site', () => {
  it('writes a loadable site file, the same bytes for the same seed and family', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.site.json');
    const b = join(dir, 'b.site.json');
    const c = io();
    expect(await runCli(['random-site', '--seed', '42', '--family', 'flagship', '--out', a], c)).toBe(0);
    expect(await runCli(['random-site', '--seed', '42', '--family', 'flagship', '--out', b], c)).toBe(0);
    expect(c.err).toBe('');
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    const site = loadSiteFile(a);
    expect(site.ok).toBe(true);
    expect(JSON.parse(c.out.split('\n')[0]!)).toMatchObject({ out: a, family: 'flagship', seed: 42, siteId: 'rnd-flagship-42' });
  });

  it('prints the site to stdout without --out, and lists the families', async () => {
    const c = io();
    expect(await runCli(['random-site', '--seed', '3', '--family', 'kiosk'], c)).toBe(0);
    expect(JSON.parse(c.out)).toMatchObject({ id: 'rnd-kiosk-3', version: 1 });
    const l = io();
    expect(await runCli(['random-site', '--list-families'], l)).toBe(0);
    expect(
      l.out
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[0]),
    ).toEqual([...SITE_FAMILIES]);
    const h = io();
    expect(await runCli(['random-site', '--help'], h)).toBe(0);
    expect(h.out).toContain('--family F');
  });

  it('writes a batch of seeds and families into a directory, the same bytes as one at a time', async () => {
    const dir = tempDir();
    const c = io();
    expect(await runCli(['random-site', '--seeds', '1-3,7', '--family', 'kiosk,anchor', '--out-dir', dir], c)).toBe(0);
    const lines = c.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { out: string; family: string; seed: number });
    expect(lines.map((l) => `${l.family}-${l.seed}`)).toEqual(['kiosk-1', 'kiosk-2', 'kiosk-3', 'kiosk-7', 'anchor-1', 'anchor-2', 'anchor-3', 'anchor-7']);
    const single = io();
    expect(await runCli(['random-site', '--seed', '7', '--family', 'anchor'], single)).toBe(0);
    expect(readFileSync(join(dir, 'anchor-7.site.json'), 'utf8')).toBe(single.out);
  });

  it('--stats describes families in figures without writing files', async () => {
    const c = io();
    expect(await runCli(['random-site', '--seeds', '1-20', '--family', 'kiosk,boutique', '--stats'], c)).toBe(0);
    const [kiosk, boutique] = c.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { family: string; sites: number; shares: Record<string, number>; areaM2PerFloor: { min: number; max: number } });
    expect(kiosk).toMatchObject({ family: 'kiosk', sites: 20, shares: { noInside: 1, doorsOnTwoWalls: 1, cutCorner: 0 } });
    expect(kiosk!.areaM2PerFloor.max).toBeLessThanOrEqual(30);
    expect(boutique!.areaM2PerFloor.min).toBeGreaterThanOrEqual(50);
    expect(boutique!.shares.noInside).toBeGreaterThan(0);
    expect(boutique!.shares.noInside).toBeLessThan(1);
  });

  it('refuses misuse with exit code 2 and a one-line reason', async () => {
    for (const [args, reason] of [
      [['random-site', '--family', 'kiosk'], 'random-site needs --seed'],
      [['random-site', '--seed', '1'], 'random-site needs --family'],
      [['random-site', '--seed', '1', '--family', 'castle'], '--family "castle" is not one of boutique, department'],
      [['random-site', '--seed', '1.5', '--family', 'kiosk'], '--seed expects an integer'],
      [['random-site', '--seed', '1', '--family', 'kiosk', '--colour', 'red'], 'Unknown option'],
      [['random-site', '--seeds', '1-3', '--family', 'kiosk'], '--seeds needs --out-dir'],
      [['random-site', '--seed', '1', '--family', 'kiosk', '--stats'], '--stats goes with --seeds'],
      [['random-site', '--seeds', '1', '--family', 'kiosk', '--stats', '--out-dir', '.'], '--stats writes no files'],
      [['random-site', '--seeds', '5-1', '--family', 'kiosk', '--out-dir', '.'], 'must run from a lower to a higher integer'],
      [['random-site', '--seeds', 'a-b', '--family', 'kiosk', '--out-dir', '.'], 'is not a list like 1-100'],
      [['random-site', '--seeds', '1', '--seed', '1', '--family', 'kiosk', '--out-dir', '.'], '--seeds goes with --out-dir'],
      [['random-site', '--seed', '1', '--family', 'kiosk', '--out-dir', '.'], '--out-dir goes with --seeds'],
      [['random-site', '--seeds', '1', '--family', 'kiosk,castle', '--out-dir', '.'], '--family "castle"'],
    ] as const) {
      const c = io();
      expect(await runCli([...args], c), args.join(' ')).toBe(2);
      expect(c.err.split('\n')[0]).toContain(reason);
    }
  });

  it('says why it cannot write the file (exit code 1)', async () => {
    const c = io();
    expect(await runCli(['random-site', '--seed', '1', '--family', 'kiosk', '--out', join(tempDir(), 'missing', 'x.json')], c)).toBe(1);
    expect(c.err).toMatch(/^storesense-sim: cannot write .*ENOENT\n$/);
  });
});
