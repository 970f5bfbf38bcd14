import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validateSite, type Site, type SiteInput } from '@storesense/firmware-config';
import { integer, UsageError, type CliIo } from './cli.shared.js';
import { familyStats } from './random-site/family-stats.js';
import { isSiteFamily, randomSite, SITE_FAMILIES, SITE_FAMILY_DESCRIPTIONS, siteJson, type SiteFamily } from './random-site/random-site.js';

export const RANDOM_SITE_USAGE = `  random-site --seed N --family F [--out FILE]
  random-site --seeds A-B[,C...] --family F[,G...] --out-dir DIR
  random-site --seeds A-B --family F[,G...] --stats
  random-site --list-families
      Writes a random, valid site file of a family to FILE (default stdout); the same seed and
      family give the same file byte for byte.
      F: ${SITE_FAMILIES.join(', ')} (--list-families describes them).
      --seeds writes DIR/<family>-<seed>.site.json for every seed and family, one JSON line each;
      with --stats it writes nothing and prints one JSON line per family: sizes, receiver counts
      and densities, role sets, shares of sites without inside/entrance/outside receivers.
`;

/** "1-5,9" -> [1, 2, 3, 4, 5, 9]; at most MAX_BATCH seeds. */
export function parseSeedList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?$/.exec(part);
    if (m === null) throw new UsageError(`--seeds "${text}" is not a list like 1-100 or 1,5,9`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a)
      throw new UsageError(`--seeds range "${part.trim()}" must run from a lower to a higher integer`);
    if (out.length + (b - a + 1) > MAX_BATCH) throw new UsageError(`--seeds lists more than ${MAX_BATCH} seeds`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

const MAX_BATCH = 100_000;

/** `storesense-sim random-site`: one random site of a family, validated before it is written. */
export async function randomSiteCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      seed: { type: 'string' },
      family: { type: 'string' },
      out: { type: 'string' },
      seeds: { type: 'string' },
      'out-dir': { type: 'string' },
      'list-families': { type: 'boolean', default: false },
      stats: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(`storesense-sim random-site: random training sites\n\n${RANDOM_SITE_USAGE}`);
    return 0;
  }
  if (values['list-families']) {
    for (const f of SITE_FAMILIES) io.stdout(`${f.padEnd(11)} ${SITE_FAMILY_DESCRIPTIONS[f]}\n`);
    return 0;
  }
  if (values.family === undefined) throw new UsageError('random-site needs --family');
  if (values.seeds !== undefined) {
    if (values.seed !== undefined || values.out !== undefined) throw new UsageError('--seeds goes with --out-dir, not --seed or --out');
    const families = values.family.split(',').map((f) => family(f.trim()));
    const seeds = parseSeedList(values.seeds);
    if (values.stats) {
      if (values['out-dir'] !== undefined) throw new UsageError('--stats writes no files: drop --out-dir');
      for (const f of families) io.stdout(`${JSON.stringify(familyStats(f, seeds))}\n`);
      return 0;
    }
    if (values['out-dir'] === undefined) throw new UsageError('--seeds needs --out-dir (or --stats)');
    for (const f of families) for (const seed of seeds) writeSite(f, seed, join(values['out-dir'], `${f}-${seed}.site.json`), io);
    return 0;
  }
  if (values['out-dir'] !== undefined) throw new UsageError('--out-dir goes with --seeds');
  if (values.stats) throw new UsageError('--stats goes with --seeds');
  if (values.seed === undefined) throw new UsageError('random-site needs --seed');
  const seed = integer('seed', values.seed, 0);
  if (values.out === undefined) io.stdout(siteJson(checkedSite(family(values.family), seed).site));
  else writeSite(family(values.family), seed, values.out, io);
  return 0;
}

function family(name: string): SiteFamily {
  if (!isSiteFamily(name)) throw new UsageError(`--family "${name}" is not one of ${SITE_FAMILIES.join(', ')}`);
  return name;
}

function checkedSite(f: SiteFamily, seed: number): { site: SiteInput; checked: Site } {
  const site = randomSite({ seed, family: f });
  // A generator bug must never hand a trainer an invalid site.
  const checked = validateSite(site);
  if (!checked.ok) throw new Error(`generated ${f} site for seed ${seed} is invalid (a bug): ${checked.issues.join('; ')}`);
  return { site, checked: checked.value };
}

function writeSite(f: SiteFamily, seed: number, out: string, io: CliIo): void {
  const { site, checked } = checkedSite(f, seed);
  try {
    writeFileSync(out, siteJson(site));
  } catch (err) {
    throw new Error(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  io.stdout(
    `${JSON.stringify({ out, family: f, seed, siteId: checked.id, floors: checked.floors.length, receivers: checked.receivers.length, terminals: checked.terminals.length })}\n`,
  );
}
