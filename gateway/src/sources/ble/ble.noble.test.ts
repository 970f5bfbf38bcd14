import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { silentLogger } from '../../log.js';
import { FakeNobleBindings } from '../../testing/fake-noble-bindings.js';
import { TestClock, settle } from '../../testing/test-clock.js';
import { loadNobleWithBindings, nobleCacheSize, pruneNobleCaches, type NobleLike } from './ble.adapter.js';
import { bleRestartDelayMs } from './ble.restart.js';
import { createBleSource } from './ble.source.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
// Estimote iBeacon (gateway/fixtures/ble/ibeacon-estimote.hex) as noble splits it: manufacturer data only.
const IBEACON = {
  localName: undefined,
  txPowerLevel: undefined,
  manufacturerData: hex('4c000215b9407f30f5f8466eaff925556b57fe6d3039d431b6'),
  serviceData: [],
  serviceUuids: [],
};
const ADDRESS = 'd4:ca:6e:01:02:03';

function nobleInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@abandonware/noble/with-bindings.js');
    return true;
  } catch {
    return false;
  }
}
const installed = nobleInstalled();

async function setup(opts: { silenceRestartMs?: number } = {}) {
  const clock = new TestClock();
  const bindings = new FakeNobleBindings();
  let nobleRef: NobleLike | undefined;
  const src = createBleSource({
    receiverId: 'rx-door',
    silenceRestartMs: opts.silenceRestartMs ?? 120_000,
    pepper: 'pepper-0123456789abcdef',
    clock,
    timers: clock,
    logger: silentLogger(),
    restartMinMs: 1_000,
    restartMaxMs: 8_000,
    commandTimeoutMs: 5_000,
    loadNoble: async () => (nobleRef = await loadNobleWithBindings(bindings)),
  });
  const got: Observation[] = [];
  await src.start((o) => got.push(...o));
  await settle();
  return { clock, bindings, src, got, noble: () => nobleRef };
}

