import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleSitePath, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { radioWalk, type Waypoint } from '../testing/radio-walk.js';
import { runCalibrate } from './calibrate.cli.js';

const dir = mkdtempSync(join(tmpdir(), 'calibrate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sitePath = exampleSitePath('boutique');
const site = loadSiteFile(sitePath);
if (!site.ok) throw new Error(site.error);
const config = renderGatewayConfig(site.value, site.value.gateways[0]!.id);
/** True reporting biases, ±6 dB away from what the site file declares. */
const truth = new Map(site.value.receivers.map((r, i) => [r.id, r.calibration.rssiOffsetDb + (i % 2 === 0 ? 6 : -6)]));
const startAt = 1_767_600_000_000;

/** The documented procedure: a grid of points ~2-3 m apart inside and in front of the store, 20 s at each. */
const points = [
  [2, 2],
  [6, 2.5],
  [10, 2],
  [10, 5],
  [6, 5],
  [2, 5],
  [2, 8],
  [6, 8],
  [10, 8],
  [3, -2.5],
  [6, -3],
  [9, -2.5],
].map(([x, y], i) => ({ t: i * 30, x: x!, y: y!, floor: 0, dwellS: 20 }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function traceFile(seed: number): string {
  const walk: Waypoint[] = points.flatMap((p) => [
    { t: p.t * 1000, floor: 0, x: p.x, y: p.y },
    { t: (p.t + p.dwellS) * 1000, floor: 0, x: p.x, y: p.y },
  ]);
  const obs = radioWalk(config, 's_reference', startAt, walk, { seed, biasDb: truth, heightDiffM: 1.5 });
  const header = { format: 'storesense-trace', v: 1, siteId: site.ok ? site.value.id : '', startedAt: startAt };
  return write(`trace-${seed}.ndjson`, [header, ...obs].map((o) => JSON.stringify(o)).join('\n') + '\n');
}

function run(args: string[], isTty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCalibrate(args, { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), isTty });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('storesense-gateway calibrate (reference walk -> offsets)', () => {
  const trace = traceFile(11);
  const walkJson = write('walk.json', JSON.stringify(points));

  it('measures each receiver offset within 1.5 dB of its true bias and writes a valid calibrated copy', () => {
    const out = join(dir, 'calibrated.site.json');
    const r = run(['--trace', trace, '--walk', walkJson, '--site', sitePath, '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { subject: string; receivers: { receiverId: string; offsetDb: number }[] };
    expect(report.subject).toBe('s_reference');
    for (const rx of report.receivers) expect(Math.abs(rx.offsetDb - truth.get(rx.receiverId)!)).toBeLessThan(1.5);
    const written = loadSiteFile(out);
    expect(written.ok).toBe(true);
    if (written.ok)
      for (const rx of written.value.receivers) expect(rx.calibration.rssiOffsetDb).toBe(report.receivers.find((x) => x.receiverId === rx.id)!.offsetDb);
    // Everything else is the original file.
    const before = JSON.parse(readFileSync(sitePath, 'utf8')) as { receivers: { calibration?: unknown }[] };
    const after = JSON.parse(readFileSync(out, 'utf8')) as typeof before;
    expect({ ...after, receivers: [] }).toEqual({ ...before, receivers: [] });
  });

  it('reads the walk as CSV too, and prints a table on a terminal', () => {
    const csv = write('walk.csv', `t,x,y,floor,dwell_s\n${points.map((p) => `${p.t},${p.x},${p.y},0,${p.dwellS}`).join('\n')}\n`);
    const r = run(['--trace', trace, '--walk', csv, '--site', sitePath], true);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^reference phone s_reference\nreceiver +readings +declared dB +measured dB/);
    expect(r.stdout).toContain('rx-entrance');
    expect(r.stdout).toContain('(not written: pass --out FILE');
  });

  it('fits path-loss exponents when asked and the distances span enough', () => {
    const r = run(['--trace', trace, '--walk', walkJson, '--site', sitePath, '--fit-path-loss', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { receivers: { receiverId: string; offsetDb: number; exponent?: number }[] };
    for (const rx of report.receivers) {
      const declared = site.ok ? site.value.receivers.find((x) => x.id === rx.receiverId)!.calibration.pathLossExponent : 0;
      if (rx.exponent !== undefined) expect(Math.abs(rx.exponent - declared)).toBeLessThan(0.6);
      expect(Math.abs(rx.offsetDb - truth.get(rx.receiverId)!)).toBeLessThan(2.5);
    }
    expect(report.receivers.some((rx) => rx.exponent !== undefined)).toBe(true);
  });

  it('refuses misuse with one line and exit 2, bad inputs with exit 1', () => {
    for (const [args, code, msg] of [
      [['--trace', trace], 2, /needs --trace, --walk and --site/],
      [['--bogus'], 2, /Unknown option/],
      [['--trace', trace, '--walk', walkJson, '--site', join(dir, 'nope.json')], 1, /cannot read site .*nope.json: ENOENT/],
      [['--trace', trace, '--walk', write('bad.json', '[{"x": 1}]'), '--site', sitePath], 1, /walk: /],
      [['--trace', trace, '--walk', walkJson, '--site', sitePath, '--subject', 's_other'], 1, /s_other is not in the trace/],
      [['--trace', write('empty.ndjson', ''), '--walk', walkJson, '--site', sitePath], 1, /no observations/],
    ] as const) {
      const r = run([...args]);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(run(['--help']).stdout).toContain('Usage: storesense-gateway calibrate');
  });

  it('asks for --subject when the trace holds several phones', () => {
    const two = write(
      'two.ndjson',
      readFileSync(trace, 'utf8') +
        JSON.stringify({ v: 1, at: startAt + 5, source: 'ble', receiverId: 'rx-entrance', subject: 's_shopper', rssiDbm: -70 }) +
        '\n',
    );
    const r = run(['--trace', two, '--walk', walkJson, '--site', sitePath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 subjects; name the reference phone with --subject/);
    expect(run(['--trace', two, '--walk', walkJson, '--site', sitePath, '--subject', 's_reference']).code).toBe(0);
  });
});
