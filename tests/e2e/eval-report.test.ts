import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// scripts/eval.figures.js and eval.report.js are plain ESM scripts (no types): loaded by URL.
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const figures: any = await import(pathToFileURL(join(root, 'scripts/eval.figures.js')).href);
const report: any = await import(pathToFileURL(join(root, 'scripts/eval.report.js')).href);

const TYPES = ['approach', 'arrival', 'dwell', 'floor_change', 'purchase', 'exit'];
/** An evaluate --json result with the given macro F1 and arrival counts; other kinds perfect. */
function result(macroF1: number, arrival: { support: number; detected: number; matched: number; p50?: number; p95?: number }) {
  const byType: Record<string, unknown> = {};
  for (const t of TYPES) byType[t] = { support: 10, detected: 10, matched: 10, latencyP50Ms: 1000, latencyP95Ms: 2000 };
  byType['arrival'] = {
    support: arrival.support,
    detected: arrival.detected,
    matched: arrival.matched,
    latencyP50Ms: arrival.p50 ?? 2000,
    latencyP95Ms: arrival.p95 ?? 5000,
  };
  return { macroF1, byType, floorChangesCorrect: 10, floorChangeAccuracy: 1, falseExitsPerSubjectHour: 0, toleranceMs: { arrival: 15000 } };
}
const row = (site: string, family: string | null, level: string, seed: number, classifier: string, res: unknown) => ({
  site,
  family,
  kind: family ? 'random' : 'example',
  heldOut: false,
  level,
  seed,
  classifier,
  command: 'node …',
  result: res,
});

describe('eval figures', () => {
  it('pools counts over traces and takes the median of per-trace latencies', () => {
    const p = figures.pool([
      result(0.9, { support: 10, detected: 10, matched: 9, p50: 1000 }),
      result(0.8, { support: 10, detected: 12, matched: 10, p50: 3000 }),
      result(1, { support: 0, detected: 0, matched: 0, p50: 2000 }),
    ]);
    expect(p.traces).toBe(3);
    expect(p.macroF1).toBeCloseTo(0.9, 9);
    expect(p.figures.arrival.precision).toBeCloseTo(19 / 22, 9);
    expect(p.figures.arrival.recall).toBeCloseTo(19 / 20, 9);
    expect(p.figures.arrival.latencyP50Ms).toBe(2000);
  });

  it('counts the false arrivals a staff phone adds over the same site and seed without it', () => {
    const rows = [
      row('a', null, 'default', 1, 'onnx', result(0.9, { support: 10, detected: 11, matched: 10 })),
      row('a', null, 'staff', 1, 'onnx', result(0.8, { support: 10, detected: 14, matched: 10 })),
      row('b', null, 'default', 1, 'onnx', result(0.9, { support: 10, detected: 12, matched: 10 })),
      row('b', null, 'staff', 1, 'onnx', result(0.9, { support: 10, detected: 11, matched: 10 })),
      row('c', null, 'staff', 1, 'onnx', { ...result(0.9, { support: 1, detected: 1, matched: 1 }), staff: { falseArrivals: 2 } }),
    ];
    expect(figures.staffFalseArrivals(rows).map((s: { site: string; extra: number; raw: number }) => [s.site, s.extra, s.raw])).toEqual([
      ['a', 3, 3],
      ['b', 0, -1],
      ['c', 2, 2],
    ]);
  });
});

