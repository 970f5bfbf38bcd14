import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '@storesense/firmware-config';
import { memberToken, topics, type PresenceEvent } from '@storesense/protocol';
import { createGateway, type Gateway } from '../app.js';
import { PEPPER_FILE } from '../identity/site-pepper.js';
import { createLogger, silentLogger } from '../log.js';
import { startAedes, waitFor, type TestBroker } from '../testing/aedes-broker.js';
import { boutiqueConfig, ble } from '../testing/fixtures.js';
import { FakeNoble } from '../testing/fake-noble.js';
import { TestCloud } from '../testing/test-cloud.js';
import { decodeProbeCapture } from './wifi-probe/probe-capture.decode.js';
import { sharedFiles } from '@storesense/protocol/testing';

const {
  paths: [ESPRESENSE = '', MERAKI_V2 = '', PCAP = ''],
  skip: noShared,
} = sharedFiles(
  ['fixtures/espresense/stationary-watch-10-rooms.jsonp', 'fixtures/meraki/v2.0-devices-seen-wifi.json', 'fixtures/wifi-probes/lab-position1-2024-03-15.pcap'],
  'the real-capture source tests',
);
const MERAKI_V3 = new URL('../../fixtures/meraki/v3-wifi-strings.json', import.meta.url);
const shared = !noShared;

const PEPPER = 'test-pepper-0123456789abcdef';

