import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memberToken, type Observation } from '@storesense/protocol';
import { systemClock } from '../../clock.js';
import { MemberResolver } from '../../identity/member-resolver.js';
import { silentLogger } from '../../log.js';
import { waitFor } from '../../testing/aedes-broker.js';
import { FakeNoble } from '../../testing/fake-noble.js';
import { advertisementBytes, loadNoble, type NoblePeripheralLike } from './ble.adapter.js';
import { createBleSource } from './ble.source.js';
import { parseAdvert } from './advert.parse.js';

const KEY = '00112233445566778899aabbccddeeff';
const hasBluetooth = existsSync('/sys/class/bluetooth') && readdirSync('/sys/class/bluetooth').length > 0;
const PERIOD_MS = 900_000;
const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => Number.parseInt(b, 16)));

export function eidPeripheral(address: string, at: number, rssi = -61): NoblePeripheralLike {
  // Eddystone-EID (frame 0x30, tx power at 0 m, 8-byte ephemeral id) carrying the member token.
  return { address, rssi, advertisement: { serviceUuids: ['feaa'], serviceData: [{ uuid: 'feaa', data: hex(`30f6${memberToken(KEY, at, PERIOD_MS)}`) }] } };
}

describe('ble source with a fake noble', () => {
  it('scans passively with duplicates, turns adverts into pseudonymous observations, and the EID token resolves to the member', async () => {
    const noble = new FakeNoble();
    const src = createBleSource({
      receiverId: 'rx-door',
      silenceRestartMs: 60_000,
      pepper: 'pepper-0123456789abcdef',
      clock: systemClock,
      logger: silentLogger(),
      loadNoble: async () => noble,
    });
    const got: Observation[] = [];
    await src.start((o) => got.push(...o));
    expect(src.health().state).toBe('degraded');
    noble.powerOn();
    await waitFor(() => noble.scans.length === 1, 2_000, 'scan started');
    expect(noble.scans[0]).toEqual({ uuids: [], dup: true });
    await waitFor(() => src.health().state === 'ok', 2_000, 'ok');
    const at = Date.now();
    noble.emit('discover', eidPeripheral('7a:11:22:33:44:55', at));
    noble.emit('discover', {
      address: 'c0:ff:ee:00:00:01',
      rssi: -70,
      advertisement: { localName: 'Tag', manufacturerData: hex('4c000215f7826da64fa24e988024bc5b71e0893e00010002c5') },
    });
    noble.emit('discover', { address: 'not-a-mac', rssi: -70, advertisement: { localName: 'x' } });
    expect(got).toHaveLength(2);
    const member = got[0]!;
    expect(member).toMatchObject({ source: 'ble', receiverId: 'rx-door', rssiDbm: -61, randomized: true, token: memberToken(KEY, at, PERIOD_MS) });
    expect(member.subject).toMatch(/^s_[0-9a-f]{16}$/);
    expect(JSON.stringify(got)).not.toMatch(/7a:?11:?22|c0:?ff:?ee/i);
    const resolver = new MemberResolver({ periodMs: PERIOD_MS, logger: silentLogger() });
    expect(resolver.setKeys({ v: 1, at, periodMs: PERIOD_MS, members: [{ memberId: 'M001', key: KEY }] })).toBe(true);
    expect(resolver.resolve(member.token!, member.at)).toBe('M001');
    expect(src.health()).toMatchObject({ observations: 2, rejected: 1 });
    await src.stop();
    expect(src.health().state).toBe('stopped');
  });

  it('reports silence and restarts the scan', async () => {
    const noble = new FakeNoble();
    noble.state = 'poweredOn';
    const src = createBleSource({
      receiverId: 'rx-door',
      silenceRestartMs: 200,
      pepper: 'pepper-0123456789abcdef',
      clock: systemClock,
      logger: silentLogger(),
      loadNoble: async () => noble,
    });
    await src.start(() => {});
    await waitFor(() => noble.scans.length >= 2, 3_000, 'scan restarted');
    expect(noble.stops).toBeGreaterThanOrEqual(1);
    expect(src.health().detail).toMatch(/no advertisement for \d+ s/);
    await src.stop();
  });

  it('rebuilds noble fields into AD bytes the byte parser reads', () => {
    const r = parseAdvert(
      advertisementBytes({ localName: 'Tag', txPowerLevel: -4, serviceUuids: ['feaa'], serviceData: [{ uuid: 'feaa', data: hex('30f60102030405060708') }] }),
    );
    expect(r.ok && r.value.eddystone).toMatchObject({ frame: 'eid', eidHex: '0102030405060708' });
    expect(r.ok && r.value.txPowerDbm).toBe(-4);
  });

  // This machine (and CI) has no Bluetooth controller: noble is either not installed (its build
  // failed) or installed and throwing EAFNOSUPPORT from its HCI socket. A host with one is skipped.
  it.skipIf(hasBluetooth)(
    `loadNoble rejects with the reason on a host without Bluetooth${hasBluetooth ? ' (skipped: this host has a Bluetooth controller)' : ''}`,
    async () => {
      await expect(loadNoble()).rejects.toThrow(/@abandonware\/noble (is not installed|failed to load: EAFNOSUPPORT)/);
    },
  );
});
