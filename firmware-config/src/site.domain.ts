import { z } from 'zod';
import { renderGatewayConfig } from './gateway-config.render.js';
import { shapeAreaM2 } from './geometry.js';
import { RECEIVER_KINDS, RECEIVER_ROLES, type Receiver, type ReceiverRole, type Site, type Store } from './site.schema.js';

/*
 * The training domain of a model (issue 10, item 5): what the sites a model was trained on looked
 * like, so that a gateway can tell at load whether its own site is one the model has seen the like
 * of. A learned classifier is only known to work inside the range of its training data; outside it
 * (a 20 m² kiosk with no `inside` receiver when training had none) the rules baseline, which has no
 * training domain, is the honest choice. The descriptor is computed per gateway (what one classifier
 * instance serves) from the same fields a rendered gateway config and a site file share.
 */

/** A closed numeric interval. */
export interface Range {
  min: number;
  max: number;
}

/**
 * What one gateway's layout looks like to a classifier, in site-relative terms only (no ids).
 * Extend it when the site model grows (e.g. per-edge wall attenuation for open storefronts).
 */
export interface SiteDescriptor {
  /** Stores the gateway serves. */
  storeCount: number;
  /** Floors of the tallest served store. */
  floorCount: number;
  /** Largest served store footprint (one floor), m². */
  footprintM2: number;
  /** Selling floor area: footprint × floors, summed over served stores, m². */
  floorAreaM2: number;
  /** Entrances of the served store with the most. */
  entranceCount: number;
  /** Receivers the gateway listens to, any role. */
  receiverCount: number;
  /** Receivers with an in-store role (entrance, inside, checkout, escalator). */
  storeReceiverCount: number;
  /** In-store receivers per 100 m² of floor area. */
  receiversPer100M2: number;
  /** Distinct receiver roles present, sorted. */
  roles: ReceiverRole[];
  /** Radios the receivers hear (RADIOS_OF_KIND), sorted: a model trained on BLE has never seen WiFi probes. */
  radios: Radio[];
  /** Receivers' 1-m reference levels, dBm. */
  refRssiAt1mDbm: Range;
  /** Spread of the 1-m reference levels (max − min), dB: uneven calibration. */
  refRssiSpreadDb: number;
  /** Receivers' path-loss exponents. */
  pathLossExponent: Range;
  /** Wall loss over every footprint edge of the served stores, dB (0 = open storefront or kiosk). */
  wallAttenuationDb: Range;
}

/** The fields a site file and a rendered gateway config share (so either can be described). */
export interface DomainLayout {
  stores: readonly Store[];
  receivers: readonly Receiver[];
}

/** Wall loss of a store that does not set `wallAttenuationDb` (the site schema's stated default: glass or plasterboard). */
export const DEFAULT_WALL_ATTENUATION_DB = 3;

/** Every edge's wall loss of a store, dB. */
function wallLossesDb(store: Store): number[] {
  const w = store.wallAttenuationDb;
  if (w === undefined) return [DEFAULT_WALL_ATTENUATION_DB];
  return typeof w === 'number' ? [w] : w.length > 0 ? w : [DEFAULT_WALL_ATTENUATION_DB];
}

/** Roles of receivers placed inside the store (site.lint.ts uses the same set). */
const STORE_ROLES: ReadonlySet<ReceiverRole> = new Set(['entrance', 'inside', 'checkout', 'escalator']);

/** What each receiver kind hears: an ESPresense node is a BLE scanner; Meraki reports WiFi and BLE clients. */
export const RADIOS_OF_KIND = {
  ble: ['ble'],
  espresense: ['ble'],
  wifi: ['wifi'],
  ble_wifi: ['ble', 'wifi'],
  meraki: ['ble', 'wifi'],
} as const satisfies Record<(typeof RECEIVER_KINDS)[number], readonly string[]>;
export const RADIOS = ['ble', 'wifi'] as const;
export type Radio = (typeof RADIOS)[number];

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const rangeOf = (xs: readonly number[]): Range => ({ min: round(Math.min(...xs)), max: round(Math.max(...xs)) });

/**
 * The descriptor of one gateway's layout (a rendered gateway config, or the part of a site one
 * gateway serves).
 * @example describeLayout(loadGatewayConfig('gw.json').config).roles // ['entrance', 'inside', 'storefront']
 */
