import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTrace, type Observation } from '@storesense/protocol';
import { silentLogger } from '../log.js';
import { TestClock } from '../testing/test-clock.js';
import { TraceRecorder, traceFileName } from './trace.recorder.js';

const T0 = 1_763_890_000_000;
const obs = (i: number, at = T0 + i * 100, subject = `s_${i.toString(16).padStart(16, '0')}`): Observation => ({
  v: 1,
  at,
  source: 'ble',
  receiverId: 'rx-door',
  subject,
  rssiDbm: -60 - (i % 30),
});

let dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rec-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** Every file of a recording, in name order, parsed with the protocol codec. */
function readAll(dir: string) {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      const parsed = parseTrace(text);
      if (!parsed.ok) throw new Error(`${name}: ${parsed.error}`);
      return { name, bytes: statSync(join(dir, name)).size, text, ...parsed.value };
    });
}

describe('TraceRecorder', () => {
  it('rotates before a file would pass maxBytes; every file has a header, only whole records, and together they hold every record in time order', () => {
    const dir = tmp();
    const clock = new TestClock(T0);
    const rec = new TraceRecorder({ dir, siteId: 'mall-1', maxBytes: 4096, clock, timers: clock, logger: silentLogger() });
    const input = Array.from({ length: 300 }, (_, i) => obs(i));
    for (let i = 0; i < input.length; i += 7) rec.write(input.slice(i, i + 7));
    const summary = rec.close();
    const files = readAll(dir);
    expect(files.length).toBeGreaterThan(3);
    expect(summary).toMatchObject({ records: 300, late: 0, failed: 0 });
    expect(summary.files).toEqual(files.map((f) => f.name));
    expect(files.map((f) => f.name)).toEqual(files.map((f, i) => traceFileName(i + 1, f.records[0]!.at)));
    expect(files[0]!.name).toBe('trace-000001-2025-11-23T09-26-40Z.ndjson');
    for (const [i, f] of files.entries()) {
      expect(f.bytes).toBeLessThanOrEqual(4096);
      expect(f.rejected).toEqual([]);
      expect(f.text.endsWith('\n')).toBe(true);
      expect(f.header).toMatchObject({ format: 'storesense-trace', v: 1, siteId: 'mall-1', startedAt: f.records[0]!.at });
      expect(f.header.generator).toMatch(/storesense-gateway .* record/);
      const next = files[i + 1];
      // Rotated only when needed: the next file's first record would not have fitted.
      if (next) expect(f.bytes + Buffer.byteLength(`${JSON.stringify(next.records[0])}\n`)).toBeGreaterThan(4096);
    }
    expect(files.flatMap((f) => f.records)).toEqual(input);
  });

  it('holds records for the reorder window and writes them in time order; later stragglers are written and counted', () => {
    const dir = tmp();
    const clock = new TestClock(T0);
    const rec = new TraceRecorder({ dir, siteId: 'mall-1', maxBytes: 1 << 20, clock, timers: clock, logger: silentLogger(), reorderMs: 2_000 });
    rec.write([obs(0, T0 + 1_000), obs(1, T0 + 500)]); // two sources, out of order
    rec.write([obs(2, T0 + 3_000)]);
    expect(readdirSync(dir)).toHaveLength(1); // T0+500 and T0+1000 are due; the file exists
    rec.write([obs(3, T0 + 200)]); // 2.8 s behind the newest: too late to sort in
    rec.write([obs(4, T0 + 2_500)]);
    const s = rec.close();
    const at = readAll(dir)[0]!.records.map((o) => o.at - T0);
    expect(at).toEqual([500, 1_000, 200, 2_500, 3_000]);
    expect(s.late).toBe(1);
  });

  it('writes buffered records of a quiet store once the wall clock passes the window', async () => {
    const dir = tmp();
    const clock = new TestClock(T0);
    const rec = new TraceRecorder({ dir, siteId: 'mall-1', maxBytes: 1 << 20, clock, timers: clock, logger: silentLogger() });
    rec.write([obs(0, T0)]);
    expect(readdirSync(dir)).toEqual([]);
    await clock.advance(3_000);
    expect(readAll(dir)[0]!.records).toHaveLength(1);
    rec.close();
  });

  it('continues the sequence of an earlier recording in the same dir and never overwrites a file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'trace-000007-2025-01-01T00-00-00Z.ndjson'), 'earlier\n');
    const clock = new TestClock(T0);
    const rec = new TraceRecorder({ dir, siteId: 'mall-1', maxBytes: 1 << 20, clock, timers: clock, logger: silentLogger() });
    rec.write([obs(1)]);
    expect(rec.close().files).toEqual([traceFileName(8, T0 + 100)]);
    expect(readFileSync(join(dir, 'trace-000007-2025-01-01T00-00-00Z.ndjson'), 'utf8')).toBe('earlier\n');
  });

  it('a record larger than maxBytes gets a file of its own; a write failure is counted, not thrown', () => {
    const dir = tmp();
    const clock = new TestClock(T0);
    const rec = new TraceRecorder({ dir, siteId: 'mall-1', maxBytes: 4096, clock, timers: clock, logger: silentLogger() });
    const big: Observation = { ...obs(1), token: 'ab'.repeat(8) };
    rec.write([obs(0), big]);
    rmSync(dir, { recursive: true, force: true }); // the disk goes away
    rec.write([obs(2, T0 + 60_000), obs(3, T0 + 60_100)]);
    expect(() => rec.close()).not.toThrow();
    expect(rec.stats().failed).toBeGreaterThan(0);
  });

  it('property: any batches, any maxBytes -> files within the limit (or one record each), all parse, nothing lost or split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dtMs: fc.integer({ min: 0, max: 400 }), subjectLen: fc.integer({ min: 3, max: 64 }), batch: fc.integer({ min: 1, max: 5 }) }), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.integer({ min: 4096, max: 9000 }),
        (steps, maxBytes) => {
          const dir = tmp();
          const clock = new TestClock(T0);
          const rec = new TraceRecorder({ dir, siteId: 'mall-1', maxBytes, clock, timers: clock, logger: silentLogger() });
          const input: Observation[] = [];
          let at = T0;
          for (const [i, s] of steps.entries()) {
            at += s.dtMs;
            const batch = Array.from({ length: s.batch }, (_, k) => obs(i * 10 + k, at, `s_${'x'.repeat(s.subjectLen - 2)}`.slice(0, s.subjectLen)));
            input.push(...batch);
            rec.write(batch);
          }
          rec.close();
          const files = readAll(dir);
          for (const f of files) {
            expect(f.rejected).toEqual([]);
            if (f.records.length > 1) expect(f.bytes).toBeLessThanOrEqual(maxBytes);
          }
          const out = files.flatMap((f) => f.records);
          expect(out).toHaveLength(input.length);
          expect(out.map((o) => o.at)).toEqual([...input].map((o) => o.at).sort((a, b) => a - b));
          rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 40 },
    );
  });
});
