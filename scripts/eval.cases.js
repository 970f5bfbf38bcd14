// What `npm run eval` measures: a list of (site file, realism level, seed) cases. Sites are the
// shipped example sites (some trained on, HELD_OUT_SITES never) and random sites of every family
// `storesense-sim random-site` knows, drawn with site seeds no training run uses; whether a family is
// held out comes from the same list training refuses (HELD_OUT_FAMILIES). Realism levels are the
// default world, the harsh scenario file when this build has it, and staff phones by the door when
// `generate --staff` exists. Features a build lacks are skipped with a note, never faked.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SIM = 'simulators/dist/cli.js';

/** Site seeds of the random sites eval scores; training draws others (see EVAL_RANDOM_SITE_SEEDS). */
const DEFAULT_SITE_SEEDS = [9001, 9002];
/** The staff device of the test: a phone parked by the door all day. */
export const STAFF_SPEC = 'door';
export const HARSH_SCENARIO = 'simulators/scenarios/harsh.json';

async function importIfBuilt(root, file) {
  const abs = join(root, file);
  return existsSync(abs) ? import(pathToFileURL(abs).href) : undefined;
}

async function simHelp(root, command) {
  try {
    const { stdout, stderr } = await run(process.execPath, [SIM, command, '--help'], { cwd: root });
    return `${stdout}${stderr}`;
  } catch (err) {
    // A build whose command has no --help prints its usage on the error path.
    return `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
}

/** The random-site families this simulator build knows ([] before `random-site` exists). */
async function randomSiteFamilies(root) {
  try {
    const { stdout } = await run(process.execPath, [SIM, 'random-site', '--list-families'], { cwd: root });
    return stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * The held-out test training applies, so eval labels exactly what training excluded: the model
 * package's `heldOutFamilyOf(text)` when built, else firmware-config's HELD_OUT_FAMILIES by name.
 */
async function heldOutTest(root, paths) {
  const holdout = await importIfBuilt(root, 'gateway/dist/model/model-holdout.js');
  if (holdout?.heldOutFamilyOf && holdout.HELD_OUT_FAMILIES) {
    return {
      list: [...holdout.HELD_OUT_FAMILIES],
      source: 'gateway/src/model/model-holdout.ts',
      of: (family, siteId, file) => holdout.heldOutFamilyOf(siteId) ?? holdout.heldOutFamilyOf(file) ?? undefined,
    };
  }
  const list = [...(paths.HELD_OUT_FAMILIES ?? [])];
  return { list, source: list.length ? 'firmware-config/src/paths.ts' : 'none', of: (family) => (list.includes(family) ? family : undefined) };
}

/**
 * Builds the site list and the cases.
 * @param o.root repository root; o.paths firmware-config's paths module; o.seeds trace seeds of
 *   example sites; o.familySeeds trace seeds of random sites; o.siteSeeds random-site seeds;
 *   o.trainedFamilies families the model's training domain names; o.trainedSites example sites its card names.
 */
export async function buildCases(o) {
  const notes = [];
  const sitesDir = join(o.cacheRoot, 'sites');
  mkdirSync(sitesDir, { recursive: true });
  const sites = [
    ...o.paths.EXAMPLE_SITES.map((name) => ({ name, kind: 'example', family: null, heldOut: false, trained: o.trainedSites.includes(name) })),
    ...(o.paths.HELD_OUT_SITES ?? []).map((name) => ({ name, kind: 'example', family: null, heldOut: true, heldOutBy: 'HELD_OUT_SITES', trained: false })),
  ].map((s) => ({ ...s, file: relative(o.root, o.paths.exampleSitePath(s.name)) }));

  const families = await randomSiteFamilies(o.root);
  const holdout = await heldOutTest(o.root, o.paths);
  if (families.length === 0) notes.push('No random sites: this simulator build has no `storesense-sim random-site`; only the example sites are scored.');
  for (const h of holdout.list) {
    if (!families.includes(h) && families.length > 0)
      notes.push(
        `HELD_OUT_FAMILIES (${holdout.source}) names "${h}", which is not a random-site family (${families.join(', ')}): a family is held out only if training's own test matches its site ids.`,
      );
  }
  // One process for the whole batch when the build has `--seeds … --out-dir` (DIR/<family>-<seed>.site.json).
  let drawn = families;
  try {
    if (families.length > 0 && (await simHelp(o.root, 'random-site')).includes('--out-dir')) {
      await run(process.execPath, [SIM, 'random-site', '--seeds', o.siteSeeds.join(','), '--family', families.join(','), '--out-dir', sitesDir], {
        cwd: o.root,
        maxBuffer: 1 << 24,
      });
    } else {
      for (const family of families)
        for (const seed of o.siteSeeds)
          await run(
            process.execPath,
            [SIM, 'random-site', '--seed', String(seed), '--family', family, '--out', join(sitesDir, `${family}-${seed}.site.json`)],
            { cwd: o.root },
          );
    }
  } catch (err) {
    notes.push(
      `Random sites could not be drawn (\`random-site\` failed: ${
        String(err.stderr || err.message)
          .trim()
          .split('\n')[0]
      }); only the example sites are scored.`,
    );
    drawn = [];
  }
  for (const family of drawn) {
    for (const seed of o.siteSeeds) {
      const file = join(sitesDir, `${family}-${seed}.site.json`);
      const id = String(JSON.parse(readFileSync(file, 'utf8')).id ?? '');
      const by = holdout.of(family, id, basename(file));
      sites.push({
        name: `${family}-${seed}`,
        kind: 'random',
        family,
        siteSeed: seed,
        file: relative(o.root, file),
        heldOut: by !== undefined,
        ...(by !== undefined ? { heldOutBy: `HELD_OUT_FAMILIES "${by}"` } : {}),
        trained: by === undefined && o.trainedFamilies.includes(family),
      });
    }
  }

  const levels = [{ name: 'default', args: [] }];
  if (existsSync(join(o.root, HARSH_SCENARIO))) levels.push({ name: 'harsh', args: ['--scenario', HARSH_SCENARIO], hashFile: HARSH_SCENARIO });
  else notes.push(`No harsh realism level: \`${HARSH_SCENARIO}\` is not in this build.`);
  const staffOk = (await simHelp(o.root, 'generate')).includes('--staff');
  if (staffOk) levels.push({ name: 'staff', args: ['--staff', STAFF_SPEC], staff: true });
  else notes.push('No staff-phone level: this simulator build has no `generate --staff`.');

  // Example sites keep their three trace seeds at default and one at the other levels; random
  // families have several sites instead, all at default and for held-out families at every level,
  // the first site only at the other levels for the rest. ~45 traces: minutes on two cores.
  const cases = [];
  for (const site of sites) {
    for (const level of levels) {
      if (site.kind === 'random' && level.name !== 'default' && !site.heldOut && site.siteSeed !== o.siteSeeds[0]) continue;
      const seeds = site.kind === 'example' && level.name === 'default' ? o.seeds : site.kind === 'example' ? o.seeds.slice(0, 1) : o.familySeeds;
      for (const seed of seeds) cases.push({ site, level, seed });
    }
  }
  return { sites, levels, cases, notes, families: drawn, heldOutList: holdout.list, heldOutSource: holdout.source };
}
