import { formatPath } from '@storesense/protocol';
import { z } from 'zod';

/*
 * Cross-reference checks of a site (floors declared, ids unique and resolvable), written against a
 * lenient view of the site where any field may be missing. The schema's refinement runs them on a
 * fully parsed site; zod skips refinements once a field fails to parse, so `validateSite` also runs
 * them on the lenient view of a broken file. That way one pass reports a wrong type *and* a dangling
 * reference, instead of revealing the second only after the first is fixed.
 */

const id = z.string().optional().catch(undefined);
const num = z.number().optional().catch(undefined);
const list = <T extends z.ZodType>(element: T) => z.array(element).catch([]);
const ids = list(id);
const zoneRef = z.object({ id, floor: num }).catch({});

/** The fields the cross-reference checks read; every one optional, wrong types become undefined. */
export const lenientSiteSchema = z
  .object({
    floors: list(z.object({ level: num }).catch({})),
    areas: list(zoneRef),
    stores: list(
      z
        .object({
          id,
          floors: list(num),
          entrances: list(z.object({ floor: num }).catch({})),
          zones: list(zoneRef),
          shape: z.unknown().optional(),
          wallAttenuationDb: z.unknown().optional(),
        })
        .catch({ floors: [], entrances: [], zones: [], shape: undefined, wallAttenuationDb: undefined }),
    ),
    receivers: list(z.object({ id, floor: num, storeId: id, zoneId: id }).catch({})),
    terminals: list(z.object({ id, floor: num, storeId: id, zoneId: id }).catch({})),
    gateways: list(z.object({ id, storeId: id, receivers: ids, terminals: ids }).catch({ receivers: [], terminals: [] })),
  })
  .catch({ floors: [], areas: [], stores: [], receivers: [], terminals: [], gateways: [] });

interface ZoneRef {
  id?: string | undefined;
  floor?: number | undefined;
}
interface DeviceRef extends ZoneRef {
  storeId?: string | undefined;
  zoneId?: string | undefined;
}
/** A site as far as cross-references go; both a parsed `Site` and the lenient view fit it. */
export interface SiteRefs {
  floors: readonly { level?: number | undefined }[];
  areas: readonly ZoneRef[];
  stores: readonly {
    id?: string | undefined;
    floors: readonly (number | undefined)[];
    entrances: readonly { floor?: number | undefined }[];
    zones: readonly ZoneRef[];
    shape?: unknown;
    wallAttenuationDb?: unknown;
  }[];
  receivers: readonly DeviceRef[];
  terminals: readonly DeviceRef[];
  gateways: readonly {
    id?: string | undefined;
    storeId?: string | undefined;
    receivers: readonly (string | undefined)[];
    terminals: readonly (string | undefined)[];
  }[];
}

export interface CrossCheckIssue {
  path: PropertyKey[];
  message: string;
}

