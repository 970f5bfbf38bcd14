/**
 * Outbox appends at depth: one tick's append (one event, as a busy tick stores) into an empty
 * outbox and into one holding `rows` unsent events at its cap, so each append there also drops the
 * oldest row and extends the open gap record: the worst case of an outage that outlasts the cap.
 * Before the created_at index and the depth counter, an append at 1 M rows scanned the table twice
 * (306-417 ms against a 250 ms tick).
 *
 * Usage: node bench/dist/outbox-append.bench.js [rows=1000000] [appends=2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, silentLogger, SqliteOutbox, type EventDraft } from '@storesense/gateway';
import { median, percentile, report } from './stats.js';

const [rows = 1_000_000, appends = 2_000] = process.argv.slice(2).map(Number);

let n = 0;
const draft = (at: number): EventDraft => {
  n += 1;
  return {
    v: 1,
    id: `01BENCH${String(n).padStart(19, '0')}`,
    type: 'dwell',
    at,
    detectedAt: at,
    siteId: 'mall',
    gatewayId: 'gw-1',
    subject: { id: `s_${n % 5000}`, signals: ['ble'] },
    visitId: `v${n % 5000}`,
    zoneId: 'z-1',
    dwellMs: 30_000,
    confidence: 0.9,
    model: { name: 'journey-mlp', version: '4' },
  };
};

/** `depth` rows stored first, the cap at `rows`: at depth = rows every append also drops one. */
function measure(depth: number): { depth: number; p50Us: number; p99Us: number; maxUs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'storesense-bench-outbox-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 10));
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxRows: rows, maxAgeMs: 30 * 86_400_000, clock, logger: silentLogger() });
  try {
    for (let filled = 0; filled < depth; filled += 10_000) {
      outbox.append(Array.from({ length: Math.min(10_000, depth - filled) }, () => draft(clock.now())));
      clock.advance(1_000);
    }
    const times: number[] = [];
    for (let i = 0; i < appends; i += 1) {
      clock.advance(250);
      const t0 = process.hrtime.bigint();
      outbox.append([draft(clock.now())]);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    if (depth > 0 && outbox.depth() !== depth) throw new Error(`depth ${outbox.depth()} != ${depth}`);
    return { depth, p50Us: Math.round(median(times)), p99Us: Math.round(percentile(times, 99)), maxUs: Math.round(Math.max(...times)) };
  } finally {
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const empty = measure(0);
const full = measure(rows);
report({ appends, empty, full, ratioP50: Math.round((full.p50Us / Math.max(1, empty.p50Us)) * 10) / 10 });
