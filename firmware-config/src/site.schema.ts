import { z } from 'zod';
import { DEFAULT_TOKEN_PERIOD_MS, idSchema, TERMINAL_KINDS } from '@storesense/protocol';
import { isKnownTimeZone, openingHoursSchema } from './opening-hours.js';
import { crossCheckSite } from './site.cross-check.js';

/**
 * The site model (architecture §2): one mall or stand-alone store, its floors, stores, zones, receivers,
 * terminals and gateways. Coordinates are metres in one site frame (x east, y north), per floor;
 * floors are integer levels (0 = ground). One file describes one site; `validateSite` reports every
 * error with its path (`stores[0].zones[3].floor: floor 7 is not declared in floors`).
 */

export const pointSchema = z.object({ x: z.number().finite(), y: z.number().finite() }).describe('metres in the site frame');
export type Point = z.infer<typeof pointSchema>;

export const shapeSchema = z
  .union(
    [
      z.object({ rect: z.object({ x: z.number(), y: z.number(), w: z.number().positive(), h: z.number().positive() }) }).strict(),
      z.object({ polygon: z.array(pointSchema).min(3) }).strict(),
    ],
    { error: 'expected a shape: {rect: {x, y, w, h}} or {polygon: [{x, y}, ...]}' },
  )
  .describe('a rectangle {rect: {x, y, w, h}} (x, y = south-west corner) or a polygon {polygon: [{x, y}, ...]}');
export type Shape = z.infer<typeof shapeSchema>;

export const ZONE_KINDS = ['entrance', 'sales', 'fitting', 'checkout', 'escalator', 'window', 'corridor', 'service'] as const;
export type ZoneKind = (typeof ZONE_KINDS)[number];

export const zoneSchema = z.object({
  id: idSchema,
  name: z.string().min(1).max(120),
  kind: z.enum(ZONE_KINDS).default('sales'),
  floor: z.number().int(),
  shape: shapeSchema,
  dwellThresholdMs: z.number().int().positive().optional().describe('overrides journey.dwellThresholdMs for this zone'),
});
export type Zone = z.infer<typeof zoneSchema>;

export const entranceSchema = z.object({
  id: idSchema,
  floor: z.number().int(),
  at: pointSchema,
  widthM: z.number().positive().default(3),
});

/**
 * Wall loss at 2.4 GHz: 0 (no wall) up to 60 dB, well past the ~40 dB ITU-R P.2040 gives for thick
 * concrete, so any real wall fits and a typo like 300 does not.
 */
const wallDbSchema = z.number().min(0).max(60);

export const storeSchema = z.object({
  id: idSchema,
  name: z.string().min(1).max(120),
  floors: z.array(z.number().int()).min(1).describe('levels the store occupies'),
  shape: shapeSchema.describe('footprint, the same on every floor it occupies'),
  entrances: z.array(entranceSchema).min(1),
  zones: z.array(zoneSchema).default([]),
  wallAttenuationDb: z
    .union([wallDbSchema, z.array(wallDbSchema)], { error: 'expected a wall loss in dB: one number, or an array of one number per footprint edge' })
    .optional()
    .describe(
      'radio loss of the footprint walls, dB (used by the simulator): one number for every edge, or one value per edge in polygon order (rect edges: south, east, north, west). 0 = an open storefront or kiosk. Absent: the simulator default (3 dB, glass or plasterboard)',
    ),
  openingHours: openingHoursSchema.optional().describe("this store's own opening hours, in the site's time zone; absent = the site's"),
});
export type Store = z.infer<typeof storeSchema>;

export const RECEIVER_KINDS = ['ble', 'wifi', 'ble_wifi', 'espresense', 'meraki'] as const;
/**
 * Site-relative roles (not ids) let one model serve unseen sites: features are computed per role.
 * storefront: outside, facing the corridor; entrance: at the door, inside; inside: sales floor;
 * checkout: by the tills; corridor: mall common area away from the store; escalator: at a floor link.
 */
export const RECEIVER_ROLES = ['storefront', 'entrance', 'inside', 'checkout', 'corridor', 'escalator'] as const;
export type ReceiverRole = (typeof RECEIVER_ROLES)[number];