describe.skipIf(!installed)(
  `ble source on the real @abandonware/noble over fake bindings${installed ? '' : ' (skipped: @abandonware/noble is not installed; it is an optionalDependency)'}`,
  () => {
    it('poweredOn -> passive scan with duplicates allowed -> every report of the same beacon is a pseudonymous observation', async () => {
      const { clock, bindings, src, got } = await setup();
      expect(bindings.inits).toBe(1);
      expect(src.health().state).toBe('degraded');
      bindings.setState('poweredOn');
      await settle();
      expect(bindings.scans).toEqual([{ uuids: [], dup: true }]);
      expect(src.health().state).toBe('ok');
      bindings.advertise(ADDRESS, IBEACON, -67);
      await clock.advance(1_000);
      bindings.advertise(ADDRESS, IBEACON, -71);
      expect(got).toHaveLength(2); // noble drops duplicates unless the scan allows them
      expect(got.map((o) => o.rssiDbm)).toEqual([-67, -71]);
      expect(got[0]).toMatchObject({ source: 'ble', receiverId: 'rx-door', at: clock.now() - 1_000 });
      expect(got[0]!.subject).toMatch(/^s_[0-9a-f]{16}$/);
      expect(got[1]!.subject).toBe(got[0]!.subject);
      expect(JSON.stringify(got)).not.toMatch(/d4:?ca:?6e/i);
      await src.stop();
      expect(bindings.stops).toBe(1);
      expect(src.health().state).toBe('stopped');
    });

    it('adapter powered off -> unavailable with the reason; powered on again -> scanning resumes', async () => {
      const { bindings, src, got } = await setup();
      bindings.setState('poweredOn');
      await settle();
      bindings.setState('poweredOff');
      await settle();
      expect(src.health()).toMatchObject({ state: 'unavailable', detail: 'bluetooth adapter poweredOff' });
      bindings.setState('unauthorized');
      await settle();
      expect(src.health().detail).toMatch(/unauthorized.*setcap/);
      bindings.setState('poweredOn');
      await settle();
      expect(bindings.scans).toHaveLength(2);
      bindings.advertise(ADDRESS, IBEACON, -60);
      expect(src.health().state).toBe('ok');
      expect(got).toHaveLength(1);
      await src.stop();
    });

    it('HCI errors -> degraded, restarts backing off 1 s, 2 s, 4 s, an HCI reset after the third failure, ok once scanning', async () => {
      const { clock, bindings, src } = await setup();
      bindings.failStarts = 3;
      bindings.setState('poweredOn');
      await settle();
      expect(src.health().state).toBe('degraded');
      expect(src.health().detail).toMatch(/scan failed to start: HCI command .* EIO.*restart 1 in 1 s/);
      expect(clock.delays()).toContain(1_000);
      await clock.advance(999);
      expect(bindings.scans).toHaveLength(1);
      await clock.advance(1);
      expect(bindings.scans).toHaveLength(2);
      expect(src.health().detail).toMatch(/restart 2 in 2 s/);
      await clock.advance(2_000);
      expect(bindings.scans).toHaveLength(3);
      expect(src.health().detail).toMatch(/restart 3 in 4 s/);
      expect(bindings.resets).toBe(0);
      await clock.advance(4_000);
      expect(bindings.resets).toBe(1);
      expect(bindings.scans).toHaveLength(4);
      expect(src.health().state).toBe('ok');
      await src.stop();
    });

    it('a scan start the adapter never confirms times out and is retried', async () => {
      const { clock, bindings, src } = await setup();
      bindings.unansweredStarts = 1;
      bindings.setState('poweredOn');
      await settle();
      expect(src.health().state).toBe('degraded');
      await clock.advance(5_000);
      expect(src.health().detail).toMatch(/no answer from the adapter in 5000 ms/);
      await clock.advance(1_000);
      expect(bindings.scans).toHaveLength(2);
      expect(src.health().state).toBe('ok');
      await src.stop();
    });

    it('the adapter stopping the scan by itself -> degraded and restarted', async () => {
      const { clock, bindings, src } = await setup();
      bindings.setState('poweredOn');
      await settle();
      bindings.emit('scanStop');
      await settle();
      expect(src.health()).toMatchObject({ state: 'degraded' });
      expect(src.health().detail).toMatch(/adapter stopped the scan/);
      await clock.advance(1_000);
      expect(bindings.scans).toHaveLength(2);
      expect(src.health().state).toBe('ok');
      await src.stop();
    });

    it('no advertisement for silenceRestartMs -> degraded and the scan restarted once per period; an advert makes it ok', async () => {
      const { clock, bindings, src } = await setup({ silenceRestartMs: 60_000 });
      bindings.setState('poweredOn');
      await settle();
      bindings.advertise(ADDRESS, IBEACON, -60);
      await clock.advance(59_000);
      expect(bindings.scans).toHaveLength(1);
      await clock.advance(20_000);
      expect(bindings.stops).toBe(1);
      expect(bindings.scans).toHaveLength(2);
      expect(src.health().state).toBe('degraded');
      expect(src.health().detail).toMatch(/no advertisement for 6\d s; scan restarted 1x/);
      await clock.advance(30_000);
      expect(bindings.scans).toHaveLength(2); // still within the next silence period
      bindings.advertise(ADDRESS, IBEACON, -60);
      expect(src.health().state).toBe('ok');
      await src.stop();
    });
    it("noble's peripheral caches are emptied periodically, so rotating random addresses do not grow memory without bound", async () => {
      const { clock, bindings, src, got, noble } = await setup({ silenceRestartMs: 60_000 });
      const cacheSize = () => nobleCacheSize(noble()!);
      bindings.setState('poweredOn');
      await settle();
      for (let i = 0; i < 300; i++)
        bindings.advertise(`5e:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`, IBEACON, -70);
      expect(got).toHaveLength(300);
      expect(cacheSize()).toBe(300);
      await clock.advance(10 * 60_000);
      expect(cacheSize()).toBe(0);
      bindings.advertise(ADDRESS, IBEACON, -60);
      expect(got).toHaveLength(301);
      expect(cacheSize()).toBe(1);
      await src.stop();
    });
  },
);

describe('bleRestartDelayMs', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000],
    [1_000, 60_000],
    [0, 1_000],
  ])('failure %i waits %i ms', (failures, ms) => {
    expect(bleRestartDelayMs(failures, 1_000, 60_000)).toBe(ms);
  });
});

describe('pruneNobleCaches', () => {
  it("empties noble's, the hci-socket bindings' and their Gap's per-peripheral maps, and nothing else", () => {
    const gap = { _discoveries: { 'aa:bb:cc:dd:ee:ff': {} }, _scanState: 'started' };
    const bindings = {
      _addresses: { aabbccddeeff: 'aa:bb:cc:dd:ee:ff' },
      _addresseTypes: { aabbccddeeff: 'random' },
      _connectable: { aabbccddeeff: false },
      scannable: { aabbccddeeff: true },
      _handles: { 1: 'x' },
      _gap: gap,
    };
    const noble = {
      _peripherals: { aabbccddeeff: {} },
      _services: { aabbccddeeff: {} },
      _characteristics: { aabbccddeeff: {} },
      _descriptors: { aabbccddeeff: {} },
      _discoveredPeripheralUUids: { aabbccddeeff: true },
      _bindings: bindings,
      _state: 'poweredOn',
    };
    expect(pruneNobleCaches(noble as unknown as NobleLike)).toBe(1);
    expect(noble).toMatchObject({
      _peripherals: {},
      _services: {},
      _characteristics: {},
      _descriptors: {},
      _discoveredPeripheralUUids: {},
      _state: 'poweredOn',
    });
    expect(noble._bindings).toMatchObject({ _addresses: {}, _addresseTypes: {}, _connectable: {}, scannable: {}, _handles: { 1: 'x' } });
    expect(gap).toEqual({ _discoveries: {}, _scanState: 'started' });
    expect(pruneNobleCaches({} as unknown as NobleLike)).toBe(0);
  });
});
