import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { exampleSitePath, HELD_OUT_SITES } from '@storesense/firmware-config';

/**
 * What no training or decision-tuning run may see, in one place (reported on, never fitted to).
 * - HELD_OUT_SITES (firmware-config): shipped example sites kept for `npm run eval`.
 * - HELD_OUT_FAMILIES: whole families of `storesense-sim random-site`, so the figures show the model
 *   on layouts of a kind it never saw. The boutique family is one on purpose: a quarter of its
 *   sites have no receiver of role `inside` (issue 10: the role-based model missed 9 of 10 arrivals
 *   on such a site), and its geometry, roles and calibration are drawn, unlike the one example
 *   boutique that training keeps. The multi-door flagship brings two doors, through-traffic and
 *   street sides. The open kiosk is trained on: a held-out kiosk family left the model at macro F1
 *   0.25-0.44 (decision 55), and the kiosk is the layout the issue names first.
 * Site files of a held-out family carry `rnd-<family>-<seed>` as their id (random-site writes it)
 * or file name; a site is refused when either does. Training families: kiosk, department,
 * food-court, anchor.
 */
export const HELD_OUT_FAMILIES = ['boutique', 'flagship'] as const;
export type HeldOutFamily = (typeof HELD_OUT_FAMILIES)[number];

/** The held-out family a random-site id or file name (`rnd-<family>-<seed>…`) or a bare family name belongs to, if any. */
export function heldOutFamilyOf(text: string): HeldOutFamily | undefined {
  const t = text.toLowerCase();
  return HELD_OUT_FAMILIES.find((f) => t === f || t.startsWith(`rnd-${f}-`));
}

/** Throws when the site file at `path` is a held-out example site or of a held-out family. */
export function assertNotHeldOut(path: string): void {
  const abs = resolve(path);
  for (const name of HELD_OUT_SITES) {
    if (abs === exampleSitePath(name)) throw new Error(`site ${name} is held out (HELD_OUT_SITES): never train or tune on it`);
  }
  let id = '';
  try {
    id = String((JSON.parse(readFileSync(abs, 'utf8')) as { id?: unknown }).id ?? '');
  } catch {
    // Unreadable files fail later with the loader's message.
  }
  const family = heldOutFamilyOf(basename(abs)) ?? heldOutFamilyOf(id);
  if (family) throw new Error(`site ${basename(abs)} is of the held-out family ${family} (HELD_OUT_FAMILIES): never train or tune on it`);
}
