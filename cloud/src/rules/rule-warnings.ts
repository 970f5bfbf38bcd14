import type { Site } from '@storesense/firmware-config';
import type { Rule } from './rule.schema.js';

/**
 * Pure: what in a rule names nothing the known site models have (a site, store or zone id that no
 * site declares), as `path: message` like the schema's issues. A rule is still stored (the site
 * file may come later, or belong to another node), but the editor shows these next to the fields,
 * because such a rule silently never matches. No sites known: nothing to check against.
 * @example ruleWarnings({ ...rule, storeIds: ['bootique'] }, sites) // ['storeIds[0]: "bootique" is not a store of any known site']
 */
export function ruleWarnings(rule: Rule, sites: ReadonlyMap<string, Site>): string[] {
  if (sites.size === 0) return [];
  const scoped = rule.siteIds?.length ? [...sites.values()].filter((s) => rule.siteIds!.includes(s.id)) : [...sites.values()];
  const warnings: string[] = [];
  rule.siteIds?.forEach((id, i) => {
    if (!sites.has(id)) warnings.push(`siteIds[${i}]: "${id}" is not a known site`);
  });
  const stores = new Set(scoped.flatMap((s) => s.stores.map((st) => st.id)));
  rule.storeIds?.forEach((id, i) => {
    if (!stores.has(id)) warnings.push(`storeIds[${i}]: "${id}" is not a store of ${rule.siteIds?.length ? 'the named sites' : 'any known site'}`);
  });
  const zones = new Set(
    scoped.flatMap((s) =>
      [...s.areas, ...s.stores.filter((st) => !rule.storeIds?.length || rule.storeIds.includes(st.id)).flatMap((st) => st.zones)].map((z) => z.id),
    ),
  );
  rule.zoneIds?.forEach((id, i) => {
    if (!zones.has(id)) warnings.push(`zoneIds[${i}]: "${id}" is not a zone of ${rule.storeIds?.length ? 'the named stores' : 'any known site'}`);
  });
  return warnings;
}
