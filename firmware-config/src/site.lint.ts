import { formatPath } from '@storesense/protocol';
import type { z } from 'zod';
import { distanceM, pointInShape, shapePolygon } from './geometry.js';
import { siteSchema, type Point, type Shape, type Site } from './site.schema.js';

/*
 * Warnings: things a valid site may legitimately contain but that are usually mistakes. The schema
 * strips unknown keys, so a misspelt optional key (`dwelThresholdMs`) would otherwise vanish
 * silently; geometry slips (an entrance off the wall, a zone poking out of its store) make the
 * simulators and the detector disagree. `storesense-site validate` prints them; `--strict` fails.
 */

/** Entrances farther than this from the footprint edge are probably mistyped. */
const ENTRANCE_EDGE_TOLERANCE_M = 0.5;

/**
 * Keys of `json` that the site schema does not know (and would drop), as `path: message`.
 * @example findUnknownKeys({ ...site, jounrey: {} }) // ['jounrey: unknown key (ignored)']
 */
export function findUnknownKeys(json: unknown): string[] {
  const out: string[] = [];
  walk(siteSchema, json, [], out);
  return out;
}

interface LooseDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}

function walk(schema: z.ZodType, value: unknown, path: PropertyKey[], out: string[]): void {
  const def = schema._zod.def as unknown as LooseDef;
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
      if (def.innerType !== undefined) walk(def.innerType, value, path, out);
      return;
    case 'pipe':
      if (def.in !== undefined) walk(def.in, value, path, out);
      return;
    case 'array':
      if (Array.isArray(value) && def.element !== undefined) value.forEach((v, i) => walk(def.element!, v, [...path, i], out));
      return;
    case 'union': {
      // Follow the branch the value actually matches; a value matching none is already an error.
      const branch = def.options?.find((o) => o.safeParse(value).success);
      if (branch !== undefined) walk(branch, value, path, out);
      return;
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || def.shape === undefined) return;
      for (const [key, v] of Object.entries(value)) {
        const child = def.shape[key];
        if (child !== undefined) walk(child, v, [...path, key], out);
        // A catchall (strict objects use `never`) means zod itself reports or keeps the key.
        else if (def.catchall === undefined) out.push(`${formatPath([...path, key])}: unknown key (ignored)`);
      }
      return;
    }
    default:
      return;
  }
}

/** Distance from `p` to the nearest edge of `shape`, metres. */
export function distanceToEdgeM(p: Point, shape: Shape): number {
  const poly = shapePolygon(shape);
  let best = Infinity;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) best = Math.min(best, distanceToSegmentM(p, poly[j]!, poly[i]!));
  return best;
}

function distanceToSegmentM(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return distanceM(p, { x: a.x + t * dx, y: a.y + t * dy });
}

const INSIDE_ROLES = new Set(['entrance', 'inside', 'checkout', 'escalator']);

/**
 * Plausibility warnings for a valid site, each as `path: message`: geometry (zones outside their
 * store, entrances off the footprint edge, receivers on the wrong side of the wall for their role)
 * and wiring (devices no gateway listens to, a store gateway listening to another store's devices).
 */
export function lintSite(site: Site): string[] {
  const out: string[] = [];
  const warn = (path: PropertyKey[], message: string) => out.push(`${formatPath(path)}: ${message}`);
  const storeById = new Map(site.stores.map((s) => [s.id, s]));

  site.stores.forEach((s, i) => {
    s.entrances.forEach((e, j) => {
      const d = distanceToEdgeM(e.at, s.shape);
      if (d > ENTRANCE_EDGE_TOLERANCE_M) warn(['stores', i, 'entrances', j, 'at'], `entrance is ${d.toFixed(1)} m from the store footprint edge`);
    });
    s.zones.forEach((z, j) => {
      // Vertex test: exact for a convex footprint, which store footprints almost always are.
      if (!shapePolygon(z.shape).every((p) => pointInShape(p, s.shape)))
        warn(['stores', i, 'zones', j, 'shape'], `zone "${z.id}" extends outside the footprint of store "${s.id}"`);
    });
  });

  site.receivers.forEach((r, i) => {
    const insideAny = site.stores.some((s) => s.floors.includes(r.floor) && pointInShape(r.position, s.shape) && distanceToEdgeM(r.position, s.shape) > 0);
    if ((r.role === 'storefront' || r.role === 'corridor') && insideAny)
      warn(['receivers', i, 'position'], `a ${r.role} receiver should be outside every store`);
    const store = r.storeId === undefined ? undefined : storeById.get(r.storeId);
    if (store !== undefined && INSIDE_ROLES.has(r.role) && !(store.floors.includes(r.floor) && pointInShape(r.position, store.shape))) {
      warn(['receivers', i, 'position'], `an ${r.role} receiver should be inside store "${store.id}" on floor ${r.floor}`);
    }
  });
  site.terminals.forEach((t, i) => {
    const store = storeById.get(t.storeId);
    if (store !== undefined && !(store.floors.includes(t.floor) && pointInShape(t.position, store.shape)))
      warn(['terminals', i, 'position'], `terminal is outside store "${store.id}" on floor ${t.floor}`);
  });

  const heardReceivers = new Set(site.gateways.flatMap((g) => g.receivers));
  const heardTerminals = new Set(site.gateways.flatMap((g) => g.terminals));
  site.receivers.forEach((r, i) => {
    if (!heardReceivers.has(r.id)) warn(['receivers', i], `receiver "${r.id}" is not listed by any gateway`);
  });
  site.terminals.forEach((t, i) => {
    if (!heardTerminals.has(t.id)) warn(['terminals', i], `terminal "${t.id}" is not listed by any gateway`);
  });
  const receiverStore = new Map(site.receivers.map((r) => [r.id, r.storeId]));
  const terminalStore = new Map(site.terminals.map((t) => [t.id, t.storeId]));
  site.gateways.forEach((g, i) => {
    if (g.storeId === undefined) return;
    g.receivers.forEach((id, j) => {
      const s = receiverStore.get(id);
      if (s !== undefined && s !== g.storeId) warn(['gateways', i, 'receivers', j], `receiver "${id}" belongs to store "${s}", not "${g.storeId}"`);
    });
    g.terminals.forEach((id, j) => {
      const s = terminalStore.get(id);
      if (s !== undefined && s !== g.storeId) warn(['gateways', i, 'terminals', j], `terminal "${id}" belongs to store "${s}", not "${g.storeId}"`);
    });
  });
  return out;
}
