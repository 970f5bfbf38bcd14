import { z } from 'zod';
import { DEFAULT_TOKEN_PERIOD_MS, formatPath, idSchema, TERMINAL_KINDS } from '@storesense/protocol';

/**
 * The site model (DESIGN §2): one mall or stand-alone store, its floors, stores, zones, receivers,
 * terminals and gateways. Coordinates are metres in one site frame (x east, y north), per floor;
 * floors are integer levels (0 = ground). One file describes one site; `validateSite` reports every
 * error with its path (`stores[0].zones[3].floor: floor 7 is not declared in floors`).
 */

export const pointSchema = z.object({ x: z.number().finite(), y: z.number().finite() }).describe('metres in the site frame');
export type Point = z.infer<typeof pointSchema>;

export const shapeSchema = z
  .union([
    z.object({ rect: z.object({ x: z.number(), y: z.number(), w: z.number().positive(), h: z.number().positive() }) }).strict(),
    z.object({ polygon: z.array(pointSchema).min(3) }).strict(),
  ])
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

export const storeSchema = z.object({
  id: idSchema,
  name: z.string().min(1).max(120),
  floors: z.array(z.number().int()).min(1).describe('levels the store occupies'),
  shape: shapeSchema.describe('footprint, the same on every floor it occupies'),
  entrances: z.array(entranceSchema).min(1),
  zones: z.array(zoneSchema).default([]),
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
      rssiOffsetDb: z.number().min(-30).max(30).default(0).describe('added to every RSSI this receiver reports'),
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
  timezone: z.string().default('UTC'),
  floors: z.array(z.object({ level: z.number().int(), name: z.string().min(1).max(60) })).min(1),
  areas: z.array(zoneSchema).default([]).describe('mall common areas (corridors, atria) outside any store'),
  stores: z.array(storeSchema).min(1),
  receivers: z.array(receiverSchema).min(1),
  terminals: z.array(terminalSchema).default([]),
  gateways: z.array(gatewaySchema).min(1),
  journey: journeySchema,
  memberTokens: z
    .object({ periodMs: z.number().int().min(60_000).default(DEFAULT_TOKEN_PERIOD_MS) })
    .default({ periodMs: DEFAULT_TOKEN_PERIOD_MS }),
});

function checkUnique(ctx: z.RefinementCtx, ids: { id: string; path: PropertyKey[] }[], what: string): void {
  const seen = new Map<string, string>();
  for (const { id, path } of ids) {
    const before = seen.get(id);
    if (before !== undefined) ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: `duplicate ${what} id "${id}" (first at ${before})` });
    else seen.set(id, formatPath(path));
  }
}

