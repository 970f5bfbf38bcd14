import { exampleSitePath } from '@storesense/firmware-config';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.commands.js';
import { silentLogger } from './log.js';
import { tempDir } from './testing/fixtures.js';

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '', logger: silentLogger() } as CliIo & { out: string; err: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.err += t);
  return o;
}

describe('storesense-sim evaluate --json / --human', () => {
  // The held-out site: evaluate must work on a site no model was trained on.
  const site = exampleSitePath('sports-store');
  let dir = '';
  beforeAll(async () => {
    dir = tempDir();
    expect(await runCli(['generate', '--site', site, '--seed', '5', '--duration', '4m', '--out', dir], io())).toBe(0);
  });
  const args = () => ['evaluate', '--site', site, '--trace', join(dir, 'trace.ndjson'), '--truth', join(dir, 'truth.ndjson')];

  it('--json prints one object with byType, the overall figures and the tolerances', async () => {
    const c = io();
    expect(await runCli([...args(), '--json'], c)).toBe(0);
    expect(c.out.trim().split('\n')).toHaveLength(1);
    const r = JSON.parse(c.out) as Record<string, unknown> & { byType: Record<string, Record<string, unknown>>; kinds: Record<string, { truth: number }> };
    expect(Object.keys(r.byType).sort()).toEqual(['approach', 'arrival', 'dwell', 'exit', 'floor_change', 'purchase']);
    for (const figures of Object.values(r.byType)) {
      expect(Object.keys(figures)).toEqual(expect.arrayContaining(['precision', 'recall', 'f1', 'latencyP50Ms', 'latencyP95Ms', 'support']));
    }
    expect(r.byType['arrival']!['support']).toBe(r.kinds['arrival']!.truth);
    expect(r.byType['arrival']!['support']).toBeGreaterThan(0);
    expect(typeof r['macroF1']).toBe('number');
    expect(r).toHaveProperty('dwellErrorMedianMs');
    expect(r).toHaveProperty('floorChangeAccuracy');
    expect(r).toHaveProperty('falseExitsPerSubjectHour');
    expect(r['toleranceMs']).toMatchObject({ arrival: 10_000, exit: 30_000 });
    expect(r['gatewayId']).toBe('gw-sports-1');
  });

  it('refuses a trace of another site instead of scoring zeros (exit 2, one line naming both sites)', async () => {
    const c = io();
    const code = await runCli(
      ['evaluate', '--site', exampleSitePath('boutique'), '--trace', join(dir, 'trace.ndjson'), '--truth', join(dir, 'truth.ndjson'), '--json'],
      c,
    );
    expect(code).toBe(2);
    expect(c.out).toBe('');
    expect(c.err).toMatch(
      /^storesense-sim: trace \S+trace\.ndjson is of site [\w-]+ .*but --site \S+boutique\.site\.json is site mall-bj-01: evaluate it with its own site file\n/,
    );
  });

  it('--human prints the report with the same macro F1', async () => {
    const j = io();
    const h = io();
    expect(await runCli([...args(), '--json'], j)).toBe(0);
    expect(await runCli([...args(), '--human'], h)).toBe(0);
    const macro = (JSON.parse(j.out) as { macroF1: number }).macroF1;
    expect(h.out).toMatch(/^type\s+support\s+detected\s+matched\s+precision\s+recall\s+F1\s+latency p50\s+latency p95\s+tolerance$/m);
    expect(h.out).toMatch(new RegExp(`^macro F1 \\([a-z_, ]+\\)\\s+${macro.toFixed(3).replace('.', '\\.')}$`, 'm'));
    expect(h.out).toMatch(/Matching: per subject and kind/);
    const both = io();
    expect(await runCli([...args(), '--json', '--human'], both)).toBe(2);
    expect(both.err).toMatch(/exclude each other/);
  });
});
