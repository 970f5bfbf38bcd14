import { EXAMPLE_SITES, exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { countAt, syntheticVisits } from './map.fixture.js';
import { liveQueries, occupancySeries, occupancySettings } from './zone-occupancy.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0);
const nonZero = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, n]) => n > 0));

describe('zone occupancy from journey events', () => {
  for (const name of EXAMPLE_SITES) {
    it(`${name}: the sweep equals an independent per-visit count every 5 s of a busy hour`, () => {
      const loaded = loadSiteFile(exampleSitePath(name));
      if (!loaded.ok) throw new Error(loaded.error);
      const site = loaded.value;
      const s = occupancySettings(site);
      const events = syntheticVisits(site, { from: T0, visits: 120, spanMs: 3_600_000, seed: 7 });
      const times = Array.from({ length: 1_081 }, (_, i) => T0 + i * 5_000);
      const series = occupancySeries(events, times, s);
      let busy = 0;
      for (let i = 0; i < times.length; i += 1) {
        const want = countAt(events, times[i]!, s);
        expect(nonZero(series[i]!.zones), `zones at +${i * 5} s`).toEqual(want.zones);
        expect(nonZero(series[i]!.stores), `stores at +${i * 5} s`).toEqual(want.stores);
        if (Object.keys(want.zones).length > 1) busy++;
      }
      expect(busy).toBeGreaterThan(120); // the hour is not empty: several zones occupied at once for 10+ minutes
      // The live route's two bounded reads give the same figure as every event.
      for (let i = 0; i < times.length; i += 20) {
        const at = times[i]!;
        const windowed = liveQueries(s, at).flatMap((q) => events.filter((e) => e.at >= q.from && e.at < q.to && q.types.includes(e.type)));
        expect(occupancySeries(windowed, [at], s)[0], `live reads at +${i * 5} s`).toEqual(series[i]);
      }
    });
  }

  it('a zone stay counts from its dwell start to its end; a lost exit stops counting once stale', () => {
    const loaded = loadSiteFile(exampleSitePath('boutique'));
    if (!loaded.ok) throw new Error(loaded.error);
    const s = occupancySettings(loaded.value);
    const base = { siteId: 'mall-bj-01', gatewayId: 'gw-boutique-1', storeId: 'boutique', visitId: 'v1', subject: { id: 's_1', signals: ['ble' as const] } };
    const events = [
      makeEvent({ ...base, type: 'arrival', at: T0 }),
      makeEvent({ ...base, type: 'dwell', phase: 'start', zoneId: 'handbags', dwellMs: 30_000, at: T0 + 40_000 }),
      makeEvent({ ...base, type: 'dwell', phase: 'end', zoneId: 'handbags', dwellMs: 50_000, at: T0 + 60_000 }),
      makeEvent({ ...base, type: 'dwell', phase: 'start', zoneId: 'checkout', dwellMs: 20_000, at: T0 + 90_000 }),
    ];
    const at = (dt: number) => occupancySeries(events, [T0 + dt], s)[0]!;
    expect(at(-1)).toEqual({ zones: {}, stores: {} });
    expect(at(39_999).zones).toEqual({});
    expect(at(40_000)).toEqual({ zones: { handbags: 1 }, stores: { boutique: 1 } });
    expect(at(60_000).zones).toEqual({});
    expect(at(90_000).zones).toEqual({ checkout: 1 });
    expect(at(90_000 + s.zoneStaleMs).zones).toEqual({ checkout: 1 });
    expect(at(90_001 + s.zoneStaleMs)).toEqual({ zones: {}, stores: { boutique: 1 } });
    expect(at(90_001 + s.storeStaleMs)).toEqual({ zones: {}, stores: {} });
    const exited = [...events, makeEvent({ ...base, type: 'exit', at: T0 + 100_000 })];
    expect(occupancySeries(exited, [T0 + 100_000], s)[0]).toEqual({ zones: {}, stores: {} });
  });
});
