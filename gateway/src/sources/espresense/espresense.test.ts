import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { espresenseToObservation } from './espresense.observation.js';
import { parseEspresenseMessage } from './espresense.parse.js';
import { sharedFiles } from '@storesense/protocol/testing';

const {
  paths: [REAL],
  skip: noReal,
} = sharedFiles(['fixtures/espresense/stationary-watch-10-rooms.jsonp'], 'the real ESPresense capture test');
const present = !noReal;

describe('parseEspresenseMessage', () => {
  it('classic firmware payload', () => {
    const r = parseEspresenseMessage(
      'espresense/devices/watch:darrell/laundry',
      '{"mac":"58b1294494d3","id":"watch:darrell","name":"W","idType":250,"rssi@1m":-71,"rssi":-76,"raw":1.58,"distance":2.25,"int":619}',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        deviceId: 'watch:darrell',
        room: 'laundry',
        rssiDbm: -76,
        mac: '58b1294494d3',
        name: 'W',
        idType: 250,
        rssiAt1mDbm: -71,
        rawDistanceM: 1.58,
        distanceM: 2.25,
        intervalMs: 619,
      },
    });
  });
  it('newer firmware (rxAdj, rssiVar, var; no raw/idType) with numbers as strings', () => {
    const r = parseEspresenseMessage('espresense/devices/iBeacon:e2c56db5-dffb-48d2-b060-d0f5a71096e0-1-2/office', {
      id: 'iBeacon:e2c56db5-dffb-48d2-b060-d0f5a71096e0-1-2',
      'rssi@1m': '-59',
      rssi: '-70.5',
      rxAdj: '0',
      rssiVar: 1.2,
      var: '0.05',
      distance: '3.1',
    });
    expect(r.ok && r.value).toEqual({
      deviceId: 'iBeacon:e2c56db5-dffb-48d2-b060-d0f5a71096e0-1-2',
      room: 'office',
      rssiDbm: -70.5,
      rssiAt1mDbm: -59,
      rxAdjDb: 0,
      rssiVariance: 1.2,
      distanceVariance: 0.05,
      distanceM: 3.1,
    });
  });
  const bad: [string, string, unknown, RegExp][] = [
    ['wrong topic shape', 'espresense/rooms/office', '{}', /topic/],
    ['extra topic level', 'espresense/devices/a/b/c', '{"rssi":-60}', /topic/],
    ['not JSON', 'espresense/devices/a/office', '{rssi', /not JSON/],
    ['array payload', 'espresense/devices/a/office', '[1]', /not a JSON object/],
    ['missing rssi', 'espresense/devices/a/office', '{"id":"a"}', /rssi missing/],
    ['absurd rssi', 'espresense/devices/a/office', '{"id":"a","rssi":40}', /outside/],
    ['id mismatch', 'espresense/devices/a/office', '{"id":"b","rssi":-60}', /differs/],
  ];
  for (const [what, topic, payload, reason] of bad) {
    it(`rejects: ${what}`, () => expect(parseEspresenseMessage(topic, payload)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) }));
  }
  it('drops an invalid optional field but keeps the report', () => {
    const r = parseEspresenseMessage('espresense/devices/a/office', { rssi: -60, distance: -3, int: 'x' });
    expect(r).toEqual({ ok: true, value: { deviceId: 'a', room: 'office', rssiDbm: -60 } });
  });
  it('every truncation of a payload is parsed or rejected, never thrown', () => {
    const full = '{"mac":"58b1294494d3","id":"watch:darrell","name":"W","idType":250,"rssi@1m":-71,"rssi":-76,"raw":1.58,"distance":2.25,"int":619}';
    for (let n = 0; n < full.length; n++) expect(parseEspresenseMessage('espresense/devices/watch:darrell/laundry', full.slice(0, n)).ok).toBe(false);
  });
  it('fuzz: random topics and payloads never throw', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.json(), fc.jsonValue(), fc.uint8Array()), (topic, payload) => {
        expect(() => parseEspresenseMessage(topic, payload)).not.toThrow();
        expect(() => parseEspresenseMessage('espresense/devices/x/y', payload)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('id', 'rssi', 'rssi@1m', 'raw', 'distance', 'int', 'rxAdj', 'var', 'rssiVar', 'mac', 'name', 'idType'), fc.jsonValue()),
        (obj) => {
          expect(() => parseEspresenseMessage('espresense/devices/x/y', obj)).not.toThrow();
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('espresenseToObservation', () => {
  it('hashes a MAC-shaped id and flags it randomised; maps rooms', () => {
    const p = parseEspresenseMessage('espresense/devices/7a1122334455/front door', { rssi: -66, mac: '7a1122334455' });
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(espresenseToObservation(p.value, 1_700_000_000_000, { pepper: 'p' })).toMatchObject({ ok: false, reason: /no receiver/ });
    const o = espresenseToObservation(p.value, 1_700_000_000_000, { pepper: 'p', receiverForRoom: (room) => (room === 'front door' ? 'rx-door' : undefined) });
    expect(o.ok && o.value).toMatchObject({ source: 'espresense', receiverId: 'rx-door', rssiDbm: -66, randomized: true });
    expect(JSON.stringify(o)).not.toMatch(/7a1122334455/);
  });
});

describe.skipIf(!present)('real ESPresense capture (stationary watch, 10 rooms)', () => {
  it('every line parses and converts; count per room', () => {
    const lines = readFileSync(REAL!, 'utf8').trim().split('\n');
    const perRoom: Record<string, number> = {};
    for (const line of lines) {
      const msg = JSON.parse(line) as { tst: string; topic: string; payload: unknown };
      const r = parseEspresenseMessage(msg.topic, msg.payload);
      if (!r.ok) throw new Error(`${r.reason} in ${msg.topic}`);
      expect(r.value.deviceId).toBe('watch:darrell');
      const o = espresenseToObservation(r.value, Date.parse(msg.tst.replace(/(\d{2})(\d{2})$/, '$1:$2')), { pepper: 'p' });
      expect(o.ok).toBe(true);
      perRoom[r.value.room] = (perRoom[r.value.room] ?? 0) + 1;
    }
    expect(lines.length).toBe(1693);
    expect(perRoom).toEqual({
      basement: 189,
      master: 182,
      garage: 181,
      laundry: 180,
      office_alt: 175,
      bathroom: 172,
      office: 172,
      family: 164,
      upstairs_hallway: 155,
      dining: 123,
    });
  });
});
