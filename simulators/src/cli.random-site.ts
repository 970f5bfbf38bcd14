import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { validateSite } from '@storesense/firmware-config';
import { integer, UsageError, type CliIo } from './cli.shared.js';
import { isSiteFamily, randomSite, SITE_FAMILIES, SITE_FAMILY_DESCRIPTIONS, siteJson } from './random-site/random-site.js';

export const RANDOM_SITE_USAGE = `  random-site --seed N --family F [--out FILE]
  random-site --list-families
      Writes a random, valid site file of a family (${SITE_FAMILIES.join(', ')}) to FILE
      (default stdout). The same seed and family give the same file byte for byte.
`;

/** `storesense-sim random-site`: one random site of a family, validated before it is written. */
export async function randomSiteCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      seed: { type: 'string' },
      family: { type: 'string' },
      out: { type: 'string' },
      'list-families': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(`storesense-sim\n${RANDOM_SITE_USAGE}`);
    return 0;
  }
  if (values['list-families']) {
    for (const f of SITE_FAMILIES) io.stdout(`${f.padEnd(11)} ${SITE_FAMILY_DESCRIPTIONS[f]}\n`);
    return 0;
  }
  if (values.seed === undefined) throw new UsageError('random-site needs --seed');
  if (values.family === undefined) throw new UsageError('random-site needs --family');
  if (!isSiteFamily(values.family)) throw new UsageError(`--family "${values.family}" is not one of ${SITE_FAMILIES.join(', ')}`);
  const seed = integer('seed', values.seed, 0);
  const site = randomSite({ seed, family: values.family });
  // A generator bug must never hand a trainer an invalid site.
  const checked = validateSite(site);
  if (!checked.ok) throw new Error(`generated site is invalid (a bug): ${checked.issues.join('; ')}`);
  const text = siteJson(site);
  if (values.out === undefined) io.stdout(text);
  else {
    try {
      writeFileSync(values.out, text);
    } catch (err) {
      throw new Error(`cannot write ${values.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    io.stdout(`${JSON.stringify({ out: values.out, family: values.family, seed, siteId: checked.value.id, floors: checked.value.floors.length, receivers: checked.value.receivers.length, terminals: checked.value.terminals.length })}\n`);
  }
  return 0;
}
