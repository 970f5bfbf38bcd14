import type { SiteInput } from '@storesense/firmware-config';
import { Rng } from '../random.js';
import { anchorSite } from './anchor.family.js';
import { boutiqueSite } from './boutique.family.js';
import { departmentSite } from './department.family.js';
import { flagshipSite } from './flagship.family.js';
import { foodCourtSite } from './food-court.family.js';
import { kioskSite } from './kiosk.family.js';

/**
 * Random sites for training and held-out evaluation: one store of a family, the mall around it,
 * receivers, terminals and one gateway, drawn from a seed. Deterministic: the same (seed, family)
 * gives the same site, byte for byte through `siteJson`.
 */
export const SITE_FAMILIES = ['boutique', 'department', 'flagship', 'kiosk', 'food-court', 'anchor'] as const;
export type SiteFamily = (typeof SITE_FAMILIES)[number];

/** One line per family, for `random-site --list-families`. */
export const SITE_FAMILY_DESCRIPTIONS: Readonly<Record<SiteFamily, string>> = {
  boutique: 'in-line mall unit, 60-200 m², one door (sometimes an open front), 2-8 receivers, a quarter with no inside receiver',
  department: 'department store, 1-3 floors of 1,200-4,000 m², one or two mall doors and sometimes a side door, escalators',
  flagship: 'multi-door flagship, 300-1,500 m² per floor, 1-2 floors, doors on the mall and the street or a side corridor',
  kiosk: 'open atrium kiosk, 9-30 m², open on 2-4 sides (0 dB walls), receivers on 2-4 sides, never an inside receiver',
  'food-court': 'food court hall, 300-1,200 m², counters along the back wall, wide open fronts onto the mall',
  anchor: 'anchor store, 2-4 floors (sometimes a basement) of 2,500-7,000 m², mall doors on two levels, a street door, escalators',
};

const BUILDERS: Readonly<Record<SiteFamily, (rng: Rng, seed: number) => SiteInput>> = {
  boutique: boutiqueSite,
  department: departmentSite,
  flagship: flagshipSite,
  kiosk: kioskSite,
  'food-court': foodCourtSite,
  anchor: anchorSite,
};

export function isSiteFamily(name: string): name is SiteFamily {
  return (SITE_FAMILIES as readonly string[]).includes(name);
}

export interface RandomSiteOptions {
  /** Any safe integer; each family draws its own stream from it. */
  seed: number;
  family: SiteFamily;
}

/**
 * A random site of a family, as site-file JSON input (validate it with `validateSite` to apply the
 * schema's defaults). The stream is seeded by seed and family, so seed 1 of two families are unrelated.
 * @example const site = validateSite(randomSite({ seed: 7, family: 'kiosk' }));
 */
export function randomSite(o: RandomSiteOptions): SiteInput {
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
  if (!isSiteFamily(o.family)) throw new RangeError(`unknown site family "${String(o.family)}" (known: ${SITE_FAMILIES.join(', ')})`);
  const familyIndex = SITE_FAMILIES.indexOf(o.family);
  // Mix the family into the seed (a Weyl step per family), then let the Rng's splitmix spread it.
  const rng = new Rng((Math.imul(familyIndex + 1, 0x9e3779b1) ^ (o.seed >>> 0) ^ Math.floor(o.seed / 0x1_0000_0000)) >>> 0);
  return BUILDERS[o.family](rng, o.seed);
}

/**
 * The site file text, laid out like the example sites: one zone, receiver or terminal per line
 * (a value that fits in LINE_WIDTH characters stays on one line), two-space indents, a trailing
 * newline. Same site, same bytes.
 */
export function siteJson(site: SiteInput): string {
  return `${layout(site, '')}\n`;
}

const LINE_WIDTH = 300;

function inline(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }`;
  }
  return JSON.stringify(v);
}

function layout(v: unknown, indent: string, prefixLength = 0): string {
  const one = inline(v);
  if (v === null || typeof v !== 'object' || indent.length + prefixLength + one.length <= LINE_WIDTH) return one;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + layout(x, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${layout(x, inner, JSON.stringify(k).length + 2)}`).join(',\n')}\n${indent}}`;
}
