import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../ble/advert.parse.js';
import { readPcap } from './pcap.read.js';
import { decodeProbeCapture, decodeRadiotapFrame } from './probe-capture.decode.js';
import { probeToObservation } from './probe.observation.js';
import { parseProbeRequest } from './probe-request.parse.js';
import { parseRadiotap } from './radiotap.parse.js';
import { parseTsharkProbeLine } from './tshark-fields.parse.js';

function hexFixture(name: string): Uint8Array {
  const text = readFileSync(new URL(`../../../fixtures/wifi/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('');
  return hexToBytes(text)!;
}
const frame = hexFixture('radiotap-ext-bitmaps-probe-fcs.hex');

/** Builds a pcap file around records (draft-ietf-opsawg-pcap §4/§5) in either byte order/resolution. */
function pcap(records: { sec: number; frac: number; data: Uint8Array }[], le: boolean, nano = false, linktype = 127): Uint8Array {
  const size = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, 65535, le);
  dv.setUint32(20, linktype, le);
  let off = 24;
  for (const r of records) {
    dv.setUint32(off, r.sec, le);
    dv.setUint32(off + 4, r.frac, le);
    dv.setUint32(off + 8, r.data.length, le);
    dv.setUint32(off + 12, r.data.length, le);
    buf.set(r.data, off + 16);
    off += 16 + r.data.length;
  }
  return buf;
}

describe('radiotap', () => {
  it('walks extended presence bitmaps with field alignment; keeps the first (combined) antsignal', () => {
    const r = parseRadiotap(frame);
    expect(r.ok && r.value).toMatchObject({
      lengthBytes: 35,
      flags: 0x10,
      hasFcs: true,
      channelFrequencyMhz: 2412,
      antennaSignalDbm: -60,
      antenna: 0,
      tsftUs: 0x0807060504030201n,
    });
  });
  it('skips a vendor namespace (2-aligned OUI, sub_ns, skip_length) and resumes the radiotap namespace', () => {
    // word0: antsignal | vendor-NS next | ext; word1 (vendor, 2 words via ext); word2: vendor cont. | radiotap-NS next | ext;
    // word3: radiotap channel. Data: antsignal -60 @20, pad, vendor header @22 (skip 2) + 2 bytes, channel @30 = 5180 MHz; it_len 34.
    const b = hexToBytes('00 00 22 00  20 00 00 c0  01 00 00 80  00 00 00 a0  08 00 00 00  c4 00  00 11 22 00 02 00 aa bb  3c 14 40 01');
    const r = parseRadiotap(b!);
    expect(r.ok && r.value).toMatchObject({ lengthBytes: 34, antennaSignalDbm: -60, channelFrequencyMhz: 5180 });
  });
  it('rejects a length beyond the buffer and a non-zero version', () => {
    expect(parseRadiotap(frame.subarray(0, 20)).ok).toBe(false);
    const v1 = Uint8Array.from(frame);
    v1[0] = 1;
    expect(parseRadiotap(v1).ok).toBe(false);
  });
});

describe('probe request', () => {
  it('decodes SA, sequence number, wildcard SSID, element ids, randomized; strips the FCS', () => {
    const d = decodeRadiotapFrame(1000, frame);
    expect(d.ok && d.value).toMatchObject({
      signalDbm: -60,
      channelFrequencyMhz: 2412,
      probe: { sourceMac: '02005e102030', destinationMac: 'ffffffffffff', sequenceNumber: 100, hasSsid: false, randomized: true, elementIds: [0, 1, 221] },
    });
  });
  it('the fingerprint ignores the SSID but not the other elements', () => {
    const body = frame.subarray(35, frame.length - 4);
    const withSsid = Uint8Array.from([...body.subarray(0, 24), 0, 3, 0x61, 0x62, 0x63, ...body.subarray(26)]);
    const a = parseProbeRequest(body);
    const b = parseProbeRequest(withSsid);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(b.value.hasSsid).toBe(true);
    expect(b.value.ieFingerprint).toBe(a.value.ieFingerprint);
    const noVendor = parseProbeRequest(body.subarray(0, body.length - 7));
    expect(noVendor.ok && noVendor.value.ieFingerprint).not.toBe(a.value.ieFingerprint);
  });
  it('rejects other frame types and elements past the end', () => {
    const beacon = Uint8Array.from(frame.subarray(35));
    beacon[0] = 0x80;
    expect(parseProbeRequest(beacon, { hasFcs: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/not a probe request/) });
    expect(parseProbeRequest(frame.subarray(35, frame.length - 5))).toMatchObject({ ok: false, reason: expect.stringMatching(/declares/) });
  });
});

describe('pcap reader', () => {
  for (const [le, nano] of [
    [true, false],
    [false, false],
    [true, true],
    [false, true],
  ] as const) {
    it(`${le ? 'little' : 'big'}-endian, ${nano ? 'ns' : 'µs'} timestamps`, () => {
      const file = pcap(
        [
          { sec: 1_710_502_211, frac: nano ? 48_203_000 : 48_203, data: frame },
          { sec: 1_710_502_212, frac: 0, data: frame },
        ],
        le,
        nano,
      );
      const r = decodeProbeCapture(file);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.frames).toHaveLength(2);
      expect(r.value.frames[0]).toMatchObject({ atMs: 1_710_502_211_048.203, probe: { sequenceNumber: 100 } });
    });
  }
  it('reports a truncated last record and keeps the earlier ones', () => {
    const file = pcap(
      [
        { sec: 1, frac: 0, data: frame },
        { sec: 2, frac: 0, data: frame },
      ],
      true,
    );
    const r = readPcap(file.subarray(0, file.length - 3));
    expect(r.ok && r.value.records.length).toBe(1);
    expect(r.ok && r.value.truncated).toMatch(/needs/);
  });
  it('refuses other linktypes and non-pcap files', () => {
    expect(decodeProbeCapture(pcap([], true, false, 105))).toMatchObject({ ok: false, reason: expect.stringMatching(/linktype 105/) });
    expect(readPcap(new Uint8Array(24)).ok).toBe(false);
  });
  it('fuzz: random bytes, random records and truncations never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        expect(() => decodeProbeCapture(b)).not.toThrow();
        expect(() => parseRadiotap(b)).not.toThrow();
        expect(() => parseProbeRequest(b)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 5 }), fc.boolean(), fc.nat(), (datas, le, cut) => {
        const file = pcap(
          datas.map((d) => ({ sec: 1, frac: 2, data: Uint8Array.from([...frame.subarray(0, cut % 60), ...d]) })),
          le,
        );
        const r = decodeProbeCapture(file.subarray(0, file.length - (cut % 7)));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('tshark -T fields lines', () => {
  it('parses epoch, sa, the first antsignal, frequency, ssid', () => {
    expect(parseTsharkProbeLine('1710502211.048203000\tda:a1:19:e7:55:dc\t-86,-88\t2462\t')).toEqual({
      ok: true,
      value: { atMs: 1_710_502_211_048, sourceMac: 'daa119e755dc', signalDbm: -86, channelFrequencyMhz: 2462, hasSsid: false },
    });
    expect(parseTsharkProbeLine('1710502211.5\ta8:9c:ed:18:9b:45\t\t5180\tshop-wifi')).toMatchObject({
      ok: true,
      value: { hasSsid: true, channelFrequencyMhz: 5180 },
    });
  });
  it('rejects bad lines with a reason; fuzz never throws', () => {
    expect(parseTsharkProbeLine('x\tda:a1:19:e7:55:dc\t-86\t2462\t')).toMatchObject({ ok: false });
    expect(parseTsharkProbeLine('1\tnot-a-mac\t-86\t2462\t')).toMatchObject({ ok: false, reason: 'wlan.sa is not a MAC' });
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), (parts) => {
        expect(() => parseTsharkProbeLine(parts.join('\t'))).not.toThrow();
      }),
    );
  });
});

describe('probeToObservation', () => {
  it('pseudonymises the source MAC and flags a randomised one', () => {
    const r = probeToObservation({ atMs: 1_710_502_211_048.2, sourceMac: '02005e102030', signalDbm: -60 }, { receiverId: 'rx-door', pepper: 'p' });
    expect(r.ok && r.value).toMatchObject({ v: 1, at: 1_710_502_211_048, source: 'wifi', receiverId: 'rx-door', rssiDbm: -60, randomized: true });
    expect(JSON.stringify(r)).not.toMatch(/02005e102030|02:00:5e/i);
  });
});
