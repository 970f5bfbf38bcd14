import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codecs, newId } from './codec.js';
import type { PresenceEventInput } from './event.js';
import { memberToken } from './member-keys.js';

const event: PresenceEventInput = {
  v: 1,
  id: newId(1_767_607_200_000),
  seq: 7,
  type: 'arrival',
  at: 1_767_607_200_000,
  detectedAt: 1_767_607_201_250,
  siteId: 'mall-sh-01',
  gatewayId: 'gw-dept-1',
  storeId: 'dept-store',
  subject: { id: 's_3f9a01bc', memberId: 'M001', signals: ['ble'] },
  visitId: newId(1_767_607_200_000),
  floor: 0,
  confidence: 0.93,
  model: { name: 'rules', version: '1' },
};

describe('codecs', () => {
  it('round-trips a presence event', () => {
    const decoded = codecs.event.decode(codecs.event.encode(event));
    expect(decoded).toEqual({ ok: true, value: event });
  });

  it('round-trips every other payload', () => {
    const cases: [keyof typeof codecs, unknown][] = [
      ['ack', { v: 1, at: 5, ids: ['a', 'b'], upTo: 4 }],
      ['connState', { v: 1, state: 'offline', at: 9, version: '0.1.0' }],
      ['command', { v: 1, requestId: 'r1', args: { x: 1 } }],
      ['response', { v: 1, requestId: 'r1', status: 'error', error: 'no such command' }],
      ['memberKeys', { v: 1, at: 1, periodMs: 900_000, members: [{ memberId: 'M1', key: 'ab'.repeat(16) }] }],
      ['observation', { v: 1, at: 10, source: 'ble', receiverId: 'rx-1', subject: 's_1', rssiDbm: -70, token: '0123456789abcdef' }],
      [
        'occupancy',
        {
          v: 1,
          at: 120_000,
          storeId: 'lab',
          minutes: [{ start: 60_000, occupancy: 12.5, addresses: 40, fixed: 11 }],
          hours: [{ start: 0, uniqueVisitors: 30 }],
        },
      ],
      [
        'observation',
        { v: 1, at: 10, source: 'wifi', receiverId: 'rx-1', subject: 's_1', rssiDbm: -61, randomized: true, seq: 4095, ieFp: '0123456789abcdef' },
      ],
      [
        'gap',
        {
          v: 1,
          id: '01JAAAAAAAAAAAAAAAAAAAAAAA',
          siteId: 's',
          gatewayId: 'g',
          at: 9_000,
          reason: 'max_rows',
          count: 3,
          fromSeq: 1,
          toSeq: 3,
          fromAt: 1_000,
          toAt: 2_000,
        },
      ],
      [
        'health',
        {
          v: 1,
          at: 1,
          version: '0.1.0',
          sources: { replay: { state: 'ok', observations: 3, rejected: 0 } },
          outbox: { depth: 0, dropped: 0 },
          model: { name: 'rules', version: '1' },
          subjects: 2,
        },
      ],
    ];
    for (const [name, value] of cases) {
      const c = codecs[name];
      expect(c.decode(c.encode(value)), name).toEqual({ ok: true, value });
    }
  });

  it('a gap report is counts and ranges only, and its ranges are ordered', () => {
    const ok = {
      v: 1,
      id: '01JAAAAAAAAAAAAAAAAAAAAAAA',
      siteId: 's',
      gatewayId: 'g',
      at: 9_000,
      reason: 'max_age',
      count: 3,
      fromSeq: 1,
      toSeq: 3,
      fromAt: 1_000,
      toAt: 2_000,
    };
    expect(codecs.gap.decode(JSON.stringify(ok)).ok).toBe(true);
    expect(codecs.gap.decode(JSON.stringify({ ...ok, events: [] })).ok).toBe(false);
    expect(codecs.gap.decode(JSON.stringify({ ...ok, fromSeq: 4 })).ok).toBe(false);
    expect(codecs.gap.decode(JSON.stringify({ ...ok, reason: 'oops' })).ok).toBe(false);
    expect(codecs.gap.decode(JSON.stringify({ ...ok, count: 0 })).ok).toBe(false);
  });
  it('an occupancy report carries counts only: an extra key (an identifier riding along) is refused', () => {
    const ok = { v: 1, at: 1, storeId: 'lab', minutes: [{ start: 0, occupancy: 1, addresses: 1, fixed: 0 }], hours: [] };
    expect(codecs.occupancy.decode(JSON.stringify(ok)).ok).toBe(true);
    expect(codecs.occupancy.decode(JSON.stringify({ ...ok, subjects: ['s_1'] })).ok).toBe(false);
    expect(codecs.occupancy.decode(JSON.stringify({ ...ok, minutes: [{ ...ok.minutes[0], subject: 's_1' }] })).ok).toBe(false);
    expect(codecs.occupancy.decode(JSON.stringify({ ...ok, minutes: [{ ...ok.minutes[0], occupancy: -1 }] })).ok).toBe(false);
  });

  it('rejects malformed JSON and invalid payloads with the path of each problem', () => {
    const bad = codecs.event.decode('{"v":1,');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/malformed JSON/);

    const invalid = codecs.event.decode(JSON.stringify({ ...event, type: 'teleport', subject: { id: '' }, confidence: 2 }));
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) {
      expect(invalid.issues.some((i) => i.startsWith('type:'))).toBe(true);
      expect(invalid.issues.some((i) => i.startsWith('subject.id:'))).toBe(true);
      expect(invalid.issues.some((i) => i.startsWith('confidence:'))).toBe(true);
    }
  });

  it('requires floors on floor_change and a phase on dwell', () => {
    const fc1 = codecs.event.decode(JSON.stringify({ ...event, type: 'floor_change' }));
    expect(fc1.ok).toBe(false);
    const dw = codecs.event.decode(JSON.stringify({ ...event, type: 'dwell' }));
    expect(dw.ok).toBe(false);
    if (!dw.ok) expect(dw.issues[0]).toMatch(/^phase:/);
  });

  it('decoders never throw on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const c of Object.values(codecs)) c.decode(bytes);
      }),
    );
    fc.assert(
      fc.property(fc.json(), (text) => {
        for (const c of Object.values(codecs)) c.decode(text);
      }),
    );
  });

  it('encode refuses an invalid value instead of sending it', () => {
    expect(() => codecs.ack.encode({ v: 2, at: 1, ids: [] })).toThrow();
  });
});

