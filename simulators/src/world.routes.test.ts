import { pointInShape, type Site } from '@storesense/firmware-config';
import type { TruthEvent } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { exampleSite } from './testing/fixtures.js';
import { newPose, TrajectoryCursor } from './trajectory.js';
import { INTENTS, type Intent } from './shopper.plan.js';
import { createWorld, type PlannedShopper } from './world.js';

/** The boutique with a second door on its north wall, onto a street (a mall-side / street-side flagship). */
function twoDoorBoutique(): Site {
  const site = exampleSite('boutique');
  const store = site.stores[0]!;
  return {
    ...site,
    areas: [...site.areas, { id: 'street-n', name: 'Street', kind: 'corridor', floor: 0, shape: { rect: { x: -14, y: 10, w: 40, h: 6 } } }],
    stores: [{ ...store, entrances: [...store.entrances, { id: 'street-door', floor: 0, at: { x: 6, y: 10 }, widthM: 2 }] }],
  };
}

/** An intent mix of one intent (intentMix merges over the defaults). */
const only = (intent: Intent) => Object.fromEntries(INTENTS.map((i) => [i, i === intent ? 1 : 0])) as Record<Intent, number>;
const poseAt = (s: PlannedShopper, at: number) => new TrajectoryCursor(s.plan.segments).poseAt(at, newPose());
const events = (s: PlannedShopper, type: TruthEvent['type']) => s.truth.filter((e) => e.type === type);

describe('through-traffic: in by one door, out by another', () => {
  const site = twoDoorBoutique();
  const doors = site.stores[0]!.entrances;
  const nearestDoor = (p: { x: number; y: number }) =>
    doors.reduce((a, d) => (Math.hypot(d.at.x - p.x, d.at.y - p.y) < Math.hypot(a.at.x - p.x, a.at.y - p.y) ? d : a));
  const world = createWorld({ site, seed: 4, durationMs: 30 * 60_000, shoppersPerHour: 240, intentMix: only('visit'), plan: { throughShare: 1 } });

  it('puts the arrival at the door used and the exit at the other door, for every visitor', () => {
    expect(world.shoppers.length).toBeGreaterThan(60);
    for (const s of world.shoppers) {
      const [arrival] = events(s, 'arrival');
      const [exit] = events(s, 'exit');
      expect(arrival).toBeDefined();
      expect(exit).toBeDefined();
      const a = poseAt(s, arrival!.at);
      const x = poseAt(s, exit!.at);
      // Truth locates the crossing to the millisecond: the shopper is on the door line then.
      expect(Math.hypot(a.x - nearestDoor(a).at.x, a.y - nearestDoor(a).at.y)).toBeLessThan(0.05);
      expect(Math.hypot(x.x - nearestDoor(x).at.x, x.y - nearestDoor(x).at.y)).toBeLessThan(0.05);
      expect(nearestDoor(x).id).not.toBe(nearestDoor(a).id);
    }
    const inByStreet = world.shoppers.filter((s) => nearestDoor(poseAt(s, events(s, 'arrival')[0]!.at)).id === 'street-door').length;
    expect(inByStreet).toBeGreaterThan(10);
    expect(inByStreet).toBeLessThan(world.shoppers.length - 10);
  });

  it('lets half the visitors leave by another door by default, and none in a one-door store', () => {
    const mix = only('visit');
    const w = createWorld({ site, seed: 5, durationMs: 30 * 60_000, shoppersPerHour: 240, intentMix: mix });
    const through = w.shoppers.filter(
      (s) => nearestDoor(poseAt(s, events(s, 'arrival')[0]!.at)).id !== nearestDoor(poseAt(s, events(s, 'exit')[0]!.at)).id,
    ).length;
    expect(through / w.shoppers.length).toBeGreaterThan(0.3);
    expect(through / w.shoppers.length).toBeLessThan(0.7);
  });

  it('cuts passers-by through the store with shortcutShare, and they do arrive and exit', () => {
    const w = createWorld({ site, seed: 6, durationMs: 20 * 60_000, shoppersPerHour: 240, intentMix: only('pass_by'), plan: { shortcutShare: 1 } });
    for (const s of w.shoppers) {
      expect(events(s, 'arrival')).toHaveLength(1);
      expect(events(s, 'exit')).toHaveLength(1);
    }
  });
});

describe('window shoppers at any window', () => {
  it('stop outside in front of a window zone, never inside, and never arrive', () => {
    const site = exampleSite('boutique'); // window zone x 0-4 on the south (corridor) wall; the door is at x = 6
    const world = createWorld({ site, seed: 8, durationMs: 30 * 60_000, shoppersPerHour: 200, intentMix: only('window'), plan: { windowAnywhereShare: 1 } });
    expect(world.shoppers.length).toBeGreaterThan(40);
    for (const s of world.shoppers) {
      const hold = s.plan.segments.filter((g) => g.x0 === g.x1 && g.y0 === g.y1 && g.present).sort((a, b) => b.t1 - b.t0 - (a.t1 - a.t0))[0]!;
      expect(hold.t1 - hold.t0).toBeGreaterThanOrEqual(5_000);
      expect(hold.x0).toBeGreaterThanOrEqual(-0.01);
      expect(hold.x0).toBeLessThanOrEqual(4.01);
      expect(hold.y0).toBeGreaterThanOrEqual(-2.51);
      expect(hold.y0).toBeLessThanOrEqual(-0.99);
      expect(pointInShape({ x: hold.x0, y: hold.y0 }, site.stores[0]!.shape)).toBe(false);
      expect(events(s, 'arrival')).toHaveLength(0);
    }
  });

  it('use the whole storefront when the store has no window zone, not only beside the door', () => {
    const site = exampleSite('dept-store'); // 48 m frontage on the corridor, door at x = 24, no window zone
    expect(site.stores[0]!.zones.some((z) => z.kind === 'window')).toBe(false);
    const world = createWorld({ site, seed: 9, durationMs: 30 * 60_000, shoppersPerHour: 200, intentMix: only('window'), plan: { windowAnywhereShare: 1 } });
    const spots = world.shoppers.map((s) => s.plan.segments.filter((g) => g.x0 === g.x1 && g.y0 === g.y1).sort((a, b) => b.t1 - b.t0 - (a.t1 - a.t0))[0]!);
    for (const g of spots) {
      expect(g.y0).toBeLessThan(0); // outside, on the corridor side
      expect(g.y0).toBeGreaterThan(-2.6);
    }
    expect(spots.filter((g) => Math.abs(g.x0 - 24) > 10).length).toBeGreaterThan(spots.length / 3);
  });
});

