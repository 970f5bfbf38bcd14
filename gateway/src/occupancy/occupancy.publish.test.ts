import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { createGateway, type Gateway } from '../app.js';
import { ManualClock } from '../clock.js';
import { silentLogger } from '../log.js';
import { startAedes, waitFor, type TestBroker } from '../testing/aedes-broker.js';
import { boutiqueConfig } from '../testing/fixtures.js';
import { TestCloud } from '../testing/test-cloud.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const MIN = 60_000;

/** Two phones' probes in the boutique (stable randomised addresses, irregular bursts), minute by minute. */
function probesOfMinute(m: number): Observation[] {
  const out: Observation[] = [];
  for (const [k, subject] of ['s_00000000000000a1', 's_00000000000000b2'].entries()) {
    const atMs = T0 + m * MIN + 7_000 + k * 11_000 + ((m * 37) % 13) * 1_000;
    for (let f = 0; f < 2; f++) {
      out.push({
        v: 1,
        at: atMs + f * 20,
        source: 'wifi',
        receiverId: 'rx-sales',
        subject,
        rssiDbm: -52 - k,
        randomized: true,
        seq: (m * 5 + f) % 4096,
        ieFp: k === 0 ? 'aaaaaaaaaaaaaaaa' : 'bbbbbbbbbbbbbbbb',
      });
    }
  }
  return out;
}

describe('gateway publishes WiFi occupancy through a real aedes broker', () => {
  let dir: string | undefined;
  let broker: TestBroker | undefined;
  let cloud: TestCloud | undefined;
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    await cloud?.close();
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    gw = undefined;
    cloud = undefined;
    broker = undefined;
  });

  it('per store minute on topics.occupancy, counts only, and health shows the estimate beside subjects', async () => {
    dir = mkdtempSync(join(tmpdir(), 'occ-'));
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    const clock = new ManualClock(T0);
    const config = boutiqueConfig({ dataDir: dir, tickMs: 50, mqtt: { url: broker.url, passwordEnv: 'UNSET_TEST_ENV' } });
    gw = createGateway(config, { logger: silentLogger(), clock, wifi: false });
    await gw.start();
    await waitFor(() => cloud!.conn.some((c) => c.state === 'online'), 5_000, 'gateway online');
    for (let m = 0; m < 6; m++) {
      clock.set(T0 + (m + 1) * MIN - 1);
      gw.ingest(probesOfMinute(m));
    }
    clock.set(T0 + 6 * MIN + 1);
    await waitFor(() => cloud!.occupancy.some((o) => o.report.minutes.some((x) => x.start === T0 + 5 * MIN)), 5_000, 'the minute ending 10:06');
    const minutes = cloud.occupancy.flatMap((o) => o.report.minutes);
    expect(cloud.occupancy.every((o) => o.report.storeId === 'boutique')).toBe(true);
    expect(minutes.find((x) => x.start === T0 + 5 * MIN)?.occupancy).toBe(2);
    // Nothing that names a device crosses the uplink: no subject, fingerprint or receiver id.
    for (const { raw } of cloud.occupancy) expect(raw).not.toMatch(/s_0|aaaa|bbbb|rx-/);
    const h = gw.health();
    expect(h.subjects).toBeGreaterThanOrEqual(0);
    expect(h.occupancy).toEqual([{ storeId: 'boutique', occupancy: 2, fixedDevices: 0 }]);
  });
});
