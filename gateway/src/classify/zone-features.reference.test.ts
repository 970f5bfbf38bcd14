import { describe, expect, it } from 'vitest';
import { exampleSitePath, loadSiteFile, renderGatewayConfig, shapeAreaM2, shapeBounds, type ZoneKind } from '@storesense/firmware-config';
import { mulberry32 } from '../random.js';
import { radioWalk, type Waypoint } from '../testing/radio-walk.js';
import { Tracker } from '../tracking/tracker.js';
import { computeFeatures, FRESH_MS, MISSING_DBM, type FeatureWindow } from './features.js';
import { estimateFloor } from './rules.classifier.js';
import { siteContext, type SiteContext } from './site-context.js';
import { estimateZone, floorGrid, gridResiduals, type FloorGrid } from './zone-estimate.js';
import { ZONE_FEATURE_COUNT, zoneCandidates } from './zone-features.js';

/*
 * The zone candidates and residuals after decision 52 (receiver-major residual loops, per-floor
 * layout and scratch buffers) must be bit-identical to what they replaced. This is that code
 * (commit 4023732), kept here only as the reference: point-major residuals, string-keyed maps.
 */
function referenceResiduals(grid: FloorGrid, obsMap: ReadonlyMap<string, number>) {
  const idx: number[] = [];
  const obs: number[] = [];
  for (const [rxId, dbm] of obsMap) {
    const i = grid.receiverIndex.get(rxId);
    if (i === undefined) continue;
    idx.push(i);
    obs.push(dbm);
  }
  const n = idx.length;
  if (n < 2) return undefined;
  const P = grid.points.length;
  const E = (p: number, r: number) => grid.expectedByReceiver[r * P + p]!;
  const sse = new Float64Array(P);
  let bestPoint = -1;
  let bestSse = Number.POSITIVE_INFINITY;
  for (let p = 0; p < P; p++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += obs[k]! - E(p, idx[k]!);
    const offset = sum / n;
    let err = 0;
    for (let k = 0; k < n; k++) {
      const r = obs[k]! - E(p, idx[k]!) - offset;
      err += r * r;
    }
    sse[p] = err;
    if (err < bestSse) {
      bestSse = err;
      bestPoint = p;
    }
  }
  return { sse, n, bestPoint, bestSse };
}

const KIND_FLAGS: readonly ZoneKind[] = ['entrance', 'checkout', 'fitting', 'escalator', 'window'];

function referenceFit(grid: FloorGrid, obsMap: ReadonlyMap<string, number>) {
  const r = referenceResiduals(grid, obsMap);
  if (!r) return undefined;
  const minMse = new Map<string, number>();
  const weight = new Map<string, number>();
  let total = 0;
  grid.zoneIds.forEach((z, p) => {
    const e = r.sse[p]!;
    minMse.set(z, Math.min(minMse.get(z) ?? Number.POSITIVE_INFINITY, e / r.n));
    const w = Math.exp(-(e - r.bestSse) / (2 * 4 * 4));
    weight.set(z, (weight.get(z) ?? 0) + w);
    total += w;
  });
  const posterior = new Map([...weight].map(([z, w]) => [z, w / total]));
  const k = Math.min(8, grid.points.length);
  const order = grid.zoneIds.map((z, p) => ({ z, p, e: r.sse[p]! })).sort((a, b) => a.e - b.e || a.p - b.p);
  const topShare = new Map<string, number>();
  for (const { z } of order.slice(0, k)) topShare.set(z, (topShare.get(z) ?? 0) + 1 / k);
  return { minMse, posterior, topShare, used: r.n };
}

