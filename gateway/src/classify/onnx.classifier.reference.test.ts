import { describe, expect, it } from 'vitest';
import { exampleSitePath, loadSiteFile, renderGatewayConfig, shapeBounds } from '@storesense/firmware-config';
import { radioWalk, type Waypoint } from '../testing/radio-walk.js';
import { Tracker } from '../tracking/tracker.js';
import type { ClassProbs } from './classifier.js';
import { createClassifier } from './create-classifier.js';
import { computeFeatures, FEATURE_COUNT, FRESH_MS, MISSING_DBM, type FeatureWindow } from './features.js';
import type { OnnxClassifier } from './onnx.classifier.js';
import { estimateFloor } from './rules.classifier.js';
import { siteContext, type SiteContext } from './site-context.js';
import { estimateZone } from './zone-estimate.js';
import { ZONE_FEATURE_COUNT, zoneCandidates, type ZoneCandidates } from './zone-features.js';

/*
 * OnnxClassifier.classify runs the place head, then the zone head only for subjects whose zone is
 * reported, with zone candidates cached while a subject's evidence is unchanged (decision 52). It
 * must give exactly what the one-run version gave. This is that version (commit 4023732), kept
 * here only as the reference: candidates for every subject near enough, one run over both heads.
 */
function referenceClassify(c: OnnxClassifier, ctx: SiteContext, windows: readonly FeatureWindow[]): ClassProbs[] {
  const x = new Float32Array(windows.length * FEATURE_COUNT);
  windows.forEach((w, i) => {
    x.set(w.values, i * FEATURE_COUNT);
  });
  const floors = windows.map((w) => estimateFloor(w, 3));
  const cands: (ZoneCandidates & { first: number })[] = [];
  const candOf = new Array<number>(windows.length).fill(-1);
  let zoneRows = 0;
  windows.forEach((w, i) => {
    if (w.storeSideMaxDbm <= MISSING_DBM || w.storeSideMaxDbm < w.outsideSideMaxDbm - 8) return;
    const cand = zoneCandidates(w, floors[i]!.floor, ctx);
    if (!cand) return;
    candOf[i] = cands.length;
    cands.push({ ...cand, first: zoneRows });
    zoneRows += cand.zoneIds.length;
  });
  const zx = new Float32Array(Math.max(1, zoneRows) * ZONE_FEATURE_COUNT);
  for (const cand of cands) zx.set(cand.values, cand.first * ZONE_FEATURE_COUNT);
  const { place: p, zone: zp } = c.runHeads(x, windows.length, zx, Math.max(1, zoneRows));
  return windows.map((w, i) => {
    const [absent, outsideNear, inside] = [p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 2]!];
    const { floor, floorConfidence } = floors[i]!;
    const base = { subject: w.subject, absent, outsideNear, inside, floor, floorConfidence };
    if (inside < 0.2) return { ...base, zoneId: undefined, zoneConfidence: 0 };
    const cand = candOf[i]! >= 0 ? cands[candOf[i]!] : undefined;
    if (cand && zp) {
      let best = 0;
      let sum = 0;
      for (let k = 0; k < cand.zoneIds.length; k++) {
        const s = zp[(cand.first + k) * 2 + 1]!;
        sum += s;
        if (s > zp[(cand.first + best) * 2 + 1]!) best = k;
      }
      return { ...base, zoneId: cand.zoneIds[best], zoneConfidence: sum > 0 ? zp[(cand.first + best) * 2 + 1]! / sum : 0 };
    }
    const zone = estimateZone(w, floor, ctx);
    return { ...base, zoneId: zone.zoneId, zoneConfidence: zone.confidence };
  });
}

/** Exact comparison: every number by Object.is, every string and undefined as is. */
function differences(got: ClassProbs[], want: ClassProbs[], where: string): string[] {
  if (got.length !== want.length) return [`${where}: ${got.length} results vs ${want.length}`];
  const out: string[] = [];
  got.forEach((g, i) => {
    const w = want[i]!;
    for (const key of Object.keys(w) as (keyof ClassProbs)[])
      if (!Object.is(g[key], w[key])) out.push(`${where} row ${i} ${key}: ${String(g[key])} vs ${String(w[key])}`);
  });
  return out;
}

describe('OnnxClassifier.classify against the one-run reference (packaged model)', () => {
  it.each(['boutique', 'dept-store', 'sports-store'] as const)(
    'gives identical outputs tick by tick on %s (walk-ins, window shoppers, passers-by)',
    (name) => {
      const site = loadSiteFile(exampleSitePath(name));
      if (!site.ok) throw new Error(site.error);
      const config = renderGatewayConfig(site.value, site.value.gateways[0]!.id);
      const ctx = siteContext(config);
      const c = createClassifier(config, 'onnx') as OnnxClassifier;
      expect(c.hasZoneHead).toBe(true);
      const store = config.stores[0]!;
      const door = store.entrances[0]!;
      const T0 = 1_767_607_200_000;
      const outside = (dx: number, dy: number, t: number): Waypoint => ({ t, floor: door.floor, x: door.at.x + dx, y: door.at.y - dy });
      const walks: Waypoint[][] = [];
      // Walk-ins through every zone, staggered; a window shopper beside the door; passers-by.
      store.zones.forEach((z, k) => {
        const b = shapeBounds(z.shape);
        const mid = { floor: z.floor, x: (b.minX + b.maxX) / 2, y: (b.minY + b.maxY) / 2 };
        walks.push([
          outside(-8, 3, 0),
          outside(0, 2, 6_000 + k * 500),
          { t: 16_000 + k * 500, ...mid },
          { t: 40_000, ...mid, x: mid.x + 1 },
          outside(0, 2, 52_000),
          outside(8, 3, 60_000),
        ]);
      });
      walks.push([outside(3, 1.5, 0), outside(3.5, 2, 30_000), outside(3, 1.5, 60_000)]);
      for (let k = 0; k < 4; k++) walks.push([outside(-25, 4 + k, 0), outside(25, 4 + k, 25_000 + k * 3_000)]);
      const obs = walks.flatMap((walk, k) => radioWalk(config, `s${k}`, T0 + k * 1_500, walk, { seed: k + 1 })).sort((a, b) => a.at - b.at);
      const tracker = new Tracker({ rssiCorrectionDb: ctx.rssiCorrectionDb });
      const bad: string[] = [];
      let zoned = 0;
      let i = 0;
      for (let now = T0; now <= T0 + 80_000; now += 250) {
        while (i < obs.length && obs[i]!.at <= now) tracker.observe(obs[i++]!);
        const windows = [...tracker.all()]
          .filter((t) => t.lastRadioAt !== undefined && now - t.lastRadioAt <= FRESH_MS)
          .map((t) => computeFeatures(t, now, ctx));
        if (windows.length === 0) continue;
        const got = c.classify(windows);
        const want = referenceClassify(c, ctx, windows);
        bad.push(...differences(got, want, `${name} at ${now - T0}`));
        zoned += want.filter((p) => p.zoneId !== undefined).length;
      }
      c.close();
      expect(bad.slice(0, 5)).toEqual([]);
      expect(zoned).toBeGreaterThan(100);
    },
    120_000,
  );
});