describe('renderAccuracy', () => {
  const site = (name: string, family: string | null, heldOut: boolean, domain: string) => ({
    name,
    kind: family ? 'random' : 'example',
    family,
    file: `${name}.site.json`,
    heldOut,
    heldOutBy: heldOut ? 'HELD_OUT_FAMILIES "kiosk"' : undefined,
    trained: !heldOut,
    domain,
    domainFindings: domain === 'outside' ? ['no receiver with role "inside": every training site had one'] : [],
    siteSeed: 9001,
  });
  const base = {
    generateCommands: [],
    seeds: [101],
    familySeeds: [101],
    staffSpec: 'door',
    notes: ['No harsh realism level: `simulators/scenarios/harsh.json` is not in this build.'],
    families: ['kiosk'],
    heldOutFamilies: { list: ['kiosk'], source: 'test' },
    trainedDomain: { source: 'test', families: [], siteCount: 2 },
    duration: '30m',
    jobs: 2,
    model: 'm.onnx',
    modelSha: 'x',
    scope: { sites: ['boutique'], seeds: '1-6' },
    uji: { ran: false, reason: 'absent' },
    machine: { cpu: 'cpu', cores: 2, memGiB: 1, node: 'v20' },
    commit: 'abc',
    date: 'now',
    timing: { totalMs: 1000, evalMs: 500, generated: 1, cached: 0 },
    cacheDir: 'data/eval',
  };
  const sites = [site('boutique', null, false, 'inside'), site('kiosk-9001', 'kiosk', true, 'outside')];
  const rows = [
    row('boutique', null, 'default', 101, 'rules', result(0.9, { support: 20, detected: 20, matched: 20 })),
    row('boutique', null, 'default', 101, 'onnx', result(0.95, { support: 20, detected: 20, matched: 20 })),
    row('kiosk-9001', 'kiosk', 'default', 101, 'rules', result(0.7, { support: 10, detected: 10, matched: 8 })),
    row('kiosk-9001', 'kiosk', 'default', 101, 'onnx', result(0.1, { support: 10, detected: 1, matched: 1, p50: 1500, p95: 4000 })),
    row('kiosk-9001', 'kiosk', 'staff', 101, 'onnx', result(0.1, { support: 10, detected: 3, matched: 1 })),
    row('kiosk-9001', 'kiosk', 'staff', 101, 'rules', result(0.7, { support: 10, detected: 10, matched: 8 })),
  ];

  it('fails the held-out family honestly, counts what it cannot measure apart, and shows the domain', () => {
    const md: string = report.renderAccuracy({
      ...base,
      sites,
      rows,
      levels: [
        { name: 'default', args: '' },
        { name: 'staff', args: '--staff door' },
      ],
      occupancy: { ran: true, markdown: 'MAE table', targets: [{ label: 'day 2 MAE ≤ 2', value: '1.5', ok: true }] },
    });
    expect(md).toContain('| kiosk (random, 1 sites), default: ONNX macro F1 ≥ 0.93 | 0.100 | **FAIL** |');
    expect(md).toContain('| kiosk (random, 1 sites), default: ONNX ahead of the rules | 0.100 vs 0.700 | **FAIL** |');
    expect(md).toContain('| kiosk (random, 1 sites), harsh: ONNX macro F1 ≥ 0.85 | no harsh level in this build | not measured |');
    expect(md).toContain('| held out, pooled, default: arrival recall ≥ 0.97 | 0.100 | **FAIL** |');
    expect(md).toContain('| held out, default: ONNX arrival latency p50 ≤ 2.5 s (median of per-trace p50) | 1.5 s | pass |');
    expect(md).toContain('| no family or site below ONNX macro F1 0.85 at default | lowest 0.100 (kiosk (random, 1 sites)) | **FAIL** |');
    expect(md).toContain('| staff phone by the door: ONNX false arrivals = 0 | 2 over 1 traces | **FAIL** |');
    expect(md).toContain('| WiFi occupancy: day 2 MAE ≤ 2 | 1.5 | pass |');
    expect(md).toContain('MAE table');
    expect(md).toMatch(/\| kiosk \(random, 1 sites\) \| default \| held out \(HELD_OUT_FAMILIES "kiosk"\) \| outside: rules \| 1 \|/);
    expect(md).toContain('- kiosk-9001: no receiver with role "inside": every training site had one');
    expect(md).toMatch(/\d+ of \d+ checked targets pass; \*\*\d+ FAIL\*\*; 1 not measured on this build/);
  });

  it('says so when no family is held out and no occupancy module exists', () => {
    const md: string = report.renderAccuracy({
      ...base,
      families: [],
      heldOutFamilies: { list: [], source: 'none' },
      sites: [sites[0]],
      rows: rows.slice(0, 2),
      levels: [{ name: 'default', args: '' }],
      occupancy: { ran: false, reason: 'scripts/eval.occupancy.js is absent from this build', markdown: '' },
    });
    expect(md).toContain('| held-out families scored | none in this build | not measured |');
    expect(md).toContain('Not scored: scripts/eval.occupancy.js is absent from this build.');
    expect(md).toContain('| staff phone by the door: 0 false arrivals | no staff level in this build | not measured |');
  });
});