export const receiverSchema = z.object({
  id: idSchema,
  kind: z.enum(RECEIVER_KINDS).default('ble'),
  role: z.enum(RECEIVER_ROLES),
  floor: z.number().int(),
  position: pointSchema,
  storeId: idSchema.optional().describe('the store it serves; absent for mall receivers'),
  zoneId: idSchema.optional(),
  calibration: z
    .object({
      rssiOffsetDb: z
        .number()
        .min(-30)
        .max(30)
        .default(0)
        .describe(
          "this receiver's reporting bias, dB: its readings come out this much above the true level (the simulator adds it to every RSSI it reports); the gateway subtracts it from every reading before comparing receivers",
        ),
      refRssiAt1mDbm: z.number().min(-100).max(0).default(-59).describe('RSSI of a reference phone at 1 m'),
      pathLossExponent: z.number().min(1).max(6).default(2.2),
    })
    .default({ rssiOffsetDb: 0, refRssiAt1mDbm: -59, pathLossExponent: 2.2 }),
});
export type Receiver = z.infer<typeof receiverSchema>;

export const terminalSchema = z.object({
  id: idSchema,
  kind: z.enum(TERMINAL_KINDS),
  storeId: idSchema,
  floor: z.number().int(),
  position: pointSchema,
  zoneId: idSchema.optional(),
  recall: z.number().min(0).max(1).default(0.95).describe('simulation: share of true detections the terminal reports'),
});
export type Terminal = z.infer<typeof terminalSchema>;

export const gatewaySchema = z.object({
  id: idSchema,
  storeId: idSchema.optional().describe('the store the gateway serves; absent for a mall-wide gateway'),
  receivers: z.array(idSchema).min(1).describe('receiver ids this gateway listens to'),
  terminals: z.array(idSchema).default([]),
  tickMs: z.number().int().min(50).max(5000).default(250),
});
export type GatewaySpec = z.infer<typeof gatewaySchema>;

export const journeySchema = z
  .object({
    dwellThresholdMs: z.number().int().positive().default(30_000),
    dwellUpdateMs: z.number().int().positive().default(60_000),
    exitAbsenceMs: z.number().int().positive().default(12_000).describe('no signal for this long ends the visit'),
    approachRssiDbm: z.number().min(-110).max(-20).default(-85),
  })
  .default({ dwellThresholdMs: 30_000, dwellUpdateMs: 60_000, exitAbsenceMs: 12_000, approachRssiDbm: -85 });
export type JourneySettings = z.infer<typeof journeySchema>;

export const SITE_SCHEMA_VERSION = 1 as const;

const siteShape = z.object({
  $schema: z.string().optional(),
  version: z.literal(SITE_SCHEMA_VERSION).describe('site file schema version'),
  id: idSchema,
  name: z.string().min(1).max(200),
  timezone: z.string().refine(isKnownTimeZone, { message: 'not an IANA time zone this runtime knows (e.g. Asia/Shanghai, Europe/Berlin, UTC)' }).default('UTC'),
  openingHours: openingHoursSchema
    .optional()
    .describe('when the stores are open, in the site time zone; absent = always open. Gateways learn devices present while closed as staff'),
  floors: z.array(z.object({ level: z.number().int(), name: z.string().min(1).max(60) })).min(1),
  areas: z.array(zoneSchema).default([]).describe('mall common areas (corridors, atria) outside any store'),
  stores: z.array(storeSchema).min(1),
  receivers: z.array(receiverSchema).min(1),
  terminals: z.array(terminalSchema).default([]),
  gateways: z.array(gatewaySchema).min(1),
  journey: journeySchema,
  memberTokens: z
    .object({
      periodMs: z.number().int().min(60_000).default(DEFAULT_TOKEN_PERIOD_MS),
      legacyCards: z
        .boolean()
        .optional()
        .describe(
          "legacy mode: also resolve members' static iBeacon cards at this site. Off when absent: a static beacon can be followed by anyone listening, so only turn it on where card holders were told",
        ),
    })
    .default({ periodMs: DEFAULT_TOKEN_PERIOD_MS }),
});

/** The whole site, with cross-reference checks (floors declared, ids unique and resolvable). */
export const siteSchema = siteShape.superRefine((site, ctx) => {
  for (const { path, message } of crossCheckSite(site)) ctx.addIssue({ code: 'custom', path, message });
});
export type Site = z.infer<typeof siteSchema>;
export type SiteInput = z.input<typeof siteSchema>;
