import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPcap, type PcapRecord } from './pcap.read.js';
import { PcapStreamReader } from './pcap.stream.js';
import { sharedFiles } from '@storesense/protocol/testing';

const FIXTURE = new Uint8Array(readFileSync(new URL('../../../fixtures/wifi/probe-requests-3-devices.pcap', import.meta.url)));
const {
  paths: [SHARED_PCAP = ''],
  skip: noShared,
} = sharedFiles(['fixtures/wifi-probes/lab-position1-2024-03-15.pcap'], 'the real lab capture stream test');
const shared = noShared ? undefined : new Uint8Array(readFileSync(SHARED_PCAP));

const flat = (rs: PcapRecord[]) => rs.map((r) => ({ atMs: r.atMs, origLen: r.origLen, hex: Buffer.from(r.data).toString('hex') }));
function fileRecords(bytes: Uint8Array) {
  const f = readPcap(bytes);
  if (!f.ok) throw new Error(f.reason);
  return flat(f.value.records);
}
/** Feeds `bytes` cut at `cuts` (sorted offsets) and collects every record. */
function streamed(bytes: Uint8Array, cuts: number[]) {
  const reader = new PcapStreamReader();
  const out: PcapRecord[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    const r = reader.push(bytes.subarray(prev, c));
    expect(r.error).toBeUndefined();
    out.push(...r.records);
    prev = c;
  }
  expect(reader.pendingBytes).toBe(0);
  return flat(out);
}

describe('PcapStreamReader (tcpdump -w - on a pipe)', () => {
  const expected = fileRecords(FIXTURE);

  it('gives the same records as the file reader for the fixture split at every offset', () => {
    expect(expected).toHaveLength(12);
    for (let cut = 0; cut <= FIXTURE.length; cut++) expect(streamed(FIXTURE, [cut])).toEqual(expected);
  });

  it('one byte at a time', () => {
    expect(
      streamed(
        FIXTURE,
        Array.from({ length: FIXTURE.length }, (_, i) => i),
      ),
    ).toEqual(expected);
  });

  it.skipIf(!shared)(
    `the real lab capture cut at random offsets (fast-check) gives the file reader's records${shared ? '' : ' (skipped: shared fixtures absent)'}`,
    () => {
      const bytes = shared!;
      const all = fileRecords(bytes);
      expect(all.length).toBeGreaterThan(1000);
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { minLength: 1, maxLength: 200 }), (cuts) => {
          expect(
            streamed(
              bytes,
              [...cuts].sort((a, b) => a - b),
            ),
          ).toEqual(all);
        }),
        { numRuns: 25 },
      );
    },
  );

  it('the header is known after 24 bytes; records already read stay valid while later chunks arrive', () => {
    const reader = new PcapStreamReader();
    expect(reader.push(FIXTURE.subarray(0, 23)).records).toEqual([]);
    expect(reader.header).toBeUndefined();
    const first = reader.push(FIXTURE.subarray(23, 200)).records;
    expect(reader.header).toMatchObject({ linktype: 127, littleEndian: true, nanoResolution: false });
    const snapshot = flat(first);
    reader.push(FIXTURE.subarray(200));
    expect(flat(first)).toEqual(snapshot);
  });

  it('not a pcap (pcapng, text) -> an error that sticks; a corrupt record length -> error after the good records', () => {
    const ng = new PcapStreamReader();
    expect(ng.push(Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Array(40).fill(0)])).error).toMatch(/pcapng is not supported/);
    expect(ng.push(FIXTURE).error).toMatch(/pcapng/);
    const bad = Uint8Array.from(FIXTURE);
    const second = 24 + 16 + expected[0]!.hex.length / 2;
    new DataView(bad.buffer).setUint32(second + 8, 0x7fffffff, true);
    const r = new PcapStreamReader().push(bad);
    expect(r.records).toHaveLength(1);
    expect(r.error).toMatch(/claims 2147483647 bytes/);
  });

  it('fuzz: random chunks of random bytes never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), fc.boolean(), (chunks, withHeader) => {
        const reader = new PcapStreamReader();
        if (withHeader) reader.push(FIXTURE.subarray(0, 24));
        for (const c of chunks) reader.push(c);
      }),
      { numRuns: 300 },
    );
  });
});
