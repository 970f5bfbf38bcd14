import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTrace } from '@storesense/protocol';
import { createGateway, type Gateway } from '../app.js';
import { silentLogger } from '../log.js';
import { ble, boutiqueConfig } from '../testing/fixtures.js';

describe('a running gateway with config "record"', () => {
  let dir: string | undefined;
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every observation it ingests (status API http_observations here) to a trace file, closed on stop', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-record-'));
    const traces = join(dir, 'traces');
    gw = createGateway(boutiqueConfig({ dataDir: dir, record: { dir: traces, maxBytes: 4096 }, sources: [{ kind: 'http_observations' }] }), {
      logger: silentLogger(),
      uplink: false,
    });
    await gw.start();
    const t0 = Date.now();
    const body = [ble(t0 - 1_000, 'rx-front', 'shopper', -60), ble(t0 - 500, 'rx-door', 'shopper', -55), ble(t0, 'rx-sales', 'shopper', -50)]
      .map((o) => JSON.stringify(o))
      .join('\n');
    expect((await fetch(`${gw.statusUrl()}/api/v1/observations`, { method: 'POST', body })).status).toBe(200);
    await gw.stop();
    gw = undefined;
    const files = readdirSync(traces);
    expect(files).toHaveLength(1);
    const parsed = parseTrace(readFileSync(join(traces, files[0]!), 'utf8'));
    expect(parsed.ok && parsed.value.header).toMatchObject({ siteId: 'test-site', startedAt: t0 - 1_000 });
    expect(parsed.ok && parsed.value.records.map((o) => o.receiverId)).toEqual(['rx-front', 'rx-door', 'rx-sales']);
  });
});
