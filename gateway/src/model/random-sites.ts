import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SIM_CLI } from './model-paths.js';
import { heldOutFamilyOf } from './model-holdout.js';

/**
 * Random training sites (`storesense-sim random-site --seed N --family F`), written once into
 * `<dataDir>/random/` and reused. The gateway never imports the simulator: it calls its CLI, as
 * it does for `generate`. Families listed in HELD_OUT_FAMILIES are refused here, so no training or
 * tuning run can draw them.
 */
export function randomSiteFiles(dataDir: string, families: readonly string[], seeds: readonly number[]): { name: string; path: string; family: string }[] {
  const dir = join(dataDir, 'random');
  mkdirSync(dir, { recursive: true });
  const out: { name: string; path: string; family: string }[] = [];
  for (const family of families) {
    const held = heldOutFamilyOf(family);
    if (held) throw new Error(`family ${family} is held out (HELD_OUT_FAMILIES): never train or tune on it`);
    for (const seed of seeds) {
      const name = `rnd-${family}-${seed}`;
      const path = join(dir, `${name}.site.json`);
      if (!existsSync(path))
        execFileSync(process.execPath, [SIM_CLI, 'random-site', '--seed', String(seed), '--family', family, '--out', path], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
      out.push({ name, path, family });
    }
  }
  return out;
}