function referenceCandidates(w: FeatureWindow, floor: number | undefined, ctx: SiteContext) {
  if (floor === undefined) return undefined;
  const grid = floorGrid(ctx, floor);
  const zones = ctx.storeZonesByFloor.get(floor);
  if (!grid || !zones || grid.points.length === 0) return undefined;
  const slow = referenceFit(grid, w.storeSideDbm);
  const fast = referenceFit(grid, w.storeSideFastDbm);
  if (!slow || !fast) return undefined;
  const rms = (f: NonNullable<typeof slow>, z: string) => Math.sqrt(f.minMse.get(z) ?? 400);
  const zoneIds = zones.map((z) => z.id).filter((id) => slow.minMse.has(id));
  if (zoneIds.length === 0) return undefined;
  const bestSlow = Math.min(...zoneIds.map((z) => rms(slow, z)));
  const bestFast = Math.min(...zoneIds.map((z) => rms(fast, z)));
  let strongestId: string | undefined;
  let strongest = MISSING_DBM;
  const zoneRx = new Map<string, number>();
  const zoneHasRx = new Set<string>();
  for (const r of ctx.receivers.values()) if (r.storeSide && r.floor === floor && r.zoneId !== undefined) zoneHasRx.add(r.zoneId);
  for (const [rxId, dbm] of w.storeSideFastDbm) {
    const info = ctx.receivers.get(rxId);
    if (!info || info.floor !== floor) continue;
    if (dbm > strongest) {
      strongest = dbm;
      strongestId = rxId;
    }
    if (info.zoneId !== undefined) zoneRx.set(info.zoneId, Math.max(zoneRx.get(info.zoneId) ?? MISSING_DBM, dbm));
  }
  const strongestAt = strongestId === undefined ? undefined : ctx.receivers.get(strongestId)?.position;
  const byId = new Map(zones.map((z) => [z.id, z]));
  const values = new Float32Array(zoneIds.length * ZONE_FEATURE_COUNT);
  zoneIds.forEach((id, row) => {
    const z = byId.get(id)!;
    const b = shapeBounds(z.shape);
    let distM = 0;
    if (strongestAt) {
      const dx = Math.max(b.minX - strongestAt.x, 0, strongestAt.x - b.maxX);
      const dy = Math.max(b.minY - strongestAt.y, 0, strongestAt.y - b.maxY);
      distM = Math.hypot(dx, dy);
    }
    const own = zoneRx.get(id);
    let i = row * ZONE_FEATURE_COUNT;
    values[i++] = Math.min(20, rms(slow, id));
    values[i++] = Math.min(20, rms(slow, id) - bestSlow);
    values[i++] = Math.min(20, rms(fast, id) - bestFast);
    values[i++] = Math.log(Math.max(1e-4, slow.posterior.get(id) ?? 0));
    values[i++] = Math.log(Math.max(1e-4, fast.posterior.get(id) ?? 0));
    values[i++] = slow.topShare.get(id) ?? 0;
    values[i++] = own === undefined ? -30 : Math.max(-30, own - strongest);
    values[i++] = zoneHasRx.has(id) ? 1 : 0;
    values[i++] = Math.min(40, distM);
    values[i++] = Math.log(Math.max(1, shapeAreaM2(z.shape)));
    for (const k of KIND_FLAGS) values[i++] = z.kind === k ? 1 : 0;
    values[i++] = slow.used;
    values[i++] = zoneIds.length;
  });
  return { zoneIds, values };
}

const sites = (['boutique', 'dept-store', 'sports-store'] as const).map((name) => {
  const site = loadSiteFile(exampleSitePath(name));
  if (!site.ok) throw new Error(site.error);
  const config = renderGatewayConfig(site.value, site.value.gateways[0]!.id);
  return { name, config, ctx: siteContext(config) };
});

/** Random evidence maps over a site's receivers (store-side, outside and unknown ids), ties on a 0.5 dB grid included. */
function randomWindow(rnd: () => number, ctx: SiteContext): FeatureWindow {
  const ids = [...ctx.receivers.keys(), 'rx-unknown'];
  const slow = new Map<string, number>();
  const fast = new Map<string, number>();
  const level = () => (rnd() < 0.3 ? Math.round((-95 + rnd() * 50) * 2) / 2 : -95 + rnd() * 50);
  for (const id of ids.sort(() => rnd() - 0.5)) {
    if (rnd() < 0.4) continue;
    const v = level();
    slow.set(id, v);
    fast.set(id, rnd() < 0.2 ? v : level());
  }
  return { storeSideDbm: slow, storeSideFastDbm: fast } as unknown as FeatureWindow;
}

