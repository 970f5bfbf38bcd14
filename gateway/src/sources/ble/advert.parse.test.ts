import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToBytes, parseAdvert, type Advert } from './advert.parse.js';
import { bleSightingToObservation, legacyCardTable } from './advert.observation.js';

const fixtureDir = new URL('../../../fixtures/ble/', import.meta.url);
/** Hex fixtures: '#' comment lines, whitespace-separated bytes. */
export function readHexFixture(name: string): Uint8Array {
  const text = readFileSync(new URL(name, fixtureDir), 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('');
  const b = hexToBytes(text);
  if (!b) throw new Error(`bad hex fixture ${name}`);
  return b;
}

function ok(name: string): Advert {
  const r = parseAdvert(readHexFixture(name));
  if (!r.ok) throw new Error(`${name}: ${r.reason}`);
  return r.value;
}

describe('parseAdvert on spec frames', () => {
  it('iBeacon (Apple Proximity Beacon Spec R1): uuid, major, minor, measured power', () => {
    const a = ok('ibeacon-estimote.hex');
    expect(a.flags).toBe(0x06);
    expect(a.ibeacon).toEqual({ uuid: 'b9407f30-f5f8-466e-aff9-25556b57fe6d', major: 12345, minor: 54321, measuredPowerDbm: -74 });
    expect(a.manufacturerData[0]?.companyId).toBe(0x004c);
  });
  it('Eddystone-UID with RFU bytes', () => {
    expect(ok('eddystone-uid.hex').eddystone).toEqual({ frame: 'uid', txPowerAt0mDbm: -25, namespaceHex: 'edd1ebeac04e5defa017', instanceHex: '0123456789ab' });
  });
  it('Eddystone-URL scheme prefix and expansion codes', () => {
    expect(ok('eddystone-url-goo-gl.hex').eddystone).toEqual({ frame: 'url', txPowerAt0mDbm: -18, url: 'https://goo.gl/S6zT6P' });
    expect(ok('eddystone-url-expansion.hex').eddystone).toMatchObject({ url: 'http://www.google.com' });
  });
  it('Eddystone-TLM v0: battery mV, 8.8 temperature, counters', () => {
    expect(ok('eddystone-tlm-v0.hex').eddystone).toEqual({ frame: 'tlm', version: 0, batteryMv: 3000, temperatureC: 23.5, advCount: 1000, uptimeDs: 10000 });
  });
  it('Eddystone-EID carries the member token', () => {
    const a = ok('eddystone-eid-member-token.hex');
    expect(a.eddystone).toEqual({ frame: 'eid', txPowerAt0mDbm: -16, eidHex: '5a1f0c3e9b7d2a40' });
    expect(a.localName).toBe('ss');
  });
  it('AltBeacon 0xBEAC', () => {
    expect(ok('altbeacon-spec.hex').altbeacon).toEqual({
      companyId: 0x0118,
      beaconIdHex: '2f234454cf6d4a0fadf2f4911ba9ffa600010002',
      referenceRssiDbm: -59,
      mfgReserved: 0,
    });
  });
  it('generic manufacturer data, tx power, short name, zero padding', () => {
    const a = ok('generic-manufacturer-txpower.hex');
    expect(a).toMatchObject({
      flags: 0x1a,
      txPowerDbm: 4,
      localName: 'Tag',
      localNameComplete: false,
      manufacturerData: [{ companyId: 0x59, dataHex: '0102' }],
    });
  });
});

describe('parseAdvert: trailing bytes after the last complete AD structure', () => {
  it('decodes an advert with the RSSI octet an HCI dump appends, and flags it', () => {
    // beacontools' Eddystone-TLM test vector, as dumped with its trailing RSSI byte (0xc5 = -59 dBm).
    const tlm = readHexFixture('eddystone-tlm-v0.hex');
    const r = parseAdvert(Uint8Array.from([...tlm, 0xc5]));
    expect(r).toMatchObject({ ok: true, value: { trailingBytes: 1, eddystone: { frame: 'tlm', batteryMv: 3000 } } });
    const ib = parseAdvert(Uint8Array.from([...readHexFixture('ibeacon-estimote.hex'), 0xbb, 0x01]));
    expect(ib).toMatchObject({ ok: true, value: { trailingBytes: 2, ibeacon: { major: 12345, minor: 54321 } } });
    // A clean advert carries no flag.
    expect(ok('ibeacon-estimote.hex').trailingBytes).toBeUndefined();
  });
  it('stays strict inside structures and when no structure is complete', () => {
    expect(parseAdvert(hexToBytes('19 ff 4c 00 02 15' + ' 00'.repeat(20) + ' c5')!)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/iBeacon body must be 23/),
    });
    expect(parseAdvert(hexToBytes('c5')!)).toMatchObject({ ok: false, reason: expect.stringMatching(/declares 197 bytes/) });
  });
});