/** Every cross-reference problem of `site`, with paths. Fields that are undefined are skipped. */
export function crossCheckSite(site: SiteRefs): CrossCheckIssue[] {
  const issues: CrossCheckIssue[] = [];
  const add = (path: PropertyKey[], message: string) => issues.push({ path, message });
  const levels = new Set(site.floors.map((f) => f.level));
  const floorCheck = (floor: number | undefined, path: PropertyKey[]) => {
    if (floor !== undefined && !levels.has(floor)) add(path, `floor ${floor} is not declared in floors`);
  };
  const defined = <T>(v: T | undefined): v is T => v !== undefined;
  const storeIds = new Set(site.stores.map((s) => s.id).filter(defined));
  const zoneFloors = new Map<string, number | undefined>();
  const zones: { id: string | undefined; path: PropertyKey[] }[] = [];
  site.areas.forEach((z, i) => {
    floorCheck(z.floor, ['areas', i, 'floor']);
    if (z.id !== undefined) zoneFloors.set(z.id, z.floor);
    zones.push({ id: z.id, path: ['areas', i] });
  });
  site.stores.forEach((s, i) => {
    s.floors.forEach((f, j) => floorCheck(f, ['stores', i, 'floors', j]));
    // An undeclared floor is reported as such; a declared floor the store does not occupy gets its own message.
    const storeFloorCheck = (floor: number | undefined, path: PropertyKey[], what: string) => {
      if (floor === undefined) return;
      if (!levels.has(floor)) floorCheck(floor, path);
      else if (!s.floors.includes(floor)) add(path, `${what} floor ${floor} is not one of the store's floors`);
    };
    const edges = footprintEdges(s.shape);
    if (Array.isArray(s.wallAttenuationDb) && edges !== undefined && s.wallAttenuationDb.length !== edges) {
      add(
        ['stores', i, 'wallAttenuationDb'],
        `${s.wallAttenuationDb.length} values for a footprint of ${edges} edges: give one per edge in polygon order (rect edges: south, east, north, west), or one number for all`,
      );
    }
    s.entrances.forEach((e, j) => storeFloorCheck(e.floor, ['stores', i, 'entrances', j, 'floor'], 'entrance'));
    s.zones.forEach((z, j) => {
      storeFloorCheck(z.floor, ['stores', i, 'zones', j, 'floor'], 'zone');
      if (z.id !== undefined) zoneFloors.set(z.id, z.floor);
      zones.push({ id: z.id, path: ['stores', i, 'zones', j] });
    });
  });
  const unique = (items: { id: string | undefined; path: PropertyKey[] }[], what: string) => {
    const seen = new Map<string, string>();
    for (const { id: value, path } of items) {
      if (value === undefined) continue;
      const before = seen.get(value);
      if (before !== undefined) add([...path, 'id'], `duplicate ${what} id "${value}" (first at ${before})`);
      else seen.set(value, formatPath(path));
    }
  };
  unique(
    site.stores.map((s, i) => ({ id: s.id, path: ['stores', i] })),
    'store',
  );
  unique(zones, 'zone');
  unique(
    site.receivers.map((r, i) => ({ id: r.id, path: ['receivers', i] })),
    'receiver',
  );
  unique(
    site.terminals.map((t, i) => ({ id: t.id, path: ['terminals', i] })),
    'terminal',
  );
  unique(
    site.gateways.map((g, i) => ({ id: g.id, path: ['gateways', i] })),
    'gateway',
  );
  // Terminals report observations under their own id as receiverId, so the two id spaces must not overlap.
  const receiverIds = new Set(site.receivers.map((r) => r.id).filter(defined));
  const terminalIds = new Set(site.terminals.map((t) => t.id).filter(defined));
  site.terminals.forEach((t, i) => {
    if (t.id !== undefined && receiverIds.has(t.id)) add(['terminals', i, 'id'], `terminal id "${t.id}" is also a receiver id`);
  });
  const deviceCheck = (d: DeviceRef, path: PropertyKey[]) => {
    floorCheck(d.floor, [...path, 'floor']);
    if (d.storeId !== undefined && !storeIds.has(d.storeId)) add([...path, 'storeId'], `unknown store "${d.storeId}"`);
    if (d.zoneId === undefined) return;
    if (!zoneFloors.has(d.zoneId)) add([...path, 'zoneId'], `unknown zone "${d.zoneId}"`);
    else {
      // A device attached to a zone must be on that zone's floor (a floor typo would silently misplace it).
      const zf = zoneFloors.get(d.zoneId);
      if (zf !== undefined && d.floor !== undefined && zf !== d.floor) add([...path, 'zoneId'], `zone "${d.zoneId}" is on floor ${zf}, not ${d.floor}`);
    }
  };
  site.receivers.forEach((r, i) => deviceCheck(r, ['receivers', i]));
  site.terminals.forEach((t, i) => deviceCheck(t, ['terminals', i]));
  site.gateways.forEach((g, i) => {
    if (g.storeId !== undefined && !storeIds.has(g.storeId)) add(['gateways', i, 'storeId'], `unknown store "${g.storeId}"`);
    g.receivers.forEach((r, j) => {
      if (r !== undefined && !receiverIds.has(r)) add(['gateways', i, 'receivers', j], `unknown receiver "${r}"`);
    });
    g.terminals.forEach((t, j) => {
      if (t !== undefined && !terminalIds.has(t)) add(['gateways', i, 'terminals', j], `unknown terminal "${t}"`);
    });
  });
  return issues;
}

/** Edges of a footprint: 4 for a rect, one per vertex for a polygon; undefined when unreadable. */
function footprintEdges(shape: unknown): number | undefined {
  if (typeof shape !== 'object' || shape === null) return undefined;
  if ('rect' in shape) return 4;
  if ('polygon' in shape && Array.isArray(shape.polygon)) return shape.polygon.length;
  return undefined;
}
