import fc from 'fast-check';
import type { TruthEvent } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { exampleSite } from './testing/fixtures.js';
import { journeyTruth } from './truth.journey.js';
import { buildLayout } from './site-layout.js';
import { TrajectoryBuilder } from './trajectory.js';
import { createWorld } from './world.js';

const sites = { boutique: exampleSite('boutique'), 'dept-store': exampleSite('dept-store') };

/** Checks the journey semantics for one subject's events; returns a list of violations. */
function violations(events: readonly TruthEvent[], threshold: (zoneId: string) => number, updateMs: number): string[] {
  const out: string[] = [];
  let inside = false;
  let approached = false;
  const dwell = new Map<string, { startAt: number; lastAt: number }>();
  for (const e of events) {
    const where = `${e.type}${e.phase ? `:${e.phase}` : ''}@${e.at}`;
    switch (e.type) {
      case 'approach':
        if (inside) out.push(`${where}: approach while inside`);
        approached = true;
        break;
      case 'arrival':
        if (inside) out.push(`${where}: arrival while inside`);
        if (!approached) out.push(`${where}: arrival without approach`);
        inside = true;
        break;
      case 'exit':
        if (!inside) out.push(`${where}: exit while outside`);
        if (dwell.size > 0) out.push(`${where}: exit with an open dwell`);
        inside = false;
        break;
      case 'floor_change':
      case 'purchase':
        if (!inside) out.push(`${where}: outside the store`);
        break;
      case 'dwell': {
        const z = e.zoneId!;
        const open = dwell.get(z);
        if (e.phase === 'start') {
          if (open) out.push(`${where}: second start`);
          if (e.dwellMs !== threshold(z)) out.push(`${where}: start dwellMs ${e.dwellMs} != threshold`);
          dwell.set(z, { startAt: e.at, lastAt: e.at });
        } else if (!open) out.push(`${where}: ${e.phase} without start`);
        else if (e.phase === 'update') {
          if (e.at - open.lastAt !== updateMs) out.push(`${where}: update spacing ${e.at - open.lastAt}`);
          open.lastAt = e.at;
        } else {
          if (e.dwellMs! < threshold(z)) out.push(`${where}: end dwellMs ${e.dwellMs} < threshold`);
          if (e.at - open.lastAt >= updateMs) out.push(`${where}: a missing update before end`);
          dwell.delete(z);
        }
        break;
      }
    }
  }
  return out;
}

describe('journey truth semantics (property)', () => {
  it('holds for random seeds, traffic and both example sites', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom('boutique' as const, 'dept-store' as const),
        fc.integer({ min: 200, max: 1500 }),
        (seed, name, rate) => {
          const site = sites[name];
          const world = createWorld({ site, seed, durationMs: 90 * 60_000, shoppersPerHour: rate / 10 });
          const zones = new Map(site.stores.flatMap((s) => s.zones).map((z) => [z.id, z.dwellThresholdMs ?? site.journey.dwellThresholdMs]));
          for (const s of world.shoppers) {
            const v = violations(s.truth, (z) => zones.get(z)!, site.journey.dwellUpdateMs);
            expect(v, `${name} seed ${seed} ${s.subject} (${s.intent})`).toEqual([]);
            // Untruncated shoppers end outside, with nothing open.
            const arrivals = s.truth.filter((e) => e.type === 'arrival').length;
            expect(s.truth.filter((e) => e.type === 'exit').length).toBe(arrivals);
            if (name === 'boutique') expect(s.truth.some((e) => e.type === 'floor_change')).toBe(false);
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});

describe('journeyTruth on hand-made paths', () => {
  const site = sites.boutique;
  const layout = buildLayout(site);
  const T = 1_000_000;

  it('approaches once per episode: leaving the store at the door does not approach again', () => {
    const b = new TrajectoryBuilder(T, { x: -30, y: -3 }, 0);
    b.walkTo({ x: 6, y: -3 }, 1).walkTo({ x: 6, y: 3 }, 1).hold(5_000).walkTo({ x: 6, y: -3 }, 1).walkTo({ x: 6, y: -2 }, 1).walkTo({ x: 40, y: -3 }, 1);
    const types = journeyTruth(layout, b.build(), 's_x', undefined).map((e) => e.type);
    expect(types).toEqual(['approach', 'arrival', 'exit']);
  });

  it('approaches again after walking away beyond the hysteresis and coming back', () => {
    const b = new TrajectoryBuilder(T, { x: -30, y: -3 }, 0);
    b.walkTo({ x: 6, y: -3 }, 1).walkTo({ x: 30, y: -3 }, 1).walkTo({ x: 6, y: -3 }, 1).walkTo({ x: -30, y: -3 }, 1);
    const e = journeyTruth(layout, b.build(), 's_x', 'M1');
    expect(e.map((x) => x.type)).toEqual(['approach', 'approach']);
    expect(e.every((x) => x.memberId === 'M1' && x.storeId === 'boutique')).toBe(true);
    // First within 8 m of the door at (6, 0) walking along y = -3 from x = -30: x = 6 - sqrt(64 - 9).
    expect(e[0]!.at).toBeCloseTo(T + (36 - Math.sqrt(55)) * 1000, -1);
  });

  it('times dwell start, updates and end to the millisecond', () => {
    const b = new TrajectoryBuilder(T, { x: 9, y: -3 }, 0);
    // Straight into the handbags zone (x 6-12, y 2-7) at 1 m/s: zone entry at y = 2, i.e. 5 s.
    b.walkTo({ x: 9, y: 4 }, 1).hold(150_000).walkTo({ x: 9, y: -3 }, 1);
    const e = journeyTruth(layout, b.build(), 's_x', undefined).filter((x) => x.type === 'dwell' && x.zoneId === 'handbags');
    expect(e.map((x) => [x.phase, x.at - T, x.dwellMs])).toEqual([
      ['start', 35_000, 30_000],
      ['update', 95_000, 90_000],
      ['update', 155_000, 150_000],
      ['end', 159_000, 154_000],
    ]);
  });
});