/** The whole site, with cross-reference checks (floors declared, ids unique and resolvable). */
export const siteSchema = siteShape.superRefine((site, ctx) => {
  const levels = new Set(site.floors.map((f) => f.level));
  const floorCheck = (floor: number, path: PropertyKey[]) => {
    if (!levels.has(floor)) ctx.addIssue({ code: 'custom', path, message: `floor ${floor} is not declared in floors` });
  };
  const storeIds = new Set(site.stores.map((s) => s.id));
  const zoneIds = new Set<string>();
  const zoneFloors = new Map<string, number>();
  const zones: { id: string; path: PropertyKey[] }[] = [];
  site.areas.forEach((z, i) => {
    floorCheck(z.floor, ['areas', i, 'floor']);
    zoneIds.add(z.id);
    zoneFloors.set(z.id, z.floor);
    zones.push({ id: z.id, path: ['areas', i] });
  });
  site.stores.forEach((s, i) => {
    s.floors.forEach((f, j) => floorCheck(f, ['stores', i, 'floors', j]));
    // An undeclared floor is reported as such; a declared floor the store does not occupy gets its own message.
    s.entrances.forEach((e, j) => {
      if (!levels.has(e.floor)) floorCheck(e.floor, ['stores', i, 'entrances', j, 'floor']);
      else if (!s.floors.includes(e.floor)) ctx.addIssue({ code: 'custom', path: ['stores', i, 'entrances', j, 'floor'], message: `entrance floor ${e.floor} is not one of the store's floors` });
    });
    s.zones.forEach((z, j) => {
      if (!levels.has(z.floor)) floorCheck(z.floor, ['stores', i, 'zones', j, 'floor']);
      else if (!s.floors.includes(z.floor)) ctx.addIssue({ code: 'custom', path: ['stores', i, 'zones', j, 'floor'], message: `zone floor ${z.floor} is not one of the store's floors` });
      zoneIds.add(z.id);
      zoneFloors.set(z.id, z.floor);
      zones.push({ id: z.id, path: ['stores', i, 'zones', j] });
    });
  });
  checkUnique(ctx, site.stores.map((s, i) => ({ id: s.id, path: ['stores', i] })), 'store');
  checkUnique(ctx, zones, 'zone');
  checkUnique(ctx, site.receivers.map((r, i) => ({ id: r.id, path: ['receivers', i] })), 'receiver');
  checkUnique(ctx, site.terminals.map((t, i) => ({ id: t.id, path: ['terminals', i] })), 'terminal');
  checkUnique(ctx, site.gateways.map((g, i) => ({ id: g.id, path: ['gateways', i] })), 'gateway');
  // Terminals report observations under their own id as receiverId, so the two id spaces must not overlap.
  const receiverIds = new Set(site.receivers.map((r) => r.id));
  site.terminals.forEach((t, i) => {
    if (receiverIds.has(t.id)) ctx.addIssue({ code: 'custom', path: ['terminals', i, 'id'], message: `terminal id "${t.id}" is also a receiver id` });
  });
  // A device attached to a zone must be on that zone's floor (a floor typo would silently misplace it).
  const zoneFloorCheck = (zoneId: string | undefined, floor: number, path: PropertyKey[]) => {
    const zf = zoneId === undefined ? undefined : zoneFloors.get(zoneId);
    if (zf !== undefined && zf !== floor) ctx.addIssue({ code: 'custom', path, message: `zone "${zoneId}" is on floor ${zf}, not ${floor}` });
  };
  const terminalIds = new Set(site.terminals.map((t) => t.id));
  site.receivers.forEach((r, i) => {
    floorCheck(r.floor, ['receivers', i, 'floor']);
    if (r.storeId !== undefined && !storeIds.has(r.storeId)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'storeId'], message: `unknown store "${r.storeId}"` });
    if (r.zoneId !== undefined && !zoneIds.has(r.zoneId)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'zoneId'], message: `unknown zone "${r.zoneId}"` });
    zoneFloorCheck(r.zoneId, r.floor, ['receivers', i, 'zoneId']);
  });
  site.terminals.forEach((t, i) => {
    floorCheck(t.floor, ['terminals', i, 'floor']);
    if (!storeIds.has(t.storeId)) ctx.addIssue({ code: 'custom', path: ['terminals', i, 'storeId'], message: `unknown store "${t.storeId}"` });
    if (t.zoneId !== undefined && !zoneIds.has(t.zoneId)) ctx.addIssue({ code: 'custom', path: ['terminals', i, 'zoneId'], message: `unknown zone "${t.zoneId}"` });
    zoneFloorCheck(t.zoneId, t.floor, ['terminals', i, 'zoneId']);
  });
  site.gateways.forEach((g, i) => {
    if (g.storeId !== undefined && !storeIds.has(g.storeId)) ctx.addIssue({ code: 'custom', path: ['gateways', i, 'storeId'], message: `unknown store "${g.storeId}"` });
    g.receivers.forEach((r, j) => {
      if (!receiverIds.has(r)) ctx.addIssue({ code: 'custom', path: ['gateways', i, 'receivers', j], message: `unknown receiver "${r}"` });
    });
    g.terminals.forEach((t, j) => {
      if (!terminalIds.has(t)) ctx.addIssue({ code: 'custom', path: ['gateways', i, 'terminals', j], message: `unknown terminal "${t}"` });
    });
  });
});
export type Site = z.infer<typeof siteSchema>;
export type SiteInput = z.input<typeof siteSchema>;