describe('real sources wired into the gateway (real broker, HTTP, files)', () => {
  let dir: string;
  let broker: TestBroker;
  let gw: Gateway | undefined;
  const config = (over: Partial<GatewayConfigInput> = {}) =>
    boutiqueConfig({
      dataDir: join(dir, 'data'),
      mqtt: { url: broker.url, passwordEnv: 'UNSET_TEST_ENV' },
      statusApi: { host: '127.0.0.1', port: 0 },
      identity: { pepperEnv: 'UNSET_PEPPER_ENV', pepper: PEPPER },
      ...over,
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-sources-'));
    broker = await startAedes();
  });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!shared)('espresense: the real capture lines published to a broker become observations and a tracked subject', async () => {
    const rooms = {
      basement: 'rx-front',
      garage: 'rx-front',
      laundry: 'rx-door',
      bathroom: 'rx-door',
      dining: 'rx-sales',
      family: 'rx-sales',
      master: 'rx-sales',
      office: 'rx-till',
      office_alt: 'rx-till',
      upstairs_hallway: 'rx-sales',
    };
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    gw = createGateway(config({ sources: [{ kind: 'espresense', url: broker.url, rooms }] }), {
      logger: createLogger({ level: 'debug' }, sink),
      uplink: false,
    });
    await gw.start();
    await waitFor(() => gw!.health().sources['espresense']?.state === 'ok', 10_000, 'espresense connected');
    const lines = readFileSync(ESPRESENSE, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const client = await mqtt.connectAsync(broker.url, { clientId: 'espresense-node-sim' });
    for (const line of lines) {
      const m = JSON.parse(line) as { topic: string; payload: unknown };
      await client.publishAsync(m.topic, JSON.stringify(m.payload));
    }
    await client.endAsync();
    await waitFor(() => (gw!.health().sources['espresense']?.observations ?? 0) >= lines.length - 5, 10_000, 'espresense observations');
    const h = gw.health();
    expect(h.sources['espresense']).toMatchObject({ state: 'ok' });
    expect(h.sources['espresense']!.observations + h.sources['espresense']!.rejected).toBe(lines.length);
    await waitFor(() => gw!.health().subjects >= 1, 5_000, 'a tracked subject');
    // The watch's MAC (payload `mac`) and its ESPresense id never reach a log line.
    expect(logLines.join('')).not.toMatch(/58b1294494d3|58:b1:29|watch:darrell/i);
  });

  it.skipIf(!shared)('meraki: validator on GET, real v2 body and a v3 body on POST become observations; a wrong secret is 403', async () => {
    gw = createGateway(config({ sources: [{ kind: 'meraki', validator: 'abc123validator', apReceivers: { '00:18:0a:13:dd:b0': 'rx-sales' } }] }), {
      logger: silentLogger(),
      uplink: false,
      env: { STORESENSE_MERAKI_SECRET: 'testing123' },
    });
    await gw.start();
    const url = gw.statusUrl()!;
    const get = await fetch(`${url}/api/v1/meraki`);
    expect(await get.text()).toBe('abc123validator');
    const v2 = await fetch(`${url}/api/v1/meraki`, { method: 'POST', body: readFileSync(MERAKI_V2, 'utf8'), headers: { 'content-type': 'application/json' } });
    expect(v2.status).toBe(200);
    const v2Body = (await v2.json()) as { accepted: number };
    expect(v2Body.accepted).toBeGreaterThan(0);
    // The v3 fixture has its own secret: re-sign it with ours (the shape is what matters here).
    const v3 = JSON.parse(readFileSync(MERAKI_V3, 'utf8')) as Record<string, unknown>;
    const bad = await fetch(`${url}/api/v1/meraki`, { method: 'POST', body: JSON.stringify(v3) });
    expect(bad.status).toBe(403);
    const good = await fetch(`${url}/api/v1/meraki`, { method: 'POST', body: JSON.stringify({ ...v3, secret: 'testing123' }) });
    expect(good.status).toBe(200);
    const v3Body = (await good.json()) as { accepted: number };
    expect(v3Body.accepted).toBeGreaterThan(0);
    expect(gw.health().sources['meraki']).toMatchObject({ state: 'ok', observations: v2Body.accepted + v3Body.accepted });
  });

  it.skipIf(!shared)('wifi_probe: the real pcap replayed fast becomes observations; no raw MAC in the outbox files or the logs', async () => {
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger({ level: 'debug' }, sink);
    // No pepper configured: the gateway generates one, keeps it 0600 in the data dir and never logs it.
    const cfg = config({
      identity: { pepperEnv: 'UNSET_PEPPER_ENV' },
      sources: [{ kind: 'wifi_probe', receiverId: 'rx-front', pcap: PCAP, speed: 100_000 }, { kind: 'http_observations' }],
    });
    gw = createGateway(cfg, { logger, uplink: false });
    await gw.start();
    const decoded = decodeProbeCapture(readFileSync(PCAP));
    if (!decoded.ok) throw new Error(decoded.reason);
    const macs = new Set(decoded.value.frames.flatMap((f) => ('probe' in f ? [f.probe.sourceMac] : [])));
    expect(macs.size).toBeGreaterThan(3);
    await waitFor(() => gw!.health().sources['wifi_probe']?.detail === 'pcap replay finished', 20_000, 'pcap replay finished');
    const h = gw.health().sources['wifi_probe']!;
    expect(h.observations).toBeGreaterThan(0);
    // A BLE shopper through HTTP too, so the outbox holds events beside the probe subjects.
    const t0 = Date.now();
    await fetch(`${gw.statusUrl()}/api/v1/observations`, {
      method: 'POST',
      body: JSON.stringify([ble(t0 - 500, 'rx-front', 'shopper', -60), ble(t0, 'rx-front', 'shopper', -60)]),
    });
    await new Promise((r) => setTimeout(r, 600));
    await gw.stop();
    gw = undefined;
    const pepperFile = join(cfg.dataDir, PEPPER_FILE);
    expect(statSync(pepperFile).mode & 0o777).toBe(0o600);
    const pepper = readFileSync(pepperFile, 'utf8').trim();
    const logText = logLines.join('');
    expect(logText).toContain('generated one');
    expect(logText).not.toContain(pepper);
    const files = readdirSync(cfg.dataDir)
      .filter((f) => f.startsWith('outbox'))
      .map((f) => readFileSync(join(cfg.dataDir, f)).toString('latin1').toLowerCase());
    const colon = (m: string) => m.match(/../g)!.join(':');
    for (const mac of macs) {
      for (const form of [mac, colon(mac), colon(mac).replace(/:/g, '-')]) {
        expect(logText.toLowerCase()).not.toContain(form);
        for (const f of files) expect(f.includes(form), `raw MAC in an outbox file`).toBe(false);
      }
    }
  });

  it('ble (noble missing) and wifi_probe live (tool missing) are reported unavailable; http observations still flow', async () => {
    gw = createGateway(
      config({
        sources: [
          { kind: 'ble', receiverId: 'rx-door' },
          { kind: 'wifi_probe', receiverId: 'rx-front', interface: 'mon-none0', tool: 'tshark', toolPath: join(dir, 'no-such-tshark') },
          { kind: 'http_observations' },
        ],
      }),
      { logger: silentLogger(), uplink: false },
    );
    await gw.start();
    await waitFor(() => gw!.health().sources['wifi_probe']?.state === 'unavailable', 5_000, 'wifi unavailable');
    const h = gw.health();
    expect(h.sources['ble']).toMatchObject({ state: 'unavailable' });
    expect(h.sources['ble']!.detail).toMatch(/noble/);
    expect(h.sources['wifi_probe']!.detail).toMatch(/no-such-tshark.*ENOENT/);
    const t0 = Date.now();
    const res = await fetch(`${gw.statusUrl()}/api/v1/observations`, { method: 'POST', body: JSON.stringify([ble(t0, 'rx-front', 'shopper', -60)]) });
    expect(await res.json()).toEqual({ accepted: 1 });
    expect(gw.health().sources['http_observations']).toMatchObject({ state: 'ok', observations: 1 });
  });

  it('ble with a fake noble: Eddystone-EID adverts of a member phone give an event with the member resolved from the retained keys', async () => {
    const KEY = 'aabbccddeeff00112233445566778899';
    const cfg = config({ sources: [{ kind: 'ble', receiverId: 'rx-front' }] });
    const cloud = await TestCloud.connect(broker.url);
    try {
      await cloud.publish(
        topics.memberKeys(cfg.siteId, cfg.gatewayId),
        JSON.stringify({ v: 1, at: Date.now(), periodMs: cfg.memberTokens.periodMs, members: [{ memberId: 'M042', key: KEY }] }),
        true,
      );
      const noble = new FakeNoble();
      gw = createGateway(cfg, { logger: silentLogger(), noble: async () => noble });
      const events: PresenceEvent[] = [];
      gw.onEvent((e) => events.push(e));
      await gw.start();
      noble.powerOn();
      await waitFor(() => gw!.health().sources['ble']?.state === 'ok', 5_000, 'ble scanning');
      // A member phone in front of the store (storefront receiver), advertising every 100 ms.
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.subject.memberId === 'M042') && Date.now() < deadline) {
        const at = Date.now();
        const hex = memberToken(KEY, at, cfg.memberTokens.periodMs);
        noble.emit('discover', {
          address: '5e:00:11:22:33:44',
          rssi: -58,
          advertisement: {
            serviceUuids: ['feaa'],
            serviceData: [{ uuid: 'feaa', data: Uint8Array.from(('30f6' + hex).match(/../g)!.map((b) => Number.parseInt(b, 16))) }],
          },
        });
        await new Promise((r) => setTimeout(r, 100));
      }
      const e = events.find((x) => x.subject.memberId === 'M042');
      expect(e, 'an event carrying the member').toBeDefined();
      expect(e!.subject.id).toMatch(/^s_[0-9a-f]{16}$/);
      expect(gw.health().sources['ble']!.observations).toBeGreaterThan(0);
    } finally {
      await gw?.stop();
      gw = undefined;
      await cloud.close();
    }
  }, 20_000);
});