export function describeLayout(layout: DomainLayout): SiteDescriptor {
  const { stores, receivers } = layout;
  if (receivers.length === 0) throw new Error('a layout without receivers has no domain');
  const footprints = stores.map((s) => shapeAreaM2(s.shape));
  const floorAreaM2 = stores.reduce((sum, s, i) => sum + footprints[i]! * s.floors.length, 0);
  const storeReceiverCount = receivers.filter((r) => STORE_ROLES.has(r.role)).length;
  const refs = receivers.map((r) => r.calibration.refRssiAt1mDbm);
  const refRssiAt1mDbm = rangeOf(refs);
  return {
    storeCount: stores.length,
    floorCount: Math.max(0, ...stores.map((s) => s.floors.length)),
    footprintM2: round(Math.max(0, ...footprints), 1),
    floorAreaM2: round(floorAreaM2, 1),
    entranceCount: Math.max(0, ...stores.map((s) => s.entrances.length)),
    receiverCount: receivers.length,
    storeReceiverCount,
    receiversPer100M2: floorAreaM2 > 0 ? round((storeReceiverCount / floorAreaM2) * 100) : 0,
    roles: [...new Set(receivers.map((r) => r.role))].sort(),
    radios: [...new Set(receivers.flatMap((r): readonly Radio[] => RADIOS_OF_KIND[r.kind]))].sort(),
    refRssiAt1mDbm,
    refRssiSpreadDb: round(refRssiAt1mDbm.max - refRssiAt1mDbm.min),
    pathLossExponent: rangeOf(receivers.map((r) => r.calibration.pathLossExponent)),
    wallAttenuationDb: stores.length > 0 ? rangeOf(stores.flatMap(wallLossesDb)) : { min: DEFAULT_WALL_ATTENUATION_DB, max: DEFAULT_WALL_ATTENUATION_DB },
  };
}

/**
 * One descriptor per gateway of a site, each over exactly what `renderGatewayConfig` gives that
 * gateway (so `storesense-site lint` and the running gateway describe the same thing).
 */
export function describeSite(site: Site): { gatewayId: string; descriptor: SiteDescriptor }[] {
  return site.gateways.map((g) => ({ gatewayId: g.id, descriptor: describeLayout(renderGatewayConfig(site, g.id)) }));
}

/** Numeric descriptor fields checked against the domain, with how far outside the trained range is still inside. */
export interface DomainField {
  key: NumericField;
  label: string;
  unit: string;
  /**
   * Tolerance around the trained range: `rel` widens [min, max] to [min / (1 + rel), max × (1 + rel)]
   * (sizes and counts, which matter by ratio), `abs` to [min − abs, max + abs] (levels in dB).
   */
  slack: { rel?: number; abs?: number };
}

export type NumericField = {
  [K in keyof SiteDescriptor]: SiteDescriptor[K] extends number | Range ? K : never;
}[keyof SiteDescriptor];

/*
 * Not a domain field: a receiver's `rssiOffsetDb`. The gateway subtracts it from every reading
 * before any feature is computed, so a site calibrated to ±6 dB offsets (storesense-gateway
 * calibrate, auto-calibration) looks to the model like one with none; flagging it would switch a
 * well-calibrated site to the rules.
 *
 * Slack: a domain is a handful of sites (or hundreds of random ones), not a density, so a value a
 * little past the extreme training site is not evidence of failure. Sizes and counts get 25 % (one
 * more receiver on a five-receiver site is 20 %); floors and entrances none (a second door or floor
 * changes the traffic pattern, not just its scale); 1-m reference levels 2 dB, about the spread of
 * repeated 1-m readings of one phone (BLE RSSI at a fixed distance varies by several dB: Faragher &
 * Harle, "Location fingerprinting with Bluetooth Low Energy beacons", IEEE JSAC 2015); path-loss
 * exponents 0.3 (indoor values span ~1.6–3.3, Rappaport, Wireless Communications, table 4.2); wall
 * loss 2 dB (glass vs plasterboard differ by a few dB; an open front, 0 dB, is a different world).
 */
export const DOMAIN_FIELDS: readonly DomainField[] = [
  { key: 'storeCount', label: 'stores served', unit: '', slack: { abs: 0 } },
  { key: 'floorCount', label: 'floors', unit: '', slack: { abs: 0 } },
  { key: 'footprintM2', label: 'store footprint', unit: 'm²', slack: { rel: 0.25 } },
  { key: 'floorAreaM2', label: 'floor area', unit: 'm²', slack: { rel: 0.25 } },
  { key: 'entranceCount', label: 'entrances', unit: '', slack: { abs: 0 } },
  { key: 'receiverCount', label: 'receivers', unit: '', slack: { rel: 0.25 } },
  { key: 'storeReceiverCount', label: 'in-store receivers', unit: '', slack: { rel: 0.25 } },
  { key: 'receiversPer100M2', label: 'in-store receivers per 100 m²', unit: '', slack: { rel: 0.25 } },
  { key: 'refRssiAt1mDbm', label: '1-m reference level', unit: 'dBm', slack: { abs: 2 } },
  { key: 'refRssiSpreadDb', label: 'spread of 1-m reference levels', unit: 'dB', slack: { abs: 2 } },
  { key: 'pathLossExponent', label: 'path-loss exponent', unit: '', slack: { abs: 0.3 } },
  { key: 'wallAttenuationDb', label: 'store wall loss', unit: 'dB', slack: { abs: 2 } },
];