describe('memberToken', () => {
  const key = '00112233445566778899aabbccddeeff';
  it('is stable within a period and rotates across periods', () => {
    const p = 900_000;
    const t0 = 1_767_607_200_000 - (1_767_607_200_000 % p);
    expect(memberToken(key, t0, p)).toBe(memberToken(key, t0 + p - 1, p));
    expect(memberToken(key, t0, p)).not.toBe(memberToken(key, t0 + p, p));
    expect(memberToken(key, t0, p)).toMatch(/^[0-9a-f]{16}$/);
  });
  it('differs between keys', () => {
    expect(memberToken(key, 0)).not.toBe(memberToken('ff'.repeat(16), 0));
  });
});

describe('newId', () => {
  it('is a ULID whose time part is the event time, reproducible with a seeded random', () => {
    const id = newId(1_767_607_200_000, () => 0.5);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(newId(1_767_607_200_000, () => 0.5)).toBe(id);
  });
});

describe('subject ids are pseudonyms at every door', () => {
  const obs = { v: 1, at: 10, source: 'ble', receiverId: 'rx-1', rssiDbm: -70 };
  it.each([
    'aa:bb:cc:dd:ee:ff',
    'AA-BB-CC-DD-EE-FF',
    'aabb.ccdd.eeff',
    'aabbccddeeff',
    'AABBCCDDEEFF',
    'mac=aa:bb:cc:dd:ee:ff',
    't_aabbccddeeff',
    'x-02:00:5e:10:20:30-y',
  ])('refuses %s as an observation subject and as an event subject id', (subject) => {
    const o = codecs.observation.decode(JSON.stringify({ ...obs, subject }));
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.error).toMatch(/looks like a MAC address/);
    const e = codecs.event.decode(JSON.stringify({ ...event, subject: { ...event.subject, id: subject } }));
    expect(e.ok).toBe(false);
  });
  it.each(['s_22e5a95f', 's_0123456789abcdef', 't_pos-1_1767607236783', 'm_M0001', 'b_9f2c01aa', 'irk_3f9a', 'aa:bb:cc'])(
    'accepts the pseudonym %s',
    (subject) => {
      expect(codecs.observation.decode(JSON.stringify({ ...obs, subject })).ok).toBe(true);
    },
  );
});
