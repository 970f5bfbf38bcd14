import { describe, expect, it } from 'vitest';
import { exampleSitePath, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { mulberry32 } from '../random.js';
import { fitPlace, fitPlacePair, NO_FIT, type PlaceFit } from './place-fit.js';
import type { PlaceGrid } from './place-geometry.js';
import { siteContext } from './site-context.js';

/*
 * fitPlace runs receiver-major over a transposed table and fitPlacePair reuses a subject's fits
 * while its levels are unchanged (decision 52); both must give exactly what the point-major fit
 * gave. This is that fit (features v4 as first landed), kept here only as the reference.
 */
function referenceFit(grid: PlaceGrid, idx: Int32Array, obs: Float64Array, n: number): PlaceFit {
  if (n === 0) return { ...NO_FIT };
  const R = grid.receiverIds.length;
  const E = grid.expected;
  const points = grid.points;
  const sse = new Float64Array(points);
  let best = 0;
  let bestSse = Number.POSITIVE_INFINITY;
  let bestIn = Number.POSITIVE_INFINITY;
  let bestOut = Number.POSITIVE_INFINITY;
  for (let p = 0, base = 0; p < points; p++, base += R) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += obs[k]! - E[base + idx[k]!]!;
    const offset = sum / (n + 1);
    let err = offset * offset * 1;
    for (let k = 0; k < n; k++) {
      const r = obs[k]! - E[base + idx[k]!]! - offset;
      err += r * r;
    }
    sse[p] = err;
    if (grid.inside[p]) {
      if (err < bestIn) bestIn = err;
    } else if (err < bestOut) bestOut = err;
    if (err < bestSse) {
      bestSse = err;
      best = p;
    }
  }
  const twoSigma2 = 2 * 4 * 4;
  let total = 0;
  let inside = 0;
  let outside = 0;
  let depth = 0;
  let door = 0;
  for (let p = 0; p < points; p++) {
    const w = Math.exp(-(sse[p]! - bestSse) / twoSigma2);
    total += w;
    if (grid.inside[p]) inside += w;
    else outside += w;
    depth += w * grid.depth[p]!;
    door += w * grid.door[p]!;
  }
  const meanIn = grid.insidePoints === 0 ? 0 : inside / grid.insidePoints;
  const meanOut = grid.points === grid.insidePoints ? 0 : outside / (grid.points - grid.insidePoints);
  const margin = Number.isFinite(bestIn) && Number.isFinite(bestOut) ? (bestOut - bestIn) / n : Number.isFinite(bestIn) ? 100 : -100;
  return {
    insideMass: meanIn + meanOut === 0 ? 0 : meanIn / (meanIn + meanOut),
    inOutMarginDb: Math.max(-10, Math.min(10, Math.sign(margin) * Math.sqrt(Math.abs(margin)))),
    depthM: depth / total,
    bestDepthM: grid.depth[best]!,
    bestDoorM: grid.door[best]!,
    doorM: door / total,
    rmsDb: Math.sqrt(bestSse / n),
    used: n,
  };
}

const grids = (['boutique', 'dept-store', 'sports-store'] as const).flatMap((name) => {
  const site = loadSiteFile(exampleSitePath(name));
  if (!site.ok) throw new Error(site.error);
  return [...siteContext(renderGatewayConfig(site.value, site.value.gateways[0]!.id)).placeGrids.values()].map((grid) => ({ name, grid }));
});

const differs = (a: PlaceFit, b: PlaceFit) => (Object.keys(b) as (keyof PlaceFit)[]).filter((k) => !Object.is(a[k], b[k]));

describe('place fit against the point-major reference', () => {
  it('gives bit-identical fits on 6,000 random observation sets over every example floor', () => {
    const rnd = mulberry32(52);
    const bad: string[] = [];
    const out: PlaceFit = { ...NO_FIT };
    for (let i = 0; i < 6000; i++) {
      const { name, grid } = grids[i % grids.length]!;
      const R = grid.receiverIds.length;
      const n = Math.floor(rnd() * Math.min(R, 9));
      const idx = new Int32Array(n);
      const obs = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        idx[k] = Math.floor(rnd() * R);
        obs[k] = rnd() < 0.3 ? Math.round(-95 + rnd() * 50) : -95 + rnd() * 50;
      }
      const d = differs(fitPlace(grid, idx, obs, n, out), referenceFit(grid, idx, obs, n));
      if (d.length > 0) bad.push(`${name} #${i}: ${d.join(', ')}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('fitPlacePair reuses the fits of a subject only while its inputs are unchanged', () => {
    const rnd = mulberry32(9);
    const { grid } = grids[1]!;
    const R = grid.receiverIds.length;
    const subject = {};
    let n = 3;
    let idx = Int32Array.from({ length: n }, (_, k) => k % R);
    let fast = Float64Array.from({ length: n }, () => -60 - rnd() * 20);
    let slow = Float64Array.from({ length: n }, () => -60 - rnd() * 20);
    const bad: string[] = [];
    const f: PlaceFit = { ...NO_FIT };
    const s: PlaceFit = { ...NO_FIT };
    for (let t = 0; t < 400; t++) {
      const u = rnd();
      // Most ticks repeat (no new advert); others change one level, the receiver set or its order.
      if (u < 0.3) {
        const k = Math.floor(rnd() * n);
        fast = Float64Array.from(fast);
        fast[k] = fast[k]! + (rnd() < 0.5 ? 1e-9 : 1);
      } else if (u < 0.4) {
        slow = Float64Array.from(slow);
        slow[Math.floor(rnd() * n)]! -= 0.5;
      } else if (u < 0.5) {
        n = 1 + Math.floor(rnd() * Math.min(R, 6));
        idx = Int32Array.from({ length: n }, () => Math.floor(rnd() * R));
        fast = Float64Array.from({ length: n }, () => -60 - rnd() * 20);
        slow = Float64Array.from({ length: n }, () => -60 - rnd() * 20);
      } else if (u < 0.55 && n > 1) {
        idx = Int32Array.from(idx).reverse();
      }
      fitPlacePair(subject, grid, idx, fast, slow, n, f, s);
      const d = [...differs(f, referenceFit(grid, idx, fast, n)), ...differs(s, referenceFit(grid, idx, slow, n))];
      if (d.length > 0) bad.push(`tick ${t}: ${d.join(', ')}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
