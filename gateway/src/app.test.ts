import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics, type Observation, type PresenceEvent } from '@storesense/protocol';
import type { GatewayConfigInput } from '@storesense/firmware-config';
import { createGateway, type Gateway } from './app.js';
import { ClassifierUnavailableError } from './classify/create-classifier.js';
import { RULES_CLASSIFIER_VERSION } from './classify/rules.classifier.js';
import { silentLogger } from './log.js';
import type { Source } from './sources/source.js';
import { startAedes, waitFor, type TestBroker } from './testing/aedes-broker.js';
import { adverts, ble, boutiqueConfig } from './testing/fixtures.js';
import { TestCloud } from './testing/test-cloud.js';

describe('createGateway (real broker, real HTTP, real SQLite file)', () => {
  let dir: string;
  let broker: TestBroker;
  let cloud: TestCloud;
  let gw: Gateway | undefined;

  const config = (over: Partial<GatewayConfigInput> = {}) =>
    boutiqueConfig({
      dataDir: join(dir, 'data'),
      mqtt: { url: broker.url, passwordEnv: 'UNSET_TEST_ENV' },
      uplink: { backlogPerSecond: 500, reconnectMinMs: 50, reconnectMaxMs: 500 },
      statusApi: { host: '127.0.0.1', port: 0 },
      journey: { dwellThresholdMs: 2_000, dwellUpdateMs: 60_000, exitAbsenceMs: 3_000, approachRssiDbm: -85 },
      ...over,
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-app-'));
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

  it('turns observations POSTed over HTTP into events that reach the cloud and leave the outbox on ack', async () => {
    gw = createGateway(config({ sources: [{ kind: 'http_observations' }] }), { logger: silentLogger() });
    const seen: PresenceEvent[] = [];
    gw.onEvent((e) => seen.push(e));
    await gw.start();
    const url = gw.statusUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // Real time: outside 1.5 s, inside 3 s (with a POS sale), then silence.
    const t0 = Date.now();
    const plan: Observation[] = [
      ...adverts('shopper', t0, t0 + 1_500, { 'rx-front': -66, 'rx-door': -84 }, 250),
      ...adverts('shopper', t0 + 1_500, t0 + 4_500, { 'rx-front': -88, 'rx-door': -70, 'rx-sales': -58 }, 250),
      {
        v: 1,
        at: t0 + 3_000,
        source: 'terminal',
        receiverId: 'pos-1',
        subject: 't_pos-1_1',
        terminal: { kind: 'pos', action: 'purchase', amount: 10 },
      } as Observation,
    ].sort((a, b) => a.at - b.at);
    let i = 0;
    while (i < plan.length) {
      const batch: Observation[] = [];
      while (i < plan.length && plan[i]!.at <= Date.now()) batch.push(plan[i++]!);
      if (batch.length > 0) {
        const res = await fetch(`${url}/api/v1/observations`, { method: 'POST', body: batch.map((o) => JSON.stringify(o)).join('\n') });
        expect(res.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => seen.some((e) => e.type === 'exit'), 15_000, 'exit event');
    expect(seen.map((e) => e.type).sort()).toEqual(['approach', 'arrival', 'dwell', 'dwell', 'exit', 'purchase']);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, k) => k + 1));
    await waitFor(() => gw!.health().outbox.depth === 0, 5_000, 'outbox empty after acks');
    expect([...cloud.uniqueIds()].sort()).toEqual(seen.map((e) => e.id).sort());
    const h = gw.health();
    expect(h.sources['http_observations']).toMatchObject({ state: 'ok', rejected: 0 });
    expect(h.model).toEqual({ name: 'rules', version: RULES_CLASSIFIER_VERSION });
    const res = await fetch(`${url}/api/v1/health`);
    expect(((await res.json()) as { v: number }).v).toBe(1);
    await gw.stop();
    gw = undefined;
    await waitFor(() => cloud.conn.at(-1)?.state === 'offline', 5_000, 'offline after stop');
  }, 30_000);

  it('ingests observations from the mqtt_observations source and counts rejects', async () => {
    const c = config({ sources: [{ kind: 'mqtt_observations' }] });
    gw = createGateway(c, { logger: silentLogger() });
    await gw.start();
    await waitFor(() => gw!.health().sources['mqtt_observations']?.state === 'ok', 5_000, 'source connected');
    const now = Date.now();
    await cloud.publish(topics.observations(c.siteId, c.gatewayId), JSON.stringify([ble(now, 'rx-front', 'p', -70), { v: 1, bogus: true }]));
    await cloud.publish(topics.observations(c.siteId, c.gatewayId), JSON.stringify(ble(now + 10, 'rx-front', 'p', -70)));
    await cloud.publish(topics.observations(c.siteId, c.gatewayId), 'not json at all');
    await waitFor(() => (gw!.health().sources['mqtt_observations']?.rejected ?? 0) >= 2, 5_000, 'rejects counted');
    expect(gw.health().sources['mqtt_observations']).toMatchObject({ observations: 2, rejected: 2 });
    expect(gw.health().subjects).toBe(1);
  });

  it('keeps running when a source fails to start, and drops invalid direct observations', async () => {
    const broken: Source = {
      name: 'broken',
      start: () => {
        throw new Error('no such device');
      },
      stop: () => {},
      health: () => ({ state: 'stopped', observations: 0, rejected: 0 }),
    };
    gw = createGateway(config(), { logger: silentLogger(), sources: [broken] });
    await gw.start();
    expect(gw.health().sources['broken']).toMatchObject({ state: 'unavailable', detail: 'no such device' });
    gw.ingest([ble(Date.now(), 'rx-front', 'p', -70), { v: 1 } as unknown as Observation, ble(Date.now() + 3_600_000, 'rx-front', 'q', -70)]);
    expect(gw.health().sources['direct']).toMatchObject({ rejected: 2 });
    expect(gw.health().subjects).toBe(1);
  });

  it('runs a configured replay source (rebased to now) through to events', async () => {
    const t0 = 1_700_000_000_000;
    const obs = [
      ...adverts('walker', t0, t0 + 3_000, { 'rx-front': -62, 'rx-door': -85 }, 250),
      ...adverts('walker', t0 + 3_000, t0 + 8_000, { 'rx-front': -86, 'rx-door': -64, 'rx-sales': -60 }, 250),
    ];
    const tracePath = join(dir, 'trace.ndjson');
    writeFileSync(
      tracePath,
      [JSON.stringify({ format: 'storesense-trace', v: 1, siteId: 'test-site', startedAt: t0 }), ...obs.map((o) => JSON.stringify(o)), 'not json'].join('\n'),
    );
    gw = createGateway(config({ sources: [{ kind: 'replay', path: tracePath, speed: 2, rebase: true, loop: false }] }), { logger: silentLogger() });
    const seen: PresenceEvent[] = [];
    gw.onEvent((e) => seen.push(e));
    const startedAt = Date.now();
    await gw.start();
    await waitFor(() => seen.some((e) => e.type === 'arrival'), 10_000, 'arrival from the replay');
    expect(seen.map((e) => e.type).slice(0, 2)).toEqual(['approach', 'arrival']);
    expect(seen[0]!.at).toBeGreaterThanOrEqual(startedAt - 2_000);
    await waitFor(() => gw!.health().sources['replay']?.detail === 'finished', 10_000, 'replay finished');
    expect(gw.health().sources['replay']).toMatchObject({ rejected: 1, observations: obs.length });
  }, 30_000);

  it('answers health() after stop with the outbox figures read before closing, and again after a restart', async () => {
    // No uplink: events stay in the outbox, so its depth is worth reporting.
    gw = createGateway(config(), { logger: silentLogger(), uplink: false });
    const seen: PresenceEvent[] = [];
    gw.onEvent((e) => seen.push(e));
    await gw.start();
    const t0 = Date.now();
    while (!seen.some((e) => e.type === 'approach') && Date.now() - t0 < 10_000) {
      gw.ingest([ble(Date.now(), 'rx-front', 'walker', -62), ble(Date.now(), 'rx-door', 'walker', -85)]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.map((e) => e.type)).toContain('approach');
    await gw.stop();
    const stopped = gw.health(); // used to throw "The database connection is not open"
    expect(stopped.outbox.depth).toBe(seen.length);
    expect(stopped.outbox.oldestUnsentAgeMs).toBeGreaterThanOrEqual(0);
    expect(gw.health().outbox.depth).toBe(seen.length); // stable on repeated calls
    await gw.start();
    expect(gw.health().outbox.depth).toBe(seen.length); // the rows were kept in the file
  }, 20_000);

  it('refuses the onnx classifier clearly until it exists', () => {
    expect(() => createGateway(config({ classifier: { kind: 'onnx', modelPath: 'm.onnx' } }), { logger: silentLogger() })).toThrow(ClassifierUnavailableError);
  });
});
