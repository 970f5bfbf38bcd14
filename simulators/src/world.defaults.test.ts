import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { demoMembers, tempDir } from './testing/fixtures.js';
import { generateWorld } from './trace-file.writer.js';

/*
 * The default `generate` output is a contract: models are trained and evaluated on it, so a new
 * simulator feature must not move a single byte unless it is asked for. These digests were taken
 * from `storesense-sim generate --site <name> --seed 7 --duration 3m` (demo members, 240 shoppers/h)
 * BEFORE the realism features (several doors, per-edge walls, windows, long dwell, scenario files)
 * were added; a change here means the defaults changed and must be reported.
 */
const PINNED = {
  'dept-store': ['c4285bb8f988407e027fcdba54f3a8d8e10f01d09a6e764604cd93474dfc49dc', '4822f0c9a6ab854290c23cabab8c48ceb534fc4e9ce14c4851e027f14fd693e2'],
  boutique: ['1bd18960c3e1b476d8ee9b794fc537a9d8abd9b50f476923742fe7c1bd6a65cb', '57d2970e9f38170f9506abd55614eaeedd7415eaad3967c2334bdb4420648298'],
  'sports-store': ['b5e42a8ce648c6cb4bed33524103e423bcbe1ee3c17ab538ed30c14e744060b9', '13b9e10b6ad701fc4f1dae511e2e70dbca47a6007f470e71d84866c5ba648cbf'],
  'espresense-shop': ['bd0ef3a1cd746176a77cc721fa6828280e0b58529ed6c1910d0dce6c391f5d91', 'f2c9692437bc6750045ed16f1ce5cdaa221ceb98fe51b78218c663aa64212d3b'],
} as const;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('default generate output', () => {
  for (const [name, [traceSha, truthSha]] of Object.entries(PINNED)) {
    it(`is byte-identical to the pinned trace for ${name}, seed 7, 3 min`, async () => {
      const site = loadSiteFile(exampleSitePath(name as 'boutique'));
      if (!site.ok) throw new Error(site.error);
      // The CLI records the --site argument in the headers; `--site dept-store` was the argument.
      const siteFile = name === 'dept-store' || name === 'boutique' ? name : `firmware-config/sites/${name}.site.json`;
      const r = await generateWorld({
        site: site.value,
        siteFile,
        seed: 7,
        durationMs: 180_000,
        shoppersPerHour: 240,
        members: demoMembers(),
        scenarios: [],
        outDir: tempDir(),
      });
      expect(sha256(r.traceFile)).toBe(traceSha);
      expect(sha256(r.truthFile)).toBe(truthSha);
    });
  }
});
