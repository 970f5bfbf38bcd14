import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeLine, type Observation } from '@storesense/protocol';
import { systemClock } from '../../clock.js';
import { silentLogger } from '../../log.js';
import { waitFor } from '../../testing/aedes-broker.js';
import { ble } from '../../testing/fixtures.js';
import { createReplaySource } from './replay.source.js';

describe('replay source', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
    path = join(dir, 'trace.ndjson');
    const lines = [
      encodeLine({ format: 'storesense-trace', v: 1, siteId: 'test-site', startedAt: 1000 }),
      encodeLine(ble(1000, 'rx-a', 's1', -60)),
      'garbage\n',
      encodeLine(ble(1100, 'rx-a', 's1', -61)),
      encodeLine({ ...ble(1200, 'rx-a', 's1', -62), v: 2 }),
      encodeLine(ble(1300, 'rx-b', 's1', -63)),
    ];
    writeFileSync(path, lines.join(''));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('streams observations, rebases them to now, counts rejected lines', async () => {
    const got: Observation[] = [];
    const t0 = Date.now();
    const src = createReplaySource({ path, speed: 100, rebase: true, loop: false, clock: systemClock, logger: silentLogger() });
    await src.start((obs) => got.push(...obs));
    await waitFor(() => src.health().state === 'stopped', 5_000, 'replay end');
    expect(got).toHaveLength(3);
    expect(got[0]!.at).toBeGreaterThanOrEqual(t0);
    expect(got[2]!.at - got[0]!.at).toBe(3); // 300 ms of trace at speed 100
    expect(src.health()).toMatchObject({ observations: 3, rejected: 2, detail: 'finished' });
  });

  it('keeps trace times without rebase and loops with increasing times', async () => {
    const got: Observation[] = [];
    const src = createReplaySource({ path, speed: 1000, rebase: false, loop: false, clock: systemClock, logger: silentLogger() });
    await src.start((obs) => got.push(...obs));
    await waitFor(() => src.health().state === 'stopped', 5_000, 'replay end');
    expect(got.map((o) => o.at)).toEqual([1000, 1100, 1300]);

    const looped: Observation[] = [];
    const loop = createReplaySource({ path, speed: 1000, rebase: true, loop: true, clock: systemClock, logger: silentLogger() });
    await loop.start((obs) => looped.push(...obs));
    await waitFor(() => looped.length >= 6, 10_000, 'two rounds');
    await loop.stop();
    const ats = looped.map((o) => o.at);
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
    expect(loop.health().state).toBe('stopped');
  });

  it('reports a missing file as unavailable without throwing', async () => {
    const src = createReplaySource({ path: join(dir, 'nope.ndjson'), speed: 1, rebase: true, loop: false, clock: systemClock, logger: silentLogger() });
    await src.start(() => {});
    await waitFor(() => src.health().state === 'unavailable', 5_000, 'unavailable');
    expect(src.health().detail).toMatch(/ENOENT/);
  });
});
