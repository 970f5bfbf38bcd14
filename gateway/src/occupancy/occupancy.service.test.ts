import { describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { silentLogger } from '../log.js';
import { boutiqueConfig } from '../testing/fixtures.js';
import { OccupancyService } from './occupancy.service.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const MIN = 60_000;
const wifi = (atMs: number, subject: string, rssiDbm: number, receiverId = 'rx-sales'): Observation => ({
  v: 1,
  at: atMs,
  source: 'wifi',
  receiverId,
  subject,
  rssiDbm,
  randomized: true,
  seq: 1,
  ieFp: subject
    .slice(-16)
    .padStart(16, '0')
    .replace(/[^0-9a-f]/g, '0'),
});

describe('OccupancyService', () => {
  // rx-sales at (3, 5) in a 10 x 8 m store: the farthest corner (10, 0) is 8.6 m away; the default
  // calibration (-59 dBm at 1 m, n = 2.2) puts the gate at -59 - 22 log10(8.6) = -79.6 dBm.
  const config = boutiqueConfig();

  it("gates each receiver at the level of the store footprint's farthest corner, from its calibration", () => {
    const svc = new OccupancyService(config, silentLogger());
    svc.ingest(wifi(T0 + 1_000, 's_1111111111111111', -79));
    svc.ingest(wifi(T0 + 2_000, 's_2222222222222222', -81));
    svc.advanceTo(T0 + MIN);
    expect(svc.health()).toEqual([{ storeId: 'boutique', occupancy: 1, fixedDevices: 0 }]);
  });

  it('a receiver reporting 6 dB hot has its gate raised by its offset', () => {
    const hot = boutiqueConfig();
    hot.receivers = hot.receivers.map((r) => (r.id === 'rx-sales' ? { ...r, calibration: { ...r.calibration, rssiOffsetDb: 6 } } : r));
    const svc = new OccupancyService(hot, silentLogger());
    svc.ingest(wifi(T0 + 1_000, 's_1111111111111111', -79));
    svc.advanceTo(T0 + MIN);
    expect(svc.health()[0]?.occupancy).toBe(0);
  });

  it('ignores non-WiFi observations and receivers outside any store', () => {
    const svc = new OccupancyService(config, silentLogger());
    svc.ingest({ ...wifi(T0 + 1_000, 's_1111111111111111', -50), source: 'ble' });
    svc.ingest(wifi(T0 + 1_000, 's_3333333333333333', -50, 'rx-unknown'));
    svc.advanceTo(T0 + MIN);
    // The store never heard WiFi: nothing to show yet (not a zero that could be mistaken for a count).
    expect(svc.health()).toEqual([]);
  });

  it('queues closed minutes until taken, re-queues an unsent report, and keeps at most a day', () => {
    const svc = new OccupancyService(config, silentLogger());
    svc.ingest(wifi(T0, 's_1111111111111111', -50));
    svc.advanceTo(T0 + 3 * MIN);
    const [r] = svc.takePending(T0 + 3 * MIN);
    expect(r?.minutes.map((m) => m.start)).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
    expect(svc.takePending(T0 + 3 * MIN)).toEqual([]);
    svc.requeue(r!);
    svc.advanceTo(T0 + 4 * MIN);
    expect(svc.takePending(T0 + 4 * MIN)[0]?.minutes.map((m) => m.start)).toEqual([T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
    svc.advanceTo(T0 + 1_000 * MIN);
    svc.advanceTo(T0 + 2_000 * MIN);
    const day = svc.takePending(T0 + 2_000 * MIN)[0]!;
    expect(day.minutes.length).toBe(1_440);
    expect(svc.droppedPending).toBeGreaterThan(0);
  });
});
