import { fileURLToPath } from 'node:url';

/*
 * Files shipped with the package, resolved from this module's URL rather than the working
 * directory. Both src/ (vitest) and dist/ (node) sit one level below the package root, so the same
 * relative URL works from either.
 */
const packageRoot = new URL('../', import.meta.url);

export const EXAMPLE_SITES = ['boutique', 'dept-store'] as const;
export type ExampleSiteName = (typeof EXAMPLE_SITES)[number];

/**
 * Example sites kept out of EXAMPLE_SITES on purpose: training defaults to the example sites, and
 * `npm run eval` needs one site no model has seen (different layout, roles, calibration) to show
 * the classifier generalises. Never add these to a training run.
 */
export const HELD_OUT_SITES = ['sports-store'] as const;
export type HeldOutSiteName = (typeof HELD_OUT_SITES)[number];

/**
 * Site seeds of the `storesense-sim random-site` sites `npm run eval` scores, one set for every
 * family. Training and decision tuning draw random sites with other seeds, so a trained family is
 * still scored on sites no model saw.
 */
export const EVAL_RANDOM_SITE_SEEDS = [9001, 9002] as const;

/**
 * Example sites that show an installation feature (ESPresense receivers, smart terminals) rather
 * than journeys: kept out of EXAMPLE_SITES so adding one never changes training data or traces.
 */
export const INSTALL_EXAMPLE_SITES = ['espresense-shop'] as const;
export type InstallExampleSiteName = (typeof INSTALL_EXAMPLE_SITES)[number];

/**
 * Absolute path of a bundled example site file.
 * @example loadSiteFile(exampleSitePath('dept-store'))
 */
export function exampleSitePath(name: ExampleSiteName | HeldOutSiteName | InstallExampleSiteName): string {
  const known: readonly string[] = [...EXAMPLE_SITES, ...HELD_OUT_SITES, ...INSTALL_EXAMPLE_SITES];
  if (!known.includes(name)) throw new Error(`unknown example site "${String(name)}" (known: ${known.join(', ')})`);
  return fileURLToPath(new URL(`sites/${name}.site.json`, packageRoot));
}

/** Absolute path of the demo members CSV (`memberId,name,tier,tags,consent,tokenKey`). */
export const demoMembersPath: string = fileURLToPath(new URL('sites/demo-members.csv', packageRoot));

/** Absolute path of the generated JSON Schema for site files (`storesense-site schema`). */
export const siteJsonSchemaPath: string = fileURLToPath(new URL('site.schema.json', packageRoot));
