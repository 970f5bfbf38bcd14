import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memberJourney } from './scenario.js';
import { demoMembers, exampleSite, tempDir } from './testing/fixtures.js';
import { generateWorld } from './trace-file.writer.js';

/**
 * Golden fixtures other packages can test against (architecture §7: fixtures named after what they show).
 * They must equal what the world generates today; after an intended model change regenerate them:
 *   STORESENSE_UPDATE_FIXTURES=1 npx vitest run --project simulators src/fixtures.test.ts
 */
const dir = fileURLToPath(new URL('../fixtures/', import.meta.url));

const FIXTURES = {
  'member-arrives-and-buys': () => {
    const m = demoMembers()[0]!;
    // Adverts every second keep the file small; the journey is the member-visit scenario.
    return {
      site: exampleSite('boutique'),
      siteFile: 'boutique.site.json',
      seed: 1,
      durationMs: 2 * 60_000,
      shoppersPerHour: 0,
      scenarios: [memberJourney({ memberId: m.memberId, key: m.tokenKey, advertIntervalMs: 1000 })],
    };
  },
} as const;

describe('golden fixtures', () => {
  for (const [name, options] of Object.entries(FIXTURES)) {
    it(`${name}.{trace,truth}.ndjson match the world`, async () => {
      const out = tempDir();
      const r = await generateWorld({ ...options(), outDir: out });
      const trace = readFileSync(r.traceFile);
      const truth = readFileSync(r.truthFile);
      const tracePath = join(dir, `${name}.trace.ndjson`);
      const truthPath = join(dir, `${name}.truth.ndjson`);
      if (process.env['STORESENSE_UPDATE_FIXTURES'] === '1' || !existsSync(tracePath)) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(tracePath, trace);
        writeFileSync(truthPath, truth);
      }
      expect(trace.equals(readFileSync(tracePath)), `${tracePath} is stale: regenerate (see this file's comment)`).toBe(true);
      expect(truth.equals(readFileSync(truthPath)), `${truthPath} is stale`).toBe(true);
    });
  }
});
