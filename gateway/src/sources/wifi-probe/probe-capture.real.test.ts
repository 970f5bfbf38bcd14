import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFiles } from '@storesense/protocol/testing';
import { decodeProbeCapture, type ProbeSighting } from './probe-capture.decode.js';

// Real capture (tomas-fryza/probe-request-project, MIT), kept outside the repo: shared/fixtures/README.md beside it.
const {
  paths: [pcapPath = '', csvPath = ''],
  skip,
} = sharedFiles(
  ['fixtures/wifi-probes/lab-position1-2024-03-15.pcap', 'fixtures/wifi-probes/lab-position1-2024-03-15.csv'],
  'the real probe-request capture test',
);
const present = !skip;

interface CsvRow {
  datetime: string;
  dst: string;
  src: string;
  randomized: boolean;
  rssi: number;
  idx: number;
  seq: number;
  freq: number;
  elt: number[];
}

function readCsv(): CsvRow[] {
  const lines = readFileSync(csvPath, 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const c = l.split(';');
    // The anonymised ssid column could in principle hold ';': take the fixed columns from both ends.
    return {
      datetime: c[0]!,
      dst: c[1]!,
      src: c[2]!,
      randomized: c[4] === '1',
      rssi: Number(c[5]),
      idx: Number(c[6]),
      seq: Number(c[7]),
      freq: Number(c[8]),
      elt: JSON.parse(c[c.length - 3]!) as number[],
    };
  });
}

const colon = (m: string) => m.match(/../g)!.join(':');
/** CSV datetime is local CET (UTC+1 on 2024-03-15, before the EU DST switch); the pcap is UTC. */
const cetToUtcMs = (s: string) => Date.parse(`${s.replace(' ', 'T').slice(0, 23)}+01:00`);

describe.skipIf(!present)('real probe-request capture vs its decoded CSV', () => {
  it('every frame: src MAC, dst, RSSI, sequence number, channel frequency, randomized flag, element ids, time', () => {
    const decoded = decodeProbeCapture(readFileSync(pcapPath));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const rows = readCsv();
    expect(decoded.value.truncated).toBeUndefined();
    expect(decoded.value.frames.length).toBe(rows.length);
    const mismatches: Record<string, number> = {};
    const miss = (k: string) => (mismatches[k] = (mismatches[k] ?? 0) + 1);
    for (const row of rows) {
      const f = decoded.value.frames[row.idx];
      if (!f || 'rejected' in f) {
        miss('rejected');
        continue;
      }
      const s: ProbeSighting = f;
      if (colon(s.probe.sourceMac) !== row.src) miss('src');
      if (colon(s.probe.destinationMac) !== row.dst) miss('dst');
      if (s.signalDbm !== row.rssi) miss('rssi');
      if (s.probe.sequenceNumber !== row.seq) miss('seq');
      if (s.channelFrequencyMhz !== row.freq) miss('freq');
      if (s.probe.randomized !== row.randomized) miss('randomized');
      if (JSON.stringify(s.probe.elementIds) !== JSON.stringify(row.elt)) miss('elementIds');
      if (Math.abs(Math.floor(s.atMs) - cetToUtcMs(row.datetime)) > 1) miss('time');
    }
    expect(mismatches).toEqual({});
  });
  it('fingerprints group frames: fewer fingerprints than source MACs among randomised ones', () => {
    const decoded = decodeProbeCapture(readFileSync(pcapPath));
    if (!decoded.ok) throw new Error(decoded.reason);
    const rnd = decoded.value.frames.filter((f): f is ProbeSighting => !('rejected' in f) && f.probe.randomized);
    const macs = new Set(rnd.map((f) => f.probe.sourceMac));
    const fps = new Set(rnd.map((f) => f.probe.ieFingerprint));
    expect(fps.size).toBeLessThan(macs.size);
  });
});
