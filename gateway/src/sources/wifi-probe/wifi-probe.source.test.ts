import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { systemClock } from '../../clock.js';
import { silentLogger } from '../../log.js';
import { waitFor } from '../../testing/aedes-broker.js';
import { createWifiProbeSource } from './wifi-probe.source.js';

describe('wifi_probe live capture (a fake tshark child process)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('parses the child stdout lines, and when it exits reports unavailable with stderr and respawns with backoff', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-tshark-'));
    const counter = join(dir, 'runs');
    const bin = join(dir, 'tshark');
    // Prints two probe lines (one bad), complains on stderr and exits 2, like tshark losing its interface.
    writeFileSync(bin, `#!/bin/sh\necho run >> '${counter}'\nprintf '1710505811.048203\\tda:a1:19:e7:55:dc\\t-86\\t2462\\t\\n'\nprintf 'garbage\\n'\necho "capture on mon9 failed" >&2\nexit 2\n`);
    chmodSync(bin, 0o755);
    const got: Observation[] = [];
    const src = createWifiProbeSource({ receiverId: 'rx-front', pepper: 'pepper-0123456789abcdef', clock: systemClock, logger: silentLogger(), live: { interface: 'mon9', tool: 'tshark', toolPath: bin }, retryMinMs: 50, retryMaxMs: 200 });
    await src.start((o) => got.push(...o));
    await waitFor(() => got.length >= 2, 5_000, 'two runs');
    expect(got[0]).toMatchObject({ source: 'wifi', receiverId: 'rx-front', rssiDbm: -86, randomized: true, at: 1710505811048 });
    expect(JSON.stringify(got)).not.toMatch(/da:?a1:?19/i);
    await waitFor(() => src.health().state === 'unavailable', 2_000, 'unavailable');
    expect(src.health().detail).toMatch(/exited \(code 2\).*capture on mon9 failed/);
    expect(src.health().rejected).toBeGreaterThanOrEqual(1);
    src.stop();
    expect(src.health().state).toBe('stopped');
  });

  it('tcpdump is reported unavailable (no line parser yet), without throwing', async () => {
    const src = createWifiProbeSource({ receiverId: 'rx-front', pepper: 'p-0123456789abcdef', clock: systemClock, logger: silentLogger(), live: { interface: 'mon0', tool: 'tcpdump' } });
    await src.start(() => {});
    expect(src.health()).toMatchObject({ state: 'unavailable', detail: expect.stringMatching(/tcpdump/) });
    src.stop();
  });
});
