import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { topics } from '@storesense/protocol';
import { systemClock } from '../clock.js';
import { silentLogger } from '../log.js';
import { SqliteOutbox } from '../store/outbox.sqlite.js';
import { waitFor } from '../testing/aedes-broker.js';
import { boutiqueConfig, draft } from '../testing/fixtures.js';
import { TestCloud } from '../testing/test-cloud.js';
import { MqttUplink } from './mqtt.uplink.js';

/** The machine's Mosquitto (anonymous, loopback) as an external broker; never bound by us. */
const MOSQUITTO = { host: '127.0.0.1', port: 1883 };

function reachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(MOSQUITTO.port, MOSQUITTO.host);
    s.setTimeout(1_000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

const up = await reachable();
if (!up) console.warn(`SKIP mosquitto uplink test: nothing listens on ${MOSQUITTO.host}:${MOSQUITTO.port} (start the machine's Mosquitto to run it)`);

describe.skipIf(!up)('MqttUplink against the machine Mosquitto at 127.0.0.1:1883', () => {
  it('publishes events and deletes them on acks from a test cloud client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplink-mosq-'));
    const url = `mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`;
    // A unique gateway id per run, so retained messages and sessions of other runs do not interfere.
    const gatewayId = `gw-test-${Date.now().toString(36)}`;
    const config = boutiqueConfig({
      gatewayId,
      mqtt: { url, passwordEnv: 'UNSET_TEST_ENV' },
      uplink: { backlogPerSecond: 500, reconnectMinMs: 100, reconnectMaxMs: 1000 },
    });
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxRows: 1000, maxAgeMs: 3_600_000, clock: systemClock, logger: silentLogger() });
    const cloud = await TestCloud.connect(url);
    const uplink = new MqttUplink({
      config,
      outbox,
      clock: systemClock,
      logger: silentLogger(),
      password: undefined,
      health: () => ({
        v: 1,
        at: Date.now(),
        version: 't',
        sources: {},
        outbox: { depth: outbox.depth(), dropped: 0 },
        model: { name: 'rules', version: '1' },
        subjects: 0,
      }),
    });
    try {
      uplink.start();
      await waitFor(() => uplink.connected, 5_000, 'connect to mosquitto');
      const events = outbox.append(Array.from({ length: 20 }, (_, i) => ({ ...draft(i + 1), gatewayId })));
      uplink.publishLive(events.slice(0, 10)); // the rest goes through the backlog pump
      await waitFor(() => outbox.depth() === 0, 10_000, 'all acked');
      const mine = cloud.events.filter((e) => e.gatewayId === gatewayId);
      expect(new Set(mine.map((e) => e.id)).size).toBe(20);
      await waitFor(() => cloud.conn.some((c) => c.state === 'online'), 5_000, 'online state');
    } finally {
      await uplink.stop();
      await cloud.close();
      // Clear the retained state and the persistent session this run left on the shared broker.
      const cleanup = await mqtt.connectAsync(url, { clientId: `${config.siteId}.${gatewayId}`, clean: true, reconnectPeriod: 0 });
      await cleanup.publishAsync(topics.stateConn(config.siteId, gatewayId), '', { qos: 1, retain: true });
      await cleanup.publishAsync(topics.stateHealth(config.siteId, gatewayId), '', { qos: 1, retain: true });
      await cleanup.endAsync();
      outbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
