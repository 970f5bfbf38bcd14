import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayHealth } from '@storesense/protocol';
import { memberKeysSchema, topics } from '@storesense/protocol';
import { systemClock } from '../clock.js';
import { createLogger, silentLogger, type Logger } from '../log.js';
import { SqliteOutbox } from '../store/outbox.sqlite.js';
import { startAedes, startProxy, waitFor, type TestBroker } from '../testing/aedes-broker.js';
import { boutiqueConfig, draft } from '../testing/fixtures.js';
import { TestCloud } from '../testing/test-cloud.js';
import { MqttUplink } from './mqtt.uplink.js';

const health = (): GatewayHealth => ({
  v: 1,
  at: Date.now(),
  version: 't',
  sources: {},
  outbox: { depth: 0, dropped: 0 },
  model: { name: 'rules', version: '1' },
  subjects: 0,
});

describe('MqttUplink against a real aedes broker', () => {
  let dir: string;
  let broker: TestBroker | undefined;
  let cloud: TestCloud | undefined;
  let uplink: MqttUplink | undefined;
  let outbox: SqliteOutbox;

  const makeUplink = (url: string, over: { password?: string; logger?: Logger; ackTimeoutMs?: number; onMemberKeys?: (p: unknown) => void } = {}) => {
    const config = boutiqueConfig({ mqtt: { url, passwordEnv: 'UNSET_TEST_ENV' }, uplink: { backlogPerSecond: 200, reconnectMinMs: 50, reconnectMaxMs: 300 } });
    uplink = new MqttUplink({
      config,
      outbox,
      clock: systemClock,
      logger: over.logger ?? silentLogger(),
      password: over.password,
      health,
      healthIntervalMs: 200,
      ackTimeoutMs: over.ackTimeoutMs ?? 15_000,
      ...(over.onMemberKeys ? { onMemberKeys: over.onMemberKeys } : {}),
    });
    uplink.start();
    return uplink;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uplink-'));
    outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxRows: 10_000, maxAgeMs: 3_600_000, clock: systemClock, logger: silentLogger() });
  });
  afterEach(async () => {
    await uplink?.stop();
    uplink = undefined;
    await cloud?.close();
    cloud = undefined;
    await broker?.close();
    broker = undefined;
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes live events, deletes them only on application ack, and announces online + health', async () => {
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    const up = makeUplink(broker.url);
    await waitFor(() => up.connected, 5_000, 'connect');
    const stored = outbox.append([draft(1), draft(2), draft(3)]);
    up.publishLive(stored);
    await waitFor(() => outbox.depth() === 0, 5_000, 'outbox to empty');
    expect([...cloud.uniqueIds()].sort()).toEqual(stored.map((e) => e.id).sort());
    expect(cloud.events.map((e) => e.seq).sort()).toEqual([1, 2, 3]);
    await waitFor(() => cloud!.conn.some((c) => c.state === 'online') && cloud!.healthCount > 0, 5_000, 'online + health');
    expect(up.status().acked).toBe(3);
  });

  it('deletes rows the cloud refused for good (ack rejected: bad time, reused id) and counts them; they are not resent', async () => {
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    cloud.acking = false;
    const up = makeUplink(broker.url, { ackTimeoutMs: 300 });
    await waitFor(() => up.connected, 5_000, 'connect');
    const [a, b] = outbox.append([draft(1), draft(2)]);
    up.publishLive([a!, b!]);
    await waitFor(() => cloud!.events.length >= 2, 5_000, 'both published');
    await cloud.publish(
      topics.ack('test-site', 'gw1'),
      JSON.stringify({ v: 1, at: 1, ids: [b!.id], rejected: [{ id: a!.id, reason: 'event time is 9e12 s ahead of the cloud clock' }] }),
    );
    await waitFor(() => outbox.depth() === 0, 5_000, 'both rows gone');
    expect(up.status()).toMatchObject({ acked: 1, rejectedByCloud: 1 });
  });

  it('keeps rows without an ack and republishes them after the ack timeout', async () => {
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    cloud.acking = false;
    const up = makeUplink(broker.url, { ackTimeoutMs: 300 });
    await waitFor(() => up.connected, 5_000, 'connect');
    up.publishLive(outbox.append([draft(1)]));
    await waitFor(() => cloud!.events.length >= 2, 5_000, 'a republish');
    expect(outbox.depth()).toBe(1);
    cloud.acking = true;
    await waitFor(() => outbox.depth() === 0, 5_000, 'ack after republish');
    expect(cloud.uniqueIds().size).toBe(1);
  });

  it('replays a backlog stored while offline, rate-limited, once connected', async () => {
    broker = await startAedes();
    const port = broker.port;
    await broker.close();
    broker = undefined;
    const up = makeUplink(`mqtt://127.0.0.1:${port}`);
    outbox.append(Array.from({ length: 60 }, (_, i) => draft(i + 1)));
    await new Promise((r) => setTimeout(r, 150));
    expect(up.connected).toBe(false);
    broker = await startAedes({ port });
    cloud = await TestCloud.connect(broker.url);
    await waitFor(() => outbox.depth() === 0, 10_000, 'backlog drained');
    expect(cloud.uniqueIds().size).toBe(60);
    expect(up.status().publishedBacklog).toBeGreaterThanOrEqual(60);
  });

  it('republishes unacked rows after the broker restarts', async () => {
    broker = await startAedes();
    const port = broker.port;
    cloud = await TestCloud.connect(broker.url);
    cloud.acking = false;
    const up = makeUplink(broker.url);
    await waitFor(() => up.connected, 5_000, 'connect');
    up.publishLive(outbox.append([draft(1), draft(2)]));
    await waitFor(() => cloud!.events.length >= 2, 5_000, 'first delivery');
    await cloud.close();
    await broker.close();
    await waitFor(() => !up.connected, 5_000, 'disconnect');
    expect(outbox.depth()).toBe(2);
    broker = await startAedes({ port });
    cloud = await TestCloud.connect(broker.url);
    await waitFor(() => outbox.depth() === 0, 10_000, 'republished and acked after restart');
    expect(cloud.uniqueIds().size).toBe(2);
  });

  it('the broker publishes the offline last will when the gateway dies; a clean stop publishes offline itself', async () => {
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    const proxy = await startProxy(broker.port);
    const up = makeUplink(`mqtt://127.0.0.1:${proxy.port}`);
    await waitFor(() => cloud!.conn.some((c) => c.state === 'online'), 5_000, 'online');
    await proxy.close(); // the gateway's link dies without DISCONNECT and cannot come back
    await waitFor(() => cloud!.conn.at(-1)?.state === 'offline', 5_000, 'last will');
    await up.kill();
    uplink = undefined;

    const up2 = makeUplink(broker.url);
    await waitFor(() => cloud!.conn.at(-1)?.state === 'online', 5_000, 'online again');
    await up2.stop();
    uplink = undefined;
    await waitFor(() => cloud!.conn.at(-1)?.state === 'offline', 5_000, 'offline on stop');
  });

  it('retries a refused login without crashing and never logs the password', async () => {
    broker = await startAedes({ password: 'right-secret' });
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'debug' },
      new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    );
    const up = makeUplink(broker.url, { password: 'wrong-secret', logger });
    await waitFor(() => up.status().connection.failures >= 3, 10_000, 'several refused attempts');
    expect(up.connected).toBe(false);
    expect(up.status().connection.lastError).toMatch(/refused|auth|password/i);
    const text = lines.join('');
    expect(text).toContain('mqtt connection error');
    expect(text).not.toContain('wrong-secret');
    await up.stop();
    uplink = undefined;
    const ok = makeUplink(broker.url, { password: 'right-secret' });
    await waitFor(() => ok.connected, 5_000, 'connect with the right password');
  });

  it('hands retained member keys to the resolver hook and ignores garbage acks', async () => {
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    const config = boutiqueConfig();
    const keys = { v: 1, at: 1, periodMs: 900_000, members: [{ memberId: 'm-1', key: '00112233445566778899aabbccddeeff' }] };
    await cloud.publish(topics.memberKeys(config.siteId, config.gatewayId), JSON.stringify(keys), true);
    let got: unknown;
    const up = makeUplink(broker.url, { onMemberKeys: (p) => (got = p) });
    await waitFor(() => got !== undefined, 5_000, 'member keys');
    expect(memberKeysSchema.parse(got).members[0]!.memberId).toBe('m-1');
    await cloud.publish(topics.ack(config.siteId, config.gatewayId), 'not json');
    await cloud.publish(topics.ack(config.siteId, config.gatewayId), JSON.stringify({ v: 1, at: 1, ids: 'x' }));
    await waitFor(() => up.status().badAcks === 2, 5_000, 'bad acks counted');
    expect(up.connected).toBe(true);
  });

  it('answers commands on response/{name}: ping, unknown, and ignores garbage', async () => {
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    const config = boutiqueConfig();
    const up = makeUplink(broker.url);
    await waitFor(() => up.connected, 5_000, 'connect');
    await new Promise((r) => setTimeout(r, 100)); // subscriptions settle after CONNACK
    await cloud.publish(topics.command(config.siteId, config.gatewayId, 'ping'), 'garbage');
    await cloud.publish(topics.command(config.siteId, config.gatewayId, 'ping'), JSON.stringify({ v: 1, requestId: 'r1' }));
    await cloud.publish(topics.command(config.siteId, config.gatewayId, 'reboot'), JSON.stringify({ v: 1, requestId: 'r2', args: {} }));
    await waitFor(() => cloud!.responses.length >= 2, 5_000, 'responses');
    const byId = Object.fromEntries(cloud.responses.map((r) => [r.response.requestId, r]));
    expect(byId['r1']).toMatchObject({ name: 'ping', response: { status: 'ok' } });
    expect(byId['r2']).toMatchObject({ name: 'reboot', response: { status: 'error', error: 'unknown command "reboot"' } });
    expect(up.connected).toBe(true);
  });

  it('drops a stored event that fails the contract instead of retrying it forever', async () => {
    broker = await startAedes();
    cloud = await TestCloud.connect(broker.url);
    const up = makeUplink(broker.url);
    await waitFor(() => up.connected, 5_000, 'connect');
    const bad = { ...draft(1), type: 'dwell' as const }; // a dwell without a phase is invalid
    const stored = outbox.append([bad, draft(2)]);
    up.publishLive(stored);
    await waitFor(() => outbox.depth() === 0, 5_000, 'outbox empty');
    expect(up.status().invalidDropped).toBe(1);
    expect([...cloud.uniqueIds()]).toEqual([draft(2).id]);
  });
});
