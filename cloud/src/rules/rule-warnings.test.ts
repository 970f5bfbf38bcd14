import { exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { ruleWarnings } from './rule-warnings.js';
import type { Rule } from './rule.schema.js';

const load = (name: 'dept-store' | 'boutique'): Site => {
  const s = loadSiteFile(exampleSitePath(name));
  if (!s.ok) throw new Error(s.error);
  return s.value;
};
const dept = load('dept-store');
const boutique = load('boutique');
const sites = new Map([
  [dept.id, dept],
  [boutique.id, boutique],
]);
const base: Rule = { id: 'r', name: 'r', enabled: true, eventTypes: ['arrival'], audience: 'member', cooldownMs: 0, actions: [{ kind: 'staff_alert' }] };
// A zone id only the department store has (ids like "entrance" are in both example sites).
const boutiqueZones = new Set(boutique.stores.flatMap((s) => s.zones.map((z) => z.id)));
const zoneOfDept = dept.stores[0]!.zones.find((z) => !boutiqueZones.has(z.id))!.id;

describe('ruleWarnings (pure)', () => {
  it.each<[string, Partial<Rule>, string[]]>([
    ['no filters: nothing to say', {}, []],
    ['known site, store and zone', { siteIds: [dept.id], storeIds: [dept.stores[0]!.id], zoneIds: [zoneOfDept] }, []],
    ['an unknown site', { siteIds: ['mall-xx'] }, ['siteIds[0]: "mall-xx" is not a known site']],
    ['a misspelt store', { storeIds: ['bootique'] }, ['storeIds[0]: "bootique" is not a store of any known site']],
    [
      'a store of another site than the one named',
      { siteIds: [dept.id], storeIds: ['boutique'] },
      ['storeIds[0]: "boutique" is not a store of the named sites'],
    ],
    [
      'a zone of another store than the one named',
      { storeIds: ['boutique'], zoneIds: [zoneOfDept] },
      [`zoneIds[0]: "${zoneOfDept}" is not a zone of the named stores`],
    ],
  ])('%s', (_name, over, expected) => expect(ruleWarnings({ ...base, ...over }, sites)).toEqual(expected));

  it('says nothing when no site model is loaded', () => expect(ruleWarnings({ ...base, storeIds: ['anything'] }, new Map())).toEqual([]));
});
