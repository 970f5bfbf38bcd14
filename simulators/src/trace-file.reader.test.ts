import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeLine, type Observation } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { memberJourney } from './scenario.js';
import { demoMembers, exampleSite, tempDir } from './testing/fixtures.js';
import { readTraceFile, readTruthFile, TraceFileError } from './trace-file.reader.js';
import { generateWorld } from './trace-file.writer.js';
import { createWorld } from './world.js';

const header = { format: 'storesense-trace', v: 1, siteId: 'mall-bj-01', startedAt: 1000 };
const good = (at: number): Observation => ({ v: 1, at, source: 'ble', receiverId: 'rx-1', subject: 's_00000001', rssiDbm: -70 });

async function readAll<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readTraceFile / readTruthFile', () => {
  it('reads back exactly what generateWorld wrote', async () => {
    const member = demoMembers()[0]!;
    const opts = {
      site: exampleSite('boutique'),
      seed: 4,
      durationMs: 3 * 60_000,
      shoppersPerHour: 300,
      scenarios: [memberJourney({ memberId: member.memberId, key: member.tokenKey })],
    };
    const r = await generateWorld({ ...opts, outDir: tempDir() });
    const trace = await readTraceFile(r.traceFile);
    expect(trace.header).toMatchObject({ format: 'storesense-trace', siteId: 'mall-bj-01', seed: 4, durationMs: 180_000 });
    const obs = await readAll(trace);
    expect(obs).toEqual([...createWorld(opts).observationBatches()].flat());
    expect(trace.stats).toMatchObject({ records: r.observations, rejected: 0 });
    const truth = await readTruthFile(r.truthFile);
    expect(await readAll(truth)).toEqual(createWorld(opts).truth());
  });

  it('skips and counts malformed lines, keeping the good ones', async () => {
    const path = join(tempDir(), 'bad.ndjson');
    const lines = [
      encodeLine(header),
      encodeLine(good(1000)),
      '{not json\n',
      encodeLine({ ...good(1001), rssiDbm: 'loud' }),
      '\n',
      encodeLine({ ...good(1002), receiverId: 'bad/id' }),
      encodeLine(good(1003)),
      '[1,2,3]\n',
    ];
    writeFileSync(path, lines.join(''));
    const rejected: number[] = [];
    const trace = await readTraceFile(path, (line) => rejected.push(line));
    const obs = await readAll(trace);
    expect(obs.map((o) => o.at)).toEqual([1000, 1003]);
    expect(trace.stats.rejected).toBe(4);
    expect(rejected).toEqual([3, 4, 6, 8]);
    expect(trace.stats.rejections[0]).toMatchObject({ line: 3 });
    expect(trace.stats.rejections[0]!.error).toMatch(/malformed JSON/);
  });

  it('fails clearly on a missing file, an empty file or a bad header', async () => {
    const dir = tempDir();
    await expect(readTraceFile(join(dir, 'nope.ndjson'))).rejects.toThrow(/cannot read trace file .*nope\.ndjson: ENOENT/);
    writeFileSync(join(dir, 'empty.ndjson'), '');
    await expect(readTraceFile(join(dir, 'empty.ndjson'))).rejects.toThrow(/is empty/);
    writeFileSync(join(dir, 'truth-as-trace.ndjson'), encodeLine({ ...header, format: 'storesense-truth' }));
    await expect(readTraceFile(join(dir, 'truth-as-trace.ndjson'))).rejects.toThrow(TraceFileError);
    await expect(readTraceFile(join(dir, 'truth-as-trace.ndjson'))).rejects.toThrow(/line 1 \(header\)/);
  });
});
