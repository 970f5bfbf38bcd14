import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPcap } from './pcap.read.js';
import { readPcapng } from './pcapng.read.js';
import { decodeProbeCapture } from './probe-capture.decode.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../../fixtures/wifi/${name}`, import.meta.url)));
const PCAP = fixture('probe-requests-3-devices.pcap');
/** `editcap -F nsecpcap` then `editcap -F pcapng` of the pcap above (Wireshark 4.0): SHB, IDB with if_tsresol 9, EPBs. */
const PCAPNG = fixture('probe-requests-3-devices.pcapng');
/** `mergecap -F pcapng` of the µs pcapng and one text2pcap Ethernet frame: two interfaces, two link types. */
const MIXED = fixture('probe-requests-and-ethernet.pcapng');

/** A pcapng block (§3.1) in either byte order: type, total length, body padded to 4, total length. */
function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const padded = Math.ceil(body.length / 4) * 4;
  const out = new Uint8Array(12 + padded);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, out.length, le);
  out.set(body, 8);
  dv.setUint32(out.length - 4, out.length, le);
  return out;
}
function words(le: boolean, ...fields: Array<[bits: 8 | 16 | 32, value: number]>): Uint8Array {
  const size = fields.reduce((n, [b]) => n + b / 8, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const [bits, v] of fields) {
    if (bits === 8) dv.setUint8(o, v);
    else if (bits === 16) dv.setUint16(o, v, le);
    else dv.setUint32(o, v, le);
    o += bits / 8;
  }
  return out;
}
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const shb = (le: boolean) => block(0x0a0d0d0a, words(le, [32, 0x1a2b3c4d], [16, 1], [16, 0], [32, 0xffffffff], [32, 0xffffffff]), le);
/** IDB with if_tsresol (option 9) = `tsresol` and opt_endofopt. */
const idb = (le: boolean, linktype: number, tsresol: number) =>
  block(1, words(le, [16, linktype], [16, 0], [32, 65535], [16, 9], [16, 1], [8, tsresol], [8, 0], [8, 0], [8, 0], [16, 0], [16, 0]), le);
function epb(le: boolean, ts: bigint, data: Uint8Array, iface = 0): Uint8Array {
  return block(6, cat(words(le, [32, iface], [32, Number(ts >> 32n)], [32, Number(ts & 0xffffffffn)], [32, data.length], [32, data.length]), data), le);
}
const spb = (le: boolean, data: Uint8Array) => block(3, cat(words(le, [32, data.length]), data), le);

describe('pcapng reader (Wireshark captures)', () => {
  it('reads the editcap pcapng exactly as the classic pcap it came from (times, lengths, bytes)', () => {
    const classic = readPcap(PCAP);
    const ng = readPcapng(PCAPNG);
    expect(classic.ok && ng.ok).toBe(true);
    if (!classic.ok || !ng.ok) return;
    expect(ng.value).toMatchObject({ linktype: 127, littleEndian: true, nanoResolution: true, interfaces: [{ linktype: 127, snaplen: 65535 }] });
    expect(ng.value.truncated).toBeUndefined();
    expect(ng.value.records.map((r) => [r.atMs, r.origLen, Buffer.from(r.data).toString('hex')])).toEqual(
      classic.value.records.map((r) => [r.atMs, r.origLen, Buffer.from(r.data).toString('hex')]),
    );
    expect(ng.value.records[0]!.atMs).toBe(Date.UTC(2024, 2, 15, 12));
  });

  it('decodes probe requests from a pcapng, and keeps only the radiotap interface of a mixed file', () => {
    const a = decodeProbeCapture(PCAP);
    const b = decodeProbeCapture(PCAPNG);
    expect(b).toEqual(a);
    const mixed = decodeProbeCapture(MIXED);
    expect(mixed.ok).toBe(true);
    if (!mixed.ok) return;
    expect(mixed.value.frames).toHaveLength(13);
    expect(mixed.value.frames.filter((f) => 'probe' in f)).toHaveLength(12);
    expect(mixed.value.frames.filter((f) => 'rejected' in f)).toEqual([{ rejected: 'interface 1 has linktype 1, not 127 (radiotap)' }]);
  });

  it('reads both byte orders, if_tsresol in powers of 10 and 2, and Simple Packet Blocks', () => {
    const frame = Uint8Array.from({ length: 30 }, (_, i) => i);
    const at = 1_710_504_000_123_456n; // µs since epoch
    for (const le of [true, false]) {
      const bytes = cat(
        shb(le),
        idb(le, 127, 6),
        epb(le, at, frame),
        spb(le, frame.subarray(0, 10)),
        idb(le, 127, 0x80 | 20),
        epb(le, 5n * 2n ** 20n + 2n ** 19n, frame, 1),
      );
      const r = readPcapng(bytes);
      expect(r.ok, `le=${le}`).toBe(true);
      if (!r.ok) return;
      expect(r.value.littleEndian).toBe(le);
      expect(r.value.truncated).toBeUndefined();
      expect(r.value.records.map((x) => [x.atMs, x.data.length, x.interfaceId])).toEqual([
        [1_710_504_000_123.456, 30, 0],
        [1_710_504_000_123.456, 10, 0], // an SPB has no time of its own: the last one seen
        [5_500, 30, 1], // 2^-20 s units: 5.5 s
      ]);
      expect(Buffer.from(r.value.records[1]!.data).toString('hex')).toBe('00010203040506070809');
    }
    // A second section switches byte order mid-file.
    const two = readPcapng(cat(shb(true), idb(true, 127, 6), epb(true, at, frame), shb(false), idb(false, 1, 3), epb(false, 42n, frame)));
    expect(two.ok && two.value.records.map((x) => [x.linktype, x.atMs])).toEqual([
      [127, 1_710_504_000_123.456],
      [1, 42],
    ]);
  });

  it('bad input: an error or the records before the damage with the reason, never a throw', () => {
    expect(readPcapng(PCAP)).toEqual({ ok: false, reason: 'not a pcapng file (no Section Header Block)' });
    expect(readPcapng(new Uint8Array(0)).ok).toBe(false);
    const bom = cat(shb(true));
    bom[8] = 0x00;
    expect(readPcapng(bom)).toMatchObject({ ok: false, reason: expect.stringContaining('byte-order magic') });
    const cut = readPcapng(PCAPNG.subarray(0, PCAPNG.length - 10));
    expect(cut.ok && [cut.value.records.length, cut.value.truncated]).toEqual([11, expect.stringMatching(/needs \d+ bytes/)]);
    const badLen = PCAPNG.slice();
    new DataView(badLen.buffer).setUint32(4, 7, true); // SHB length not a multiple of 4
    expect(readPcapng(badLen)).toMatchObject({ ok: true, value: { records: [], truncated: 'block at byte 0 claims 7 bytes' } });
    const orphan = readPcapng(cat(shb(true), epb(true, 1n, new Uint8Array(4))));
    expect(orphan).toMatchObject({ ok: false, reason: expect.stringContaining('names interface 0, but the section describes 0') });
    for (let n = 0; n < PCAPNG.length; n += 7) expect(() => readPcapng(PCAPNG.subarray(0, n))).not.toThrow();
    const flipped = PCAPNG.slice();
    for (let i = 100; i < flipped.length; i += 13) flipped[i] = flipped[i]! ^ 0xff;
    expect(() => decodeProbeCapture(flipped)).not.toThrow();
  });
});