const rangeSchema = z.object({ min: z.number().finite(), max: z.number().finite() }).refine((r) => r.min <= r.max, { message: 'min must not exceed max' });

/**
 * A model's training domain: the union of its training sites' descriptors (ranges per numeric
 * field; roles present on every training layout and roles seen on any). Stored as JSON in the ONNX
 * metadata key TRAINING_DOMAIN_METADATA_KEY and beside the model as `<model>.domain.json`. A range
 * left out is not checked (a domain from an older writer).
 */
export const trainingDomainSchema = z.object({
  version: z.literal(1),
  siteCount: z.number().int().positive().describe('training layouts (gateways) merged'),
  families: z.array(z.string().min(1)).default([]).describe('site families trained on, when known'),
  siteIds: z.array(z.string().min(1)).default([]).describe('training site ids, when few enough to list'),
  ranges: z.object(Object.fromEntries(DOMAIN_FIELDS.map((f) => [f.key, rangeSchema.optional()])) as Record<NumericField, z.ZodOptional<typeof rangeSchema>>),
  rolesAlwaysPresent: z.array(z.enum(RECEIVER_ROLES)).describe('roles every training layout had'),
  rolesSeen: z.array(z.enum(RECEIVER_ROLES)).describe('roles any training layout had'),
  radiosSeen: z.array(z.enum(RADIOS)).describe('radios any training layout had'),
});
export type TrainingDomain = z.infer<typeof trainingDomainSchema>;

/** ONNX metadata_props key holding the TrainingDomain JSON. */
export const TRAINING_DOMAIN_METADATA_KEY = 'storesense.trainingDomain';

/** Lists of site ids longer than this are dropped from a merged domain (hundreds of random sites). */
export const MAX_LISTED_SITE_IDS = 50;

/** The domain of a single training layout. */
export function domainOfDescriptor(d: SiteDescriptor, source: { siteId?: string; family?: string } = {}): TrainingDomain {
  const ranges = Object.fromEntries(
    DOMAIN_FIELDS.map((f) => {
      const v = d[f.key];
      return [f.key, typeof v === 'number' ? { min: v, max: v } : { min: v.min, max: v.max }];
    }),
  ) as TrainingDomain['ranges'];
  return {
    version: 1,
    siteCount: 1,
    families: source.family === undefined ? [] : [source.family],
    siteIds: source.siteId === undefined ? [] : [source.siteId],
    ranges,
    rolesAlwaysPresent: [...d.roles],
    rolesSeen: [...d.roles],
    radiosSeen: [...d.radios],
  };
}

const union = <T extends string>(a: readonly T[], b: readonly T[]): T[] => [...new Set([...a, ...b])].sort();

/**
 * The domain of two training sets together: ranges widened to cover both, roles always present on
 * both, everything else united. Associative and commutative, so training can fold sites in any order.
 * @example mergeDomain(domainOfDescriptor(a), domainOfDescriptor(b)).siteCount // 2
 */
export function mergeDomain(a: TrainingDomain, b: TrainingDomain): TrainingDomain {
  const ranges: TrainingDomain['ranges'] = {};
  for (const f of DOMAIN_FIELDS) {
    const ra = a.ranges[f.key];
    const rb = b.ranges[f.key];
    // A range one side lacks was not measured there: the merge cannot claim it covers that side.
    if (ra !== undefined && rb !== undefined) ranges[f.key] = { min: Math.min(ra.min, rb.min), max: Math.max(ra.max, rb.max) };
  }
  const siteIds = union(a.siteIds, b.siteIds);
  return {
    version: 1,
    siteCount: a.siteCount + b.siteCount,
    families: union(a.families, b.families),
    siteIds: a.siteCount + b.siteCount <= MAX_LISTED_SITE_IDS ? siteIds : [],
    ranges,
    rolesAlwaysPresent: a.rolesAlwaysPresent.filter((r) => b.rolesAlwaysPresent.includes(r)).sort(),
    rolesSeen: union(a.rolesSeen, b.rolesSeen),
    radiosSeen: union(a.radiosSeen, b.radiosSeen),
  };
}

/**
 * The training domain of a set of sites: every gateway of every site, merged. `family` labels the
 * sites (random-site families) when known.
 * @example trainingDomainOf([{ site: boutique }, { site: deptStore }])
 */
export function trainingDomainOf(sources: readonly { site: Site; family?: string }[]): TrainingDomain {
  const parts = sources.flatMap(({ site, family }) =>
    describeSite(site).map(({ descriptor }) => domainOfDescriptor(descriptor, { siteId: site.id, ...(family !== undefined ? { family } : {}) })),
  );
  if (parts.length === 0) throw new Error('a training domain needs at least one site');
  return parts.reduce(mergeDomain);
}