function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function compare(w: FeatureWindow, floor: number | undefined, ctx: SiteContext, where: string, bad: string[]): boolean {
  const got = zoneCandidates(w, floor, ctx);
  const want = referenceCandidates(w, floor, ctx);
  if (!got || !want) {
    if (got !== want) bad.push(`${where}: ${got ? 'rows' : 'undefined'} vs ${want ? 'rows' : 'undefined'}`);
    return false;
  }
  if (got.zoneIds.join() !== want.zoneIds.join() || !sameBits(got.values, want.values)) bad.push(`${where}: rows differ`);
  return true;
}

describe('zone candidates against the reference (map-based, point-major) implementation', () => {
  it('gives bit-identical candidate rows and residuals on 9,000 random windows on the three sites', () => {
    const rnd = mulberry32(52);
    const bad: string[] = [];
    let rows = 0;
    for (let i = 0; i < 9000; i++) {
      const { name, ctx } = sites[i % sites.length]!;
      const w = randomWindow(rnd, ctx);
      const floors = [...ctx.storeZonesByFloor.keys()];
      const floor = rnd() < 0.05 ? undefined : floors[Math.floor(rnd() * floors.length)]!;
      if (compare(w, floor, ctx, `${name} #${i}`, bad)) rows += 1;
      if (floor !== undefined) {
        const grid = floorGrid(ctx, floor)!;
        const a = gridResiduals(grid, w.storeSideDbm);
        const b = referenceResiduals(grid, w.storeSideDbm);
        if ((a === undefined) !== (b === undefined) || (a && b && (!sameBits(a.sse, b.sse) || a.bestPoint !== b.bestPoint || a.n !== b.n)))
          bad.push(`${name} #${i}: residuals differ`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(rows).toBeGreaterThan(4000);
  }, 120_000);

  it('gives bit-identical rows on real feature windows of walks through each store (tracker + features, every tick)', () => {
    const bad: string[] = [];
    let rows = 0;
    for (const { name, config, ctx } of sites) {
      const store = config.stores[0]!;
      const zones = store.zones;
      const entrance = store.entrances[0]!;
      // In by the door, through every zone of the store (on its floor), out again.
      const walk: Waypoint[] = [{ t: 0, floor: entrance.floor, x: entrance.at.x, y: entrance.at.y - 6 }];
      let t = 0;
      for (const z of zones) {
        const b = shapeBounds(z.shape);
        t += 12_000;
        walk.push({ t, floor: z.floor, x: (b.minX + b.maxX) / 2, y: (b.minY + b.maxY) / 2 });
        t += 8_000;
        walk.push({ t, floor: z.floor, x: (b.minX + b.maxX) / 2 + 0.7, y: (b.minY + b.maxY) / 2 });
      }
      walk.push({ t: t + 15_000, floor: entrance.floor, x: entrance.at.x, y: entrance.at.y - 6 });
      const T0 = 1_767_607_200_000;
      for (const seed of [1, 2]) {
        const obs = radioWalk(config, 'walker', T0, walk, { seed });
        const tracker = new Tracker({ rssiCorrectionDb: ctx.rssiCorrectionDb });
        let i = 0;
        for (let now = T0; now <= T0 + t + 15_000; now += 250) {
          while (i < obs.length && obs[i]!.at <= now) tracker.observe(obs[i++]!);
          const track = tracker.get('walker');
          if (!track || track.lastRadioAt === undefined || now - track.lastRadioAt > FRESH_MS) continue;
          const w = computeFeatures(track, now, ctx);
          const floor = estimateFloor(w, 3).floor;
          if (compare(w, floor, ctx, `${name} seed ${seed} at ${now - T0}`, bad)) rows += 1;
          // estimateZone shares the residual core.
          const z = estimateZone(w, floor, ctx);
          const ref =
            floor === undefined
              ? undefined
              : referenceResiduals(
                  floorGrid(ctx, floor) ?? { receiverIndex: new Map(), receivers: 0, zoneIds: [], points: [], expectedByReceiver: new Float64Array(0) },
                  w.storeSideDbm,
                );
          if (ref && ref.bestPoint >= 0 && z.zoneId !== floorGrid(ctx, floor!)!.zoneIds[ref.bestPoint])
            bad.push(`${name} at ${now - T0}: estimateZone differs`);
        }
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(rows).toBeGreaterThan(1000);
  }, 120_000);
});
