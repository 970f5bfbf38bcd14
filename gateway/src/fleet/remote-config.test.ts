import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayConfig, GatewayConfigInput } from '@storesense/firmware-config';
import { codecs, topics, type ConfigResult, type RemoteConfig } from '@storesense/protocol';
import { createGateway, type Gateway } from '../app.js';
import { silentLogger } from '../log.js';
import { startAedes, waitFor, type TestBroker } from '../testing/aedes-broker.js';
import { boutiqueConfig } from '../testing/fixtures.js';
import { APPLIED_FILE, diffConfig, withAppliedConfig } from './remote-config.js';

/** A config message as the cloud sends it: the rendered config (no local keys needed) with its digest. */
function message(config: Record<string, unknown>, version: number): RemoteConfig {
  const sha256 = createHash('sha256').update(JSON.stringify(config)).digest('hex');
  return { v: 1, version, sha256, issuedAt: 1, config };
}

/** What the cloud would render: the config without the gateway's local keys. */
function remote(c: GatewayConfig): Record<string, unknown> {
  const { mqtt: _m, dataDir: _d, identity: _i, ...rest } = c;
  return { ...rest, mqtt: { url: 'mqtt://cloud.example:1883' } };
}

describe('remote configuration on the gateway (decision 131)', () => {
  let dir: string;
  let gw: Gateway | undefined;
  const config = (over: Partial<GatewayConfigInput> = {}) =>
    boutiqueConfig({
      dataDir: join(dir, 'data'),
      statusApi: { host: '127.0.0.1', port: 0 },
      mqtt: { url: 'mqtt://127.0.0.1:9', passwordEnv: 'UNSET_TEST_ENV' },
      ...over,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-remote-config-'));
  });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a source live without restarting the others, refuses a bad config with its reasons, and keeps the last good one across a restart', async () => {
    const base = config({ sources: [{ kind: 'http_observations' }] });
    gw = createGateway(base, { logger: silentLogger(), uplink: false, wifi: false });
    await gw.start();
    const url = gw.statusUrl();
    expect(gw.health().config).toEqual({ version: 0 });

    // v1 adds a second source: the http source (and its status API) keep running on the same port.
    const v1 = remote({ ...base, sources: [...base.sources, { kind: 'mqtt_observations' }] } as GatewayConfig);
    const r1 = await gw.applyRemoteConfig(message(v1, 1));
    expect(r1).toMatchObject({ version: 1, status: 'applied', restarted: ['mqtt_observations'] });
    expect(Object.keys(gw.health().sources).sort()).toEqual(['http_observations', 'mqtt_observations']);
    expect(gw.statusUrl()).toBe(url);
    // Local keys never come from the cloud.
    expect(gw.currentConfig().mqtt.url).toBe('mqtt://127.0.0.1:9');
    expect(gw.health().config).toMatchObject({ version: 1, sha256: message(v1, 1).sha256 });
    expect((await gw.applyRemoteConfig(message(v1, 1))).status).toBe('unchanged');

    // Invalid: refused with every reason; the running config stays.
    const bad = await gw.applyRemoteConfig(message({ ...v1, tickMs: 1, receivers: 'none' }, 2));
    expect(bad.status).toBe('refused');
    expect(bad.reasons.join('\n')).toMatch(/tickMs/);
    expect(bad.reasons.join('\n')).toMatch(/receivers/);
    expect(gw.currentConfig().tickMs).toBe(base.tickMs);
    expect(gw.health().config).toMatchObject({ version: 1, refused: { version: 2 } });
    expect((await gw.applyRemoteConfig(message({ ...v1, gatewayId: 'someone-else' }, 3))).reasons[0]).toMatch(/this gateway is test-site\.gw1/);
    // A tampered body fails its digest.
    expect((await gw.applyRemoteConfig({ ...message(v1, 4), config: { ...v1, tickMs: 500 } })).reasons[0]).toMatch(/^sha256/);

    // A site change (journey settings) rebuilds the pipeline, leaving the sources alone.
    const v5 = { ...v1, journey: { ...base.journey, exitAbsenceMs: base.journey.exitAbsenceMs + 1_000 } };
    expect(await gw.applyRemoteConfig(message(v5, 5))).toMatchObject({ status: 'applied', restarted: ['pipeline'] });

    // The last good config is on disk and runs over the file's config at the next start.
    await gw.stop();
    expect(existsSync(join(base.dataDir, APPLIED_FILE))).toBe(true);
    expect(readFileSync(join(base.dataDir, APPLIED_FILE), 'utf8')).not.toContain('UNSET_TEST_ENV');
    const restored = withAppliedConfig(base);
    expect(restored.applied?.version).toBe(5);
    expect(restored.config.sources.map((s) => s.kind)).toEqual(['http_observations', 'mqtt_observations']);
    expect(restored.config.journey.exitAbsenceMs).toBe(base.journey.exitAbsenceMs + 1_000);
    expect(restored.config.dataDir).toBe(base.dataDir);
  });

  it('restarts only the sources whose settings changed', () => {
    const a = config({ sources: [{ kind: 'http_observations' }, { kind: 'replay', path: 'a.ndjson' }, { kind: 'mqtt_observations' }] });
    const b = config({ sources: [{ kind: 'mqtt_observations' }, { kind: 'replay', path: 'b.ndjson' }, { kind: 'http_observations' }] });
    const d = diffConfig(a, b);
    expect([...d.kept.entries()]).toEqual([
      [0, 2],
      [2, 0],
    ]);
    expect(d).toMatchObject({ stop: [1], start: [1], pipeline: false, tick: false });
    expect(diffConfig(a, config({ ...a, tickMs: 500 }))).toMatchObject({ tick: true, pipeline: false, stop: [], start: [] });
  });

  describe('over MQTT', () => {
    let broker: TestBroker;
    beforeEach(async () => {
      broker = await startAedes();
    });
    afterEach(async () => {
      await gw?.stop();
      gw = undefined;
      await broker.close();
    });

    it('applies the retained config it finds on connect and answers on response/config', async () => {
      const base = config({
        mqtt: { url: broker.url, passwordEnv: 'UNSET_TEST_ENV' },
        uplink: { backlogPerSecond: 500, reconnectMinMs: 50, reconnectMaxMs: 500 },
      });
      const cloud = await mqtt.connectAsync(broker.url, { clientId: 'cloud-test', reconnectPeriod: 0 });
      const results: ConfigResult[] = [];
      cloud.on('message', (topic, payload) => {
        const r = codecs.configResult.decode(payload);
        if (topic === topics.response(base.siteId, base.gatewayId, 'config') && r.ok) results.push(r.value);
      });
      await cloud.subscribeAsync(topics.response(base.siteId, base.gatewayId, 'config'), { qos: 1 });
      try {
        const v1 = remote({ ...base, sources: [{ kind: 'http_observations' }] } as GatewayConfig);
        await cloud.publishAsync(topics.config(base.siteId, base.gatewayId), codecs.remoteConfig.encode(message(v1, 7)), { qos: 1, retain: true });
        gw = createGateway(base, { logger: silentLogger(), wifi: false });
        await gw.start();
        await waitFor(() => results.length > 0, 5_000, 'config result');
        expect(results[0]).toMatchObject({ version: 7, status: 'applied', restarted: ['http_observations', 'status-api'] });
        expect(gw.health().config?.version).toBe(7);
        // A garbage message on the topic is ignored; the running config stays.
        await cloud.publishAsync(topics.config(base.siteId, base.gatewayId), Buffer.from('{"v":1}'), { qos: 1 });
        await new Promise((r) => setTimeout(r, 200));
        expect(gw.health().config?.version).toBe(7);
      } finally {
        await cloud.endAsync(true);
      }
    });
  });
});