describe('pass-by across mall areas in any direction', () => {
  it('crosses the corridor at many angles and never enters a store', () => {
    const site = exampleSite('dept-store');
    const world = createWorld({ site, seed: 10, durationMs: 30 * 60_000, shoppersPerHour: 200, intentMix: only('pass_by'), plan: { crossShare: 1 } });
    expect(world.shoppers.length).toBeGreaterThan(40);
    let across = 0;
    for (const s of world.shoppers) {
      expect(events(s, 'arrival')).toHaveLength(0);
      const walks = s.plan.segments.filter((g) => g.present && Math.hypot(g.x1 - g.x0, g.y1 - g.y0) > 1);
      if (walks.some((g) => Math.abs(g.y1 - g.y0) > Math.abs(g.x1 - g.x0))) across++;
    }
    // Along the corridor only, no leg would run mostly north-south.
    expect(across).toBeGreaterThan(world.shoppers.length / 4);
  });
});

describe('long dwell in fitting rooms', () => {
  it('keeps visitors in the fitting zone for minutes (median ~5 min) when longDwellShare is set', () => {
    const site = exampleSite('boutique');
    const mix = only('visit');
    const fittingDwell = (share: number) => {
      const w = createWorld({ site, seed: 12, durationMs: 60 * 60_000, shoppersPerHour: 60, intentMix: mix, plan: { longDwellShare: share } });
      const ends = w.truth().filter((e) => e.type === 'dwell' && e.phase === 'end' && e.zoneId === 'fitting');
      const ms = ends.map((e) => e.dwellMs ?? 0).sort((a, b) => a - b);
      return { count: ends.length, medianMs: ms[Math.floor(ms.length / 2)] ?? 0, shoppers: w.shoppers.length };
    };
    const long = fittingDwell(1);
    const base = fittingDwell(0);
    expect(long.count).toBeGreaterThan(long.shoppers * 0.8);
    expect(long.medianMs).toBeGreaterThan(3 * 60_000);
    expect(long.medianMs).toBeLessThan(8 * 60_000);
    expect(base.medianMs).toBeLessThan(long.medianMs / 2);
  });
});

describe('determinism of the new routes', () => {
  it('gives identical shoppers and observations for the same seed', () => {
    const opts = {
      site: twoDoorBoutique(),
      seed: 13,
      durationMs: 6 * 60_000,
      shoppersPerHour: 600,
      plan: { shortcutShare: 0.1, windowAnywhereShare: 0.7, crossShare: 0.3, longDwellShare: 0.35 },
    };
    const a = createWorld(opts);
    const b = createWorld(opts);
    expect(b.truth()).toEqual(a.truth());
    expect([...b.observations()]).toEqual([...a.observations()]);
  }, 60_000);
});

describe('routes on random sites of every family', () => {
  it('put every arrival and exit in a doorway: no route walks through a wall', async () => {
    const { randomSite, SITE_FAMILIES } = await import('./random-site/random-site.js');
    const { validateSite } = await import('@storesense/firmware-config');
    const { loadScenarioFile } = await import('./scenario-file.js');
    const realistic = loadScenarioFile('realistic');
    if (!realistic.ok) throw new Error(realistic.error);
    let through = 0;
    for (const family of SITE_FAMILIES) {
      for (const seed of [1, 2]) {
        const parsed = validateSite(randomSite({ seed, family }));
        if (!parsed.ok) throw new Error(parsed.error);
        const site = parsed.value;
        const doors = site.stores.flatMap((s) => s.entrances);
        const world = createWorld({ site, seed: 3, durationMs: 8 * 60_000, shoppersPerHour: 400, plan: realistic.value.plan });
        for (const s of world.shoppers) {
          const used: string[] = [];
          for (const e of s.truth) {
            if (e.type !== 'arrival' && e.type !== 'exit') continue;
            const p = poseAt(s, e.at);
            const gap = Math.min(...doors.filter((d) => d.floor === p.floor).map((d) => Math.hypot(d.at.x - p.x, d.at.y - p.y) - d.widthM / 2));
            expect(gap, `${family} ${seed} ${s.intent} ${e.type} at ${p.x.toFixed(1)},${p.y.toFixed(1)}`).toBeLessThan(0.5);
            used.push(doors.reduce((a, d) => (Math.hypot(d.at.x - p.x, d.at.y - p.y) < Math.hypot(a.at.x - p.x, a.at.y - p.y) ? d : a)).id);
          }
          if (used.length >= 2 && used[0] !== used[1]) through++;
        }
      }
    }
    expect(through).toBeGreaterThan(20);
  }, 120_000);
});
