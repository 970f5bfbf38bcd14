import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleSitePath, type ExampleSiteName, type HeldOutSiteName } from './paths.js';
import { checkDomain, parseTrainingDomain, trainingDomainJson, TrainingDomainError } from './site.domain.check.js';
import {
  describeLayout,
  describeSite,
  domainOfDescriptor,
  mergeDomain,
  MAX_LISTED_SITE_IDS,
  trainingDomainOf,
  type SiteDescriptor,
  type TrainingDomain,
} from './site.domain.js';
import { validateSite } from './site.loader.js';
import type { Site } from './site.schema.js';

function raw(name: ExampleSiteName | HeldOutSiteName): any {
  return JSON.parse(readFileSync(exampleSitePath(name), 'utf8'));
}
function valid(json: unknown): Site {
  const r = validateSite(json);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
const site = (name: ExampleSiteName | HeldOutSiteName) => valid(raw(name));
const descriptor = (s: Site) => describeSite(s)[0]!.descriptor;

/** A 5 m × 4 m open kiosk in an atrium: receivers on two sides, none with role `inside`. */
function kiosk(): Site {
  const json = raw('boutique');
  json.stores[0].shape = { rect: { x: 0, y: 0, w: 5, h: 4 } };
  json.stores[0].entrances = [{ id: 'front', floor: 0, at: { x: 2.5, y: 0 } }];
  json.stores[0].zones = [];
  json.receivers = [
    { id: 'rx-front', role: 'storefront', floor: 0, position: { x: 2.5, y: -1 }, storeId: json.stores[0].id },
    { id: 'rx-back', role: 'entrance', floor: 0, position: { x: 2.5, y: 3.5 }, storeId: json.stores[0].id },
  ];
  json.terminals = [];
  json.gateways = [{ id: 'gw-kiosk', storeId: json.stores[0].id, receivers: ['rx-front', 'rx-back'] }];
  return valid(json);
}

describe('describeLayout', () => {
  it('describes the boutique: one 12 × 10 m floor, four in-store receivers of five', () => {
    expect(descriptor(site('boutique'))).toEqual({
      storeCount: 1,
      floorCount: 1,
      footprintM2: 120,
      floorAreaM2: 120,
      entranceCount: 1,
      receiverCount: 5,
      storeReceiverCount: 4,
      receiversPer100M2: 3.333,
      roles: ['checkout', 'entrance', 'inside', 'storefront'],
      radios: ['ble'],
      refRssiAt1mDbm: { min: -60, max: -58 },
      refRssiSpreadDb: 2,
      pathLossExponent: { min: 2, max: 2.5 },
      wallAttenuationDb: { min: 3, max: 3 },
    });
  });

  it('takes every edge of the store walls, absent ones at the schema default of 3 dB', () => {
    const s = site('boutique');
    const walls = (w: number | number[] | undefined) =>
      describeLayout({ stores: s.stores.map((x) => ({ ...x, ...(w !== undefined ? { wallAttenuationDb: w } : {}) })), receivers: s.receivers })
        .wallAttenuationDb;
    expect(walls(undefined)).toEqual({ min: 3, max: 3 });
    expect(walls(0)).toEqual({ min: 0, max: 0 });
    expect(walls([0, 6, 6, 6])).toEqual({ min: 0, max: 6 });
  });

  it('counts floor area over every floor of every served store', () => {
    const d = descriptor(site('dept-store'));
    expect([d.floorCount, d.footprintM2, d.floorAreaM2, d.storeReceiverCount, d.receiversPer100M2]).toEqual([3, 1536, 4608, 18, 0.391]);
  });

  it('maps receiver kinds to the radios they hear', () => {
    const s = site('boutique');
    const kinds = (k: Site['receivers'][number]['kind'][]) =>
      describeLayout({ stores: s.stores, receivers: s.receivers.map((r, i) => ({ ...r, kind: k[i % k.length]! })) }).radios;
    expect(kinds(['espresense'])).toEqual(['ble']);
    expect(kinds(['ble', 'wifi'])).toEqual(['ble', 'wifi']);
    expect(kinds(['meraki'])).toEqual(['ble', 'wifi']);
  });

  it('refuses a layout without receivers', () => {
    expect(() => describeLayout({ stores: site('boutique').stores, receivers: [] })).toThrow(/without receivers/);
  });
});

const today = (): TrainingDomain => trainingDomainOf([{ site: site('boutique') }, { site: site('dept-store') }]);

describe('mergeDomain', () => {
  const a = domainOfDescriptor(descriptor(site('boutique')), { siteId: 'a', family: 'boutique' });
  const b = domainOfDescriptor(descriptor(site('dept-store')), { siteId: 'b', family: 'department' });
  const c = domainOfDescriptor(descriptor(kiosk()), { siteId: 'c', family: 'kiosk' });

  it('widens ranges, intersects the always-present roles and unites the rest', () => {
    const m = mergeDomain(a, b);
    expect(m.siteCount).toBe(2);
    expect(m.families).toEqual(['boutique', 'department']);
    expect(m.ranges.floorCount).toEqual({ min: 1, max: 3 });
    expect(m.ranges.refRssiAt1mDbm).toEqual({ min: -60, max: -58 });
    expect(m.rolesAlwaysPresent).toEqual(['checkout', 'entrance', 'inside', 'storefront']);
    expect(m.rolesSeen).toEqual(['checkout', 'corridor', 'entrance', 'escalator', 'inside', 'storefront']);
    expect(mergeDomain(m, c).rolesAlwaysPresent).toEqual(['entrance', 'storefront']);
  });

  it('is commutative and associative', () => {
    expect(mergeDomain(a, b)).toEqual(mergeDomain(b, a));
    expect(mergeDomain(mergeDomain(a, b), c)).toEqual(mergeDomain(a, mergeDomain(b, c)));
  });

  it('drops a range one side never measured, and long site-id lists', () => {
    const { footprintM2: _, ...ranges } = a.ranges;
    expect(mergeDomain({ ...a, ranges }, b).ranges.footprintM2).toBeUndefined();
    const many = Array.from({ length: MAX_LISTED_SITE_IDS + 1 }, (_, i) => ({ ...a, siteIds: [`s${i}`] })).reduce(mergeDomain);
    expect(many.siteCount).toBe(MAX_LISTED_SITE_IDS + 1);
    expect(many.siteIds).toEqual([]);
  });

  it('is what trainingDomainOf folds over every gateway of every site', () => {
    const d = today();
    expect(d.siteCount).toBe(2);
    expect(d.siteIds).toEqual([site('boutique').id, site('dept-store').id].sort());
  });
});

describe('checkDomain', () => {
  const base = () => descriptor(site('boutique'));
  const cases: [string, (d: SiteDescriptor) => SiteDescriptor, string[]][] = [
    ['the boutique itself', (d) => d, []],
    ['a footprint within the 25 % slack', (d) => ({ ...d, footprintM2: 1536 * 1.24, floorAreaM2: 1536 * 1.24 }), []],
    ['a footprint past it', (d) => ({ ...d, footprintM2: 1536 * 1.26 }), ['footprintM2']],
    ['a 20 m² kiosk', (d) => ({ ...d, footprintM2: 20, floorAreaM2: 20, receiversPer100M2: 20 }), ['footprintM2', 'floorAreaM2', 'receiversPer100M2']],
    ['two doors', (d) => ({ ...d, entranceCount: 2 }), ['entranceCount']],
    ['four floors', (d) => ({ ...d, floorCount: 4 }), ['floorCount']],
    ['1-m levels from -66 to -54 dBm', (d) => ({ ...d, refRssiAt1mDbm: { min: -66, max: -54 }, refRssiSpreadDb: 12 }), ['refRssiAt1mDbm', 'refRssiSpreadDb']],
    ['a level 2 dB past the trained range', (d) => ({ ...d, refRssiAt1mDbm: { min: -62, max: -58 }, refRssiSpreadDb: 4 }), []],
    ['a path-loss exponent of 3.5', (d) => ({ ...d, pathLossExponent: { min: 2, max: 3.5 } }), ['pathLossExponent']],
    ['no inside receiver', (d) => ({ ...d, roles: d.roles.filter((r) => r !== 'inside') }), ['roles']],
    ['only entrance and outside receivers', (d) => ({ ...d, roles: ['entrance', 'storefront'] }), ['roles', 'roles']],
    ['WiFi receivers', (d) => ({ ...d, radios: ['ble', 'wifi'] }), ['radios']],
    ['50 receivers', (d) => ({ ...d, receiverCount: 50 }), ['receiverCount']],
    ['an open storefront (0 dB on one edge)', (d) => ({ ...d, wallAttenuationDb: { min: 0, max: 3 } }), ['wallAttenuationDb']],
    ['walls 2 dB heavier than trained', (d) => ({ ...d, wallAttenuationDb: { min: 5, max: 5 } }), []],
  ];
  it.each(cases)('%s', (_, change, fields) => {
    expect(checkDomain(change(base()), today()).map((f) => f.field)).toEqual(fields);
  });

  it('says plainly what is outside, with the site value and the trained range', () => {
    expect(checkDomain({ ...base(), entranceCount: 2 }, today())).toEqual([
      { field: 'entranceCount', value: '2', domain: '1', message: 'entrances 2 is outside the training range 1' },
    ]);
    const [missing] = checkDomain({ ...base(), roles: ['checkout', 'entrance', 'storefront'] }, today());
    expect(missing).toEqual({
      field: 'roles',
      value: 'checkout, entrance, storefront',
      domain: 'always checkout, entrance, inside, storefront',
      message: 'no receiver with role "inside": every training site had one',
    });
  });

  it('flags the open kiosk without inside receivers and passes the held-out sports store', () => {
    const fields = checkDomain(descriptor(kiosk()), today()).map((f) => f.field);
    expect(fields).toContain('roles');
    expect(fields).toContain('footprintM2');
    expect(checkDomain(descriptor(site('sports-store')), today())).toEqual([]);
  });

  it('ignores receiver offsets, which the gateway subtracts before any feature (a site calibrated to ±6 dB stays inside)', () => {
    const json = raw('boutique');
    json.receivers.forEach((r: { calibration: { rssiOffsetDb: number } }, i: number) => (r.calibration.rssiOffsetDb = i % 2 ? 6 : -6));
    expect(checkDomain(descriptor(valid(json)), today())).toEqual([]);
  });

  it('does not check a range the domain lacks', () => {
    const d = today();
    const { entranceCount: _, ...ranges } = d.ranges;
    expect(checkDomain({ ...base(), entranceCount: 3 }, { ...d, ranges })).toEqual([]);
  });
});

describe('parseTrainingDomain', () => {
  it('round-trips the JSON written beside a model', () => {
    const d = today();
    expect(parseTrainingDomain(trainingDomainJson(d))).toEqual(d);
  });

  it.each([
    ['not JSON', '{', /is not JSON/],
    ['a wrong version', JSON.stringify({ ...today(), version: 2 }), /version/],
    ['an inverted range', JSON.stringify({ ...today(), ranges: { floorCount: { min: 3, max: 1 } } }), /ranges\.floorCount: min must not exceed max/],
    ['an unknown role', JSON.stringify({ ...today(), rolesSeen: ['attic'] }), /rolesSeen\[0\]/],
  ])('refuses %s with the path', (_, text, err) => {
    expect(() => parseTrainingDomain(text)).toThrow(TrainingDomainError);
    expect(() => parseTrainingDomain(text)).toThrow(err);
  });
});
