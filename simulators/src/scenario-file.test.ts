import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.commands.js';
import { silentLogger } from './log.js';
import {
  applySets,
  loadScenarioFile,
  scenarioJsonSchemaText,
  scenarioPresetDir,
  scenarioPresetNames,
  scenarioWorldOptions,
  validateScenario,
} from './scenario-file.js';
import { exampleSite, tempDir } from './testing/fixtures.js';
import { createWorld } from './world.js';

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '', logger: silentLogger() } as CliIo & { out: string; err: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.err += t);
  return o;
}

describe('scenario file validation', () => {
  it('reports every problem at once, each with its path', () => {
    const r = validateScenario({
      shoppersPerHour: -1,
      radio: { shadowingSigmaDb: 50, shadowing: 3 },
      intentMix: { walk_in: 0.3 },
      advertIntervalMix: { fast: 1 },
      plan: { longDwellKinds: ['cafe'] },
      calibration: { offsetErrorDb: 'six' },
      staff: [{ placements: ['roof'] }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.issues.map((i) => i.slice(0, i.indexOf(':')));
    expect(paths).toEqual(
      expect.arrayContaining([
        'shoppersPerHour',
        'radio.shadowingSigmaDb',
        'radio',
        'intentMix',
        'advertIntervalMix.fast',
        'plan.longDwellKinds[0]',
        'calibration.offsetErrorDb',
        'staff[0].placements[0]',
      ]),
    );
    expect(r.issues.find((i) => i.startsWith('radio:'))).toContain('shadowing');
  });

  it('checks calibration receiver ids against the site', () => {
    const parsed = validateScenario({ calibration: { trueOffsetsDb: { 'rx-entrance': 6, 'rx-ghost': -6 } } });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const r = scenarioWorldOptions(
      parsed.value,
      exampleSite('boutique').receivers.map((x) => x.id),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toEqual(['calibration.trueOffsetsDb.rx-ghost: unknown receiver "rx-ghost"']);
  });

  it('applies --set path=value as JSON when it parses, else as a string, and refuses bad paths', () => {
    expect(
      applySets({ radio: { baseLossRate: 0.2 } }, ['radio.shadowingSigmaDb=6', 'plan.longDwellKinds=["fitting","service"]', 'description=harsh day']),
    ).toEqual({
      radio: { baseLossRate: 0.2, shadowingSigmaDb: 6 },
      plan: { longDwellKinds: ['fitting', 'service'] },
      description: 'harsh day',
    });
    expect(() => applySets({}, ['radio.shadowingSigmaDb'])).toThrow(/path=value/);
    expect(() => applySets({}, ['__proto__.x=1'])).toThrow(/bad path/);
  });

  it("ships presets that all validate, harsh included with the issue's realistic-noise settings", () => {
    const names = scenarioPresetNames();
    expect(names).toEqual(expect.arrayContaining(['harsh', 'miscalibrated', 'realistic']));
    for (const f of readdirSync(scenarioPresetDir).filter((x) => x.endsWith('.json') && !x.endsWith('.schema.json'))) {
      const r = loadScenarioFile(join(scenarioPresetDir, f));
      expect(r.ok, `${f}: ${r.ok ? '' : r.error}`).toBe(true);
    }
    const harsh = loadScenarioFile('harsh');
    expect(harsh.ok).toBe(true);
    if (!harsh.ok) return;
    expect(harsh.value.bleRotationMs).toBe(15 * 60_000);
    expect(harsh.value.radio!.shadowingSigmaDb!).toBeGreaterThan(4);
    expect(harsh.value.radio!.baseLossRate!).toBeGreaterThan(0.1);
    expect(harsh.value.staff).toEqual([{ kind: 'phone', placements: ['door'] }]);
  });

  it("puts the scenario's staff devices in the world: heard, never in the truth", () => {
    const harsh = loadScenarioFile('harsh');
    if (!harsh.ok) throw new Error(harsh.error);
    const site = exampleSite('boutique');
    const options = scenarioWorldOptions(
      harsh.value,
      site.receivers.map((r) => r.id),
    );
    if (!options.ok) throw new Error(options.error);
    const world = createWorld({ site, seed: 2, durationMs: 5 * 60_000, ...options.value });
    expect(world.staff).toHaveLength(1);
    const staffSubjects = new Set(world.staff.flatMap((d) => d.subjects.map((x) => x.subject)));
    const heard = [...world.observations()].filter((o) => staffSubjects.has(o.subject)).length;
    expect(heard).toBeGreaterThan(100);
    expect(world.truth().filter((e) => staffSubjects.has(e.subject))).toEqual([]);
  }, 60_000);
});

describe('scenario.schema.json', () => {
  it('is up to date (regenerate: storesense-sim scenario-schema --out simulators/scenarios/scenario.schema.json)', () => {
    expect(readFileSync(join(scenarioPresetDir, 'scenario.schema.json'), 'utf8')).toBe(scenarioJsonSchemaText());
    expect(scenarioPresetNames()).not.toContain('scenario.schema');
  });
});

describe('per-receiver calibration truth', () => {
  const site = exampleSite('dept-store');
  const base = { site, seed: 3, durationMs: 60_000, shoppersPerHour: 0 };

  it('moves each real bias off the declared one by up to ±offsetErrorDb, leaving the small errors as they were', () => {
    const calm = createWorld(base).receiverOffsets;
    const off = createWorld({ ...base, calibration: { offsetErrorDb: 6 } }).receiverOffsets;
    const shifts = off.map((r, i) => r.trueOffsetDb - calm[i]!.trueOffsetDb);
    expect(shifts.every((d) => Math.abs(d) <= 6)).toBe(true);
    expect(shifts.filter((d) => Math.abs(d) > 2).length).toBeGreaterThan(site.receivers.length / 3);
    expect(off.map((r) => r.declaredOffsetDb)).toEqual(site.receivers.map((r) => r.calibration.rssiOffsetDb));
    expect(createWorld({ ...base, calibration: { offsetErrorDb: 6 } }).receiverOffsets).toEqual(off);
  });

  it('sets exact real biases that show in the reported levels', () => {
    const opts = { site: exampleSite('boutique'), seed: 4, durationMs: 10 * 60_000, shoppersPerHour: 600 };
    const level = (w: ReturnType<typeof createWorld>) => {
      let sum = 0;
      let n = 0;
      for (const b of w.observationBatches()) for (const o of b) if (o.receiverId === 'rx-entrance') (sum += o.rssiDbm ?? 0), n++;
      return { mean: sum / n, n };
    };
    const normal = createWorld(opts);
    const hot = createWorld({ ...opts, calibration: { trueOffsetsDb: { 'rx-entrance': 1.5 + 6 } } });
    expect(hot.receiverOffsets.find((r) => r.id === 'rx-entrance')!.trueOffsetDb).toBe(7.5);
    expect(hot.truth()).toEqual(normal.truth());
    const a = level(normal);
    const b = level(hot);
    // ~6 dB hotter (minus the N(0, 1) error it replaced); more adverts clear sensitivity too.
    expect(b.n).toBeGreaterThan(a.n);
    expect(b.mean - a.mean).toBeGreaterThan(2);
  }, 60_000);
});

describe('generate --scenario', () => {
  it('runs a preset by name and a file by path, byte-identical per seed, and writes receivers.truth.json', async () => {
    const dir = tempDir();
    const file = join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify({ shoppersPerHour: 300, radio: { shadowingSigmaDb: 6 }, calibration: { offsetErrorDb: 6 } }));
    const outs: string[] = [];
    for (const scenario of ['harsh', file, file]) {
      const out = tempDir();
      const c = io();
      expect(await runCli(['generate', '--site', 'boutique', '--seed', '5', '--duration', '2m', '--scenario', scenario, '--out', out], c)).toBe(0);
      expect(c.err).toBe('');
      outs.push(out);
    }
    const read = (d: string, f: string) => readFileSync(join(d, f));
    expect(read(outs[1]!, 'trace.ndjson').equals(read(outs[2]!, 'trace.ndjson'))).toBe(true);
    expect(read(outs[1]!, 'truth.ndjson').equals(read(outs[2]!, 'truth.ndjson'))).toBe(true);
    expect(read(outs[0]!, 'trace.ndjson').equals(read(outs[1]!, 'trace.ndjson'))).toBe(false);
    const receivers = JSON.parse(read(outs[1]!, 'receivers.truth.json').toString()) as {
      receivers: { id: string; declaredOffsetDb: number; trueOffsetDb: number }[];
    };
    expect(receivers.receivers.map((r) => r.id)).toEqual(exampleSite('boutique').receivers.map((r) => r.id));
  }, 60_000);

  it('says in one line what is wrong with a scenario, with its path, and tells names from files', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ radio: { baseLossRate: 2 }, plan: { throughShare: 'half' } }));
    const cases: [string[], number, RegExp][] = [
      [['--scenario', bad], 1, /^storesense-sim: scenario .*bad\.json: radio\.baseLossRate: .*; plan\.throughShare: /],
      [['--scenario', 'nosuch'], 2, /unknown scenario "nosuch" \(scripted: member-visit; presets: harsh, miscalibrated, realistic/],
      [['--scenario', join(dir, 'missing.json')], 1, /cannot read scenario file .*missing\.json: ENOENT/],
      [['--scenario', 'harsh', '--set', 'radio.shadowingSigmaDb=99'], 1, /radio\.shadowingSigmaDb: /],
      [['--set', 'intentMix.walk_in=1'], 2, /--set: intentMix: /],
      [['--set', 'calibration.trueOffsetsDb.rx-ghost=3'], 1, /calibration\.trueOffsetsDb\.rx-ghost: unknown receiver/],
    ];
    for (const [args, code, message] of cases) {
      const c = io();
      expect(await runCli(['generate', '--site', 'boutique', '--duration', '30s', '--out', tempDir(), ...args], c), args.join(' ')).toBe(code);
      expect(c.err.split('\n')[0]).toMatch(message);
      if (code === 1) expect(c.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('answers generate --help with the usage, exit 0', async () => {
    const c = io();
    expect(await runCli(['generate', '--help'], c)).toBe(0);
    expect(c.out).toContain('--scenario S');
    expect(c.out).toContain('--set PATH=VALUE');
  });

  it('keeps --scenario member-visit a scripted scenario, and takes --set with it', async () => {
    const c = io();
    const out = tempDir();
    expect(
      await runCli(
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
          '--set',
          'radio.shadowingSigmaDb=6',
        ],
        c,
      ),
    ).toBe(0);
    expect(JSON.parse(c.out)).toMatchObject({ truthEvents: 6, shoppers: 1 });
  });
});