describe('parseAdvert rejections carry a reason', () => {
  const cases: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['length past the end', '05 ff 4c 00', /declares 5 bytes/],
    ['iBeacon one byte short', '19 ff 4c 00 02 15' + ' 00'.repeat(20), /iBeacon body must be 23/],
    ['Eddystone unknown frame', '04 16 aa fe 70', /unknown Eddystone frame/],
    ['Eddystone URL reserved byte', '07 16 aa fe 10 00 00 0e', /reserved URL byte/],
    ['tx power of 2 bytes', '03 0a 01 02', /TX power level needs 1 byte/],
    ['padding then data', '02 01 06 00 05', /zero-length/],
  ];
  for (const [what, hex, reason] of cases) {
    it(what, () => {
      const r = parseAdvert(hexToBytes(hex)!);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }
  it('every truncation of every fixture is parsed or rejected, never thrown', () => {
    for (const f of ['ibeacon-estimote.hex', 'eddystone-uid.hex', 'eddystone-tlm-v0.hex', 'altbeacon-spec.hex', 'eddystone-eid-member-token.hex']) {
      const b = readHexFixture(f);
      for (let n = 0; n < b.length; n++) expect(() => parseAdvert(b.subarray(0, n))).not.toThrow();
      // Cutting the last structure short is never a silently shorter advert: with no complete
      // structure before it, a rejection; after complete ones, they are kept and the tail flagged.
      const cut = parseAdvert(b.subarray(0, b.length - 1));
      if (cut.ok) {
        const { trailingBytes, ...complete } = cut.value;
        expect(trailingBytes).toBeGreaterThan(0);
        // Exactly what the complete structures before the cut say, nothing of the cut one.
        expect(parseAdvert(b.subarray(0, b.length - 1 - trailingBytes!))).toEqual({ ok: true, value: complete });
      }
    }
  });
});

describe('parseAdvert fuzz', () => {
  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const r = parseAdvert(b);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
  it('well-formed random AD structures always parse or reject with a reason', () => {
    const ad = fc.tuple(fc.constantFrom(1, 2, 3, 8, 9, 0x0a, 0x16, 0xff, 0x30), fc.uint8Array({ maxLength: 28 }));
    fc.assert(
      fc.property(fc.array(ad, { maxLength: 8 }), (structs) => {
        const bytes = Uint8Array.from(structs.flatMap(([t, d]) => [d.length + 1, t, ...d]));
        const r = parseAdvert(bytes);
        if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('bleSightingToObservation', () => {
  const pepper = 'test-pepper';
  it('puts the EID member token and a pseudonymous subject in the observation', () => {
    const advert = ok('eddystone-eid-member-token.hex');
    const r = bleSightingToObservation({ atMs: 1_767_607_200_000, receiverId: 'rx-1', addressMac: '7A:11:22:33:44:55', rssiDbm: -70, advert }, { pepper });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ source: 'ble', token: '5a1f0c3e9b7d2a40', randomized: true, rssiDbm: -70 });
    expect(r.value.subject).toMatch(/^s_[0-9a-f]{16}$/);
    expect(JSON.stringify(r.value).toLowerCase()).not.toContain('7a1122334455');
  });
  it('legacy member card: a static iBeacon maps to the configured subject', () => {
    const advert = ok('ibeacon-estimote.hex');
    const legacyCards = legacyCardTable([{ uuid: 'B9407F30-F5F8-466E-AFF9-25556B57FE6D', major: 12345, minor: 54321, subject: 'card_M001' }]);
    const r = bleSightingToObservation({ atMs: 1, receiverId: 'rx-1', addressMac: 'c0:11:22:33:44:55', rssiDbm: -60, advert }, { pepper, legacyCards });
    expect(r.ok && r.value.subject).toBe('card_M001');
  });
  it('rejects an RSSI outside the contract', () => {
    const advert = ok('ibeacon-estimote.hex');
    const r = bleSightingToObservation({ atMs: 1, receiverId: 'rx-1', addressMac: 'c0:11:22:33:44:55', rssiDbm: 50, advert }, { pepper });
    expect(r.ok).toBe(false);
  });
});
