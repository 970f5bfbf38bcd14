import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation, PresenceEvent } from '@storesense/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { silentLogger } from '../log.js';
import { startAedes, waitFor, type TestBroker } from '../testing/aedes-broker.js';
import { adverts, boutiqueConfig } from '../testing/fixtures.js';
import { TestCloud } from '../testing/test-cloud.js';

/** The value of one sample line (`name{labels} value`), or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('gateway GET /metrics (Prometheus, on the status API)', () => {
  let dir: string;
  let broker: TestBroker;
  let cloud: TestCloud;
  let gw: Gateway | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-metrics-'));
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
  });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await cloud.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exposes sources, pipeline, outbox and uplink figures that agree with health', async () => {
    gw = createGateway(
      boutiqueConfig({
        dataDir: join(dir, 'data'),
        mqtt: { url: broker.url, passwordEnv: 'UNSET_TEST_ENV' },
        uplink: { backlogPerSecond: 500, reconnectMinMs: 50, reconnectMaxMs: 500 },
        statusApi: { host: '127.0.0.1', port: 0 },
        journey: { dwellThresholdMs: 2_000, dwellUpdateMs: 60_000, exitAbsenceMs: 60_000, approachRssiDbm: -85 },
        sources: [{ kind: 'http_observations' }],
      }),
      { logger: silentLogger() },
    );
    const seen: PresenceEvent[] = [];
    gw.onEvent((e) => seen.push(e));
    await gw.start();
    const url = gw.statusUrl()!;
    const t0 = Date.now();
    const plan: Observation[] = [
      ...adverts('shopper', t0, t0 + 1_500, { 'rx-front': -66, 'rx-door': -84 }, 250),
      ...adverts('shopper', t0 + 1_500, t0 + 4_500, { 'rx-front': -88, 'rx-door': -70, 'rx-sales': -58 }, 250),
    ];
    let posted = 0;
    let i = 0;
    while (i < plan.length) {
      const batch: Observation[] = [];
      while (i < plan.length && plan[i]!.at <= Date.now()) batch.push(plan[i++]!);
      if (batch.length > 0) {
        expect((await fetch(`${url}/api/v1/observations`, { method: 'POST', body: batch.map((o) => JSON.stringify(o)).join('\n') })).status).toBe(200);
        posted += batch.length;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await fetch(`${url}/api/v1/observations`, { method: 'POST', body: '{"v":1,"bogus":true}' })).status).toBe(400);
    await waitFor(() => seen.some((e) => e.type === 'arrival'), 15_000, 'arrival');
    await waitFor(() => gw!.health().outbox.depth === 0, 5_000, 'outbox empty after acks');

    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const h = gw.health();
    expect(sample(text, 'storesense_gateway_source_observations_total{source="http_observations"}')).toBe(posted);
    expect(sample(text, 'storesense_gateway_source_rejected_total{source="http_observations"}')).toBe(1);
    expect(sample(text, 'storesense_gateway_source_state{source="http_observations",state="ok"}')).toBe(1);
    expect(sample(text, 'storesense_gateway_source_state{source="http_observations",state="degraded"}')).toBe(0);
    expect(sample(text, 'storesense_gateway_observations_total')).toBe(posted);
    expect(sample(text, 'storesense_gateway_events_stored_total{type="arrival"}')).toBe(1);
    const stored = seen.length;
    expect(sample(text, 'storesense_gateway_uplink_events_acked_total')).toBe(stored);
    expect(sample(text, 'storesense_gateway_uplink_events_published_total{kind="live"}')).toBeGreaterThanOrEqual(stored);
    expect(sample(text, 'storesense_gateway_uplink_connected')).toBe(1);
    expect(sample(text, 'storesense_gateway_outbox_depth')).toBe(0);
    expect(sample(text, 'storesense_gateway_outbox_dropped_total')).toBe(0);
    expect(sample(text, 'storesense_gateway_subjects')).toBe(h.subjects);
    expect(
      sample(
        text,
        `storesense_gateway_info{version="${h.version}",model="rules",model_version="${h.model.version}",classifier_requested="rules",classifier_active="rules"}`,
      ),
    ).toBe(1);
    expect(text).toMatch(/^storesense_gateway_process_resident_memory_bytes \d+/m);
    expect(text).not.toMatch(/shopper/); // subjects never appear in a label

    // A lost broker shows on the next scrape.
    await cloud.close();
    await broker.close();
    let connected: number | undefined = 1;
    for (let k = 0; k < 100 && connected !== 0; k++) {
      await new Promise((r) => setTimeout(r, 50));
      connected = sample(await (await fetch(`${url}/metrics`)).text(), 'storesense_gateway_uplink_connected');
    }
    expect(connected).toBe(0);
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
  }, 30_000);
});
