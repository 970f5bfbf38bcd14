import { readFileSync } from 'node:fs';
import type { Site } from '@storesense/firmware-config';
import { formatIssues, idSchema } from '@storesense/protocol';
import { z } from 'zod';

/**
 * One account in a staff file (`--staff staff.json`). Staff belong to stores of one site;
 * operators and analysts may name a site (else they see all).
 * @example [{ "username": "wang", "password": "…", "displayName": "Wang Fang", "siteId": "mall-bj-01", "storeIds": ["boutique"], "role": "staff" }]
 */
export const staffSeedSchema = z
  .object({
    username: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (1-64)'),
    password: z.string().min(8, 'at least 8 characters').max(200),
    displayName: z.string().min(1).max(120),
    role: z.enum(['operator', 'staff', 'analyst']).default('staff'),
    siteId: idSchema.optional(),
    storeIds: z.array(idSchema).default([]),
  })
  .refine((s) => s.role !== 'staff' || (s.siteId !== undefined && s.storeIds.length > 0), {
    message: 'staff need a siteId and at least one storeId',
    path: ['storeIds'],
  });
export type StaffSeed = z.output<typeof staffSeedSchema>;
/** What callers write (role defaults to staff, storeIds to []). */
export type StaffSeedInput = z.input<typeof staffSeedSchema>;
export const staffFileSchema = z.array(staffSeedSchema);

/** Reads and validates a staff file; every problem is listed (never the passwords). */
export function loadStaffFile(path: string): { ok: true; staff: StaffSeed[] } | { ok: false; issues: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, issues: [(err as Error).message] };
  }
  const parsed = staffFileSchema.safeParse(json);
  if (!parsed.success) return { ok: false, issues: formatIssues(parsed.error.issues) };
  const seen = new Set<string>();
  const issues: string[] = [];
  for (const s of parsed.data) {
    if (seen.has(s.username)) issues.push(`username ${s.username} appears twice`);
    seen.add(s.username);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, staff: parsed.data };
}

/**
 * Problems of staff naming a store their site does not have (a typo would silently show them
 * nothing). Staff of sites whose files are not loaded are not checked: the cloud ingests any site.
 */
export function checkStaffAgainstSites(staff: readonly StaffSeed[], sites: readonly Site[]): string[] {
  if (sites.length === 0) return [];
  const problems: string[] = [];
  for (const s of staff) {
    if (s.siteId === undefined) continue;
    const site = sites.find((x) => x.id === s.siteId);
    if (!site) continue;
    const stores = new Set(site.stores.map((st) => st.id));
    for (const id of s.storeIds) if (!stores.has(id)) problems.push(`staff ${s.username}: site ${s.siteId} has no store ${id}`);
  }
  return problems;
}
