import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { merakiToObservation } from './meraki.observation.js';
import { parseMerakiBody } from './meraki.parse.js';
import { sharedFiles } from '@storesense/protocol/testing';

const {
  paths: [V2],
  skip: noV2,
} = sharedFiles(['fixtures/meraki/v2.0-devices-seen-wifi.json'], 'the real Meraki v2.0 sample test');
const present = !noV2;
const v3 = readFileSync(new URL('../../../fixtures/meraki/v3-wifi-strings.json', import.meta.url), 'utf8');

describe('Meraki v3 (own fixture by the documented shape, numbers as strings)', () => {
  it('validates the secret and reads per-AP rssiRecords, else the latest record', () => {
    const r = parseMerakiBody(v3, { secret: 'shop-secret-1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ version: '3.0', radio: 'wifi', networkId: 'N_24329156', secretChecked: true });
    expect(r.value.sightings).toEqual([
      { atMs: Date.parse('2026-01-05T12:00:02Z'), clientMac: '00:00:5E:00:53:01', apMac: '00180a13ddb0', rssiDbm: -62, rssiRaw: -62, rssiEstimated: false },
      { atMs: Date.parse('2026-01-05T12:00:02Z'), clientMac: '00:00:5E:00:53:01', apMac: '00180a13ddb1', rssiDbm: -75, rssiRaw: -75, rssiEstimated: false },
      { atMs: Date.parse('2026-01-05T12:00:05Z'), clientMac: 'da:a1:19:e7:55:dc', apMac: '00180a13ddb1', rssiDbm: -80, rssiRaw: -80, rssiEstimated: false },
    ]);
    expect(r.value.rejected).toEqual([{ at: 'observations[2]', reason: 'clientMac is not a MAC' }]);
  });
  it('refuses a wrong or missing secret without echoing it', () => {
    expect(parseMerakiBody(v3, { secret: 'other' })).toEqual({ ok: false, reason: 'secret mismatch' });
    const noSecret = JSON.parse(v3) as Record<string, unknown>;
    delete noSecret.secret;
    expect(parseMerakiBody(noSecret, { secret: 'shop-secret-1' })).toEqual({ ok: false, reason: 'secret mismatch' });
  });
  it('converts to observations with pseudonymous subjects and AP receivers', () => {
    const r = parseMerakiBody(v3);
    if (!r.ok) throw new Error(r.reason);
    const obs = r.value.sightings.map((s) =>
      merakiToObservation(s, { pepper: 'p', receiverForAp: (ap) => (ap === '00180a13ddb0' ? 'rx-entrance' : 'rx-back') }),
    );
    expect(obs.map((o) => o.ok && o.value.receiverId)).toEqual(['rx-entrance', 'rx-back', 'rx-back']);
    expect(obs[2]).toMatchObject({ ok: true, value: { source: 'meraki', randomized: true, rssiDbm: -80 } });
    expect(JSON.stringify(obs)).not.toMatch(/00005e005301|00:00:5e:00:53:01|daa119e755dc|da:a1:19/i);
  });
  it('every truncation of the body is rejected, never thrown', () => {
    for (let n = 0; n < v3.length - 2; n += 7) expect(parseMerakiBody(v3.slice(0, n), { secret: 'shop-secret-1' }).ok).toBe(false);
  });
  it('fuzz: random JSON and mutated bodies never throw', () => {
    const body = JSON.parse(v3) as Record<string, unknown>;
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(() => parseMerakiBody(a)).not.toThrow();
        expect(() =>
          parseMerakiBody({ ...body, data: { observations: [a, { clientMac: '00:00:5e:00:53:01', latestRecord: b, locations: [b] }] } }),
        ).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(() => parseMerakiBody(s, { secret: 'x' })).not.toThrow();
      }),
    );
  });
});

describe.skipIf(!present)('Meraki v2.0 real sample (DevicesSeen, 10 observations)', () => {
  it('all 10 parse; positive v2 rssi becomes an estimated dBm, flagged, raw kept', () => {
    const r = parseMerakiBody(readFileSync(V2!, 'utf8'), { secret: 'testing123' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ version: '2.0', radio: 'wifi', rejected: [] });
    expect(r.value.sightings).toHaveLength(10);
    expect(r.value.sightings[0]).toEqual({
      atMs: 1_473_678_752_000,
      clientMac: '00:26:ab:b8:a9:a5',
      apMac: '00180a13ddb0',
      rssiDbm: -73,
      rssiRaw: 22,
      rssiEstimated: true,
    });
    for (const s of r.value.sightings) expect(merakiToObservation(s, { pepper: 'p' }).ok).toBe(true);
  });
});
