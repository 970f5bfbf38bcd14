import { observationSchema, type Observation } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { exampleSite } from './testing/fixtures.js';
import { createWorld } from './world.js';

describe('WiFi probe requests', () => {
  const site = exampleSite('dept-store');
  const withWifi = { ...site, receivers: site.receivers.map((r) => ({ ...r, kind: 'ble_wifi' as const })) };
  const opts = { seed: 21, durationMs: 15 * 60_000, shoppersPerHour: 600 };
  const all = (w: ReturnType<typeof createWorld>): Observation[] => [...w.observations()];

  it('are heard by ble_wifi receivers, mostly through randomised MACs, with w_ subjects', () => {
    const obs = all(createWorld({ site: withWifi, ...opts }));
    const wifi = obs.filter((o) => o.source === 'wifi');
    expect(wifi.length).toBeGreaterThan(100);
    expect(wifi.every((o) => /^w_[0-9a-f]{8}$/.test(o.subject) && o.rssiDbm! >= -95 && observationSchema.safeParse(o).success)).toBe(true);
    const randomized = wifi.filter((o) => o.randomized === true);
    expect(randomized.length / wifi.length).toBeGreaterThan(0.6);
    // A randomised MAC is new per burst: few sightings per id; a fixed one recurs.
    const perId = (list: Observation[]) => list.length / new Set(list.map((o) => o.subject)).size;
    expect(perId(wifi.filter((o) => o.randomized === false))).toBeGreaterThan(perId(randomized));
  });

  it('never change the BLE observations (separate random stream)', () => {
    const ble = all(createWorld({ site, ...opts }));
    const mixed = all(createWorld({ site: withWifi, ...opts })).filter((o) => o.source !== 'wifi');
    expect(mixed).toEqual(ble);
    expect(all(createWorld({ site, ...opts })).some((o) => o.source === 'wifi')).toBe(false);
  });

  it('can be switched off', () => {
    expect(all(createWorld({ site: withWifi, ...opts, wifi: { share: 0 } })).some((o) => o.source === 'wifi')).toBe(false);
  });
});
