import { readFileSync } from 'node:fs';
import { memberToken } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { bleSightingToObservation } from '../sources/ble/advert.observation.js';
import { parseAdvert } from '../sources/ble/advert.parse.js';
import { espresenseToObservation } from '../sources/espresense/espresense.observation.js';
import { iBeaconOfEspresenseId, parseEspresenseMessage } from '../sources/espresense/espresense.parse.js';
import { MemberResolver } from './member-resolver.js';

const KEY_A = '00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100';
const PERIOD = 900_000;
const AT = 1_767_607_200_000 + 1234;
// The Estimote iBeacon of the BLE parser fixtures (Apple Proximity Beacon Spec layout).
const CARD = { uuid: 'b9407f30-f5f8-466e-aff9-25556b57fe6d', major: 12345, minor: 54321 };
const pepper = 'test-pepper-legacy';

function hexFixture(name: string): Uint8Array {
  const text = readFileSync(new URL(`../../fixtures/ble/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  return Uint8Array.from(text.match(/../g)!.map((b) => Number.parseInt(b, 16)));
}

function resolverWith(payload: unknown): MemberResolver {
  const r = new MemberResolver({ periodMs: PERIOD, logger: createLogger({ level: 'silent' }) });
  expect(r.setKeys(payload)).toBe(true);
  return r;
}

const legacyPayload = {
  v: 1,
  at: 0,
  periodMs: PERIOD,
  members: [
    { memberId: 'm-a', key: KEY_A },
    { memberId: 'm-b', key: KEY_B },
  ],
  legacyCards: [
    { memberId: 'm-a', ...CARD },
    { memberId: 'm-gone', uuid: CARD.uuid, major: 1, minor: 1 },
  ],
};

describe('legacy member cards at the gateway', () => {
  it("a registered card becomes its holder's current rotating token, which resolves to the member", () => {
    const r = resolverWith(legacyPayload);
    expect(r.legacyCardCount).toBe(1); // m-gone has no key in the payload (not consenting): ignored
    const token = r.tokenFor(CARD, AT);
    expect(token).toBe(memberToken(KEY_A, AT, PERIOD));
    expect(r.resolve(token!, AT)).toBe('m-a');
    // the card is static on air, but what the gateway records rotates with the period
    expect(r.tokenFor(CARD, AT + PERIOD)).not.toBe(token);
    expect(r.tokenFor({ ...CARD, uuid: CARD.uuid.toUpperCase() }, AT)).toBe(token);
  });

  it('unknown beacons, cards of members without a key, and sites not in legacy mode give no token', () => {
    const r = resolverWith(legacyPayload);
    expect(r.tokenFor({ ...CARD, minor: 1 }, AT)).toBeUndefined();
    expect(r.tokenFor({ uuid: CARD.uuid, major: 1, minor: 1 }, AT)).toBeUndefined();
    const plain = resolverWith({ ...legacyPayload, legacyCards: undefined });
    expect(plain.tokenFor(CARD, AT)).toBeUndefined();
    // a later payload without cards withdraws them
    r.setKeys({ ...legacyPayload, legacyCards: [] });
    expect(r.tokenFor(CARD, AT)).toBeUndefined();
  });

  it("BLE: the card's iBeacon advert yields an observation with the holder's token and a daily pseudonym", () => {
    const advert = parseAdvert(hexFixture('ibeacon-estimote.hex'));
    if (!advert.ok) throw new Error(advert.reason);
    expect(advert.value.ibeacon).toMatchObject(CARD);
    const r = resolverWith(legacyPayload);
    const obs = bleSightingToObservation(
      { atMs: AT, receiverId: 'rx-1', addressMac: 'c0:11:22:33:44:55', rssiDbm: -60, advert: advert.value },
      { pepper, legacyCards: r },
    );
    expect(obs.ok).toBe(true);
    if (!obs.ok) return;
    expect(obs.value.token).toBe(memberToken(KEY_A, AT, PERIOD));
    expect(r.resolve(obs.value.token!, obs.value.at)).toBe('m-a');
    expect(obs.value.subject).toMatch(/^s_[0-9a-f]{16}$/);
    const without = bleSightingToObservation({ atMs: AT, receiverId: 'rx-1', addressMac: 'c0:11:22:33:44:55', rssiDbm: -60, advert: advert.value }, { pepper });
    expect(without.ok && without.value.token).toBeUndefined();
  });

  it("ESPresense: an iBeacon device id that is a registered card yields the holder's token", () => {
    const id = `iBeacon:${CARD.uuid}-${CARD.major}-${CARD.minor}`;
    expect(iBeaconOfEspresenseId(id)).toEqual(CARD);
    expect(iBeaconOfEspresenseId('iBeacon:B9407F30F5F8466EAFF925556B57FE6D:12345:54321')).toEqual(CARD);
    for (const other of ['watch:darrell', 'iBeacon:b9407f30-1-2', `iBeacon:${CARD.uuid}-70000-1`, '58b1294494d3'])
      expect(iBeaconOfEspresenseId(other), other).toBeUndefined();
    const report = parseEspresenseMessage(`espresense/devices/${id}/esp_door`, { id, rssi: -66, 'rssi@1m': -59 });
    if (!report.ok) throw new Error(report.reason);
    const r = resolverWith(legacyPayload);
    const obs = espresenseToObservation(report.value, AT, { pepper, receiverForRoom: () => 'esp-door', legacyCards: r });
    expect(obs.ok && obs.value).toMatchObject({ source: 'espresense', receiverId: 'esp-door', token: memberToken(KEY_A, AT, PERIOD) });
    // the static card id itself never reaches the observation
    expect(JSON.stringify(obs)).not.toContain(CARD.uuid);
  });
});
