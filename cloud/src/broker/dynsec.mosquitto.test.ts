import { codecs, filters, topics } from '@storesense/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import { makeEvent } from '../testing/fixtures.js';
import { waitFor } from '../testing/harness.js';
import { mosquittoUnavailable, startTestMosquitto, type TestMosquitto } from '../testing/mosquitto.fixture.js';
import { connectDynsecAdmin, type DynsecAdmin } from './dynsec.admin.js';
import type { GatewayAccount } from './dynsec.js';
import { connectExternalBroker } from './mqtt.link.js';

const unavailable = mosquittoUnavailable();
const logger = createLogger({ level: 'silent' });

const gw1: GatewayAccount = { siteId: 'mall', gatewayId: 'gw1', username: 'mall.gw1', password: 'gw1-password-123' };
const gw2: GatewayAccount = { siteId: 'mall', gatewayId: 'gw2', username: 'mall.gw2', password: 'gw2-password-123' };

function connectAs(url: string, clientId: string, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, protocolVersion, reconnectPeriod: 0, connectTimeout: 5000 });
}

/** Connecting fails with the broker's refusal (bad credentials / not authorised). */
async function refused(url: string, clientId: string): Promise<string> {
  try {
    const c = await connectAs(url, clientId);
    await c.endAsync(true);
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

describe.skipIf(unavailable !== undefined)('a private Mosquitto configured by broker-config (dynamic security)', () => {
  let broker: TestMosquitto;
  let admin: DynsecAdmin;
  beforeAll(async () => {
    broker = await startTestMosquitto([gw1, gw2]);
    admin = await connectDynsecAdmin({ url: broker.adminUrl, logger, metrics: new Metrics() });
  });
  afterAll(async () => {
    await admin?.close();
    await broker?.stop();
  });

  it('lets a gateway publish and subscribe only its own topics, and the ingest account read all and write acks', async () => {
    const ingest = await connectAs(broker.ingestUrl, 'ingest-a');
    const g1 = await connectAs(broker.gatewayUrl(gw1), gw1.username);
    try {
      const seen: string[] = [];
      ingest.on('message', (topic) => seen.push(topic));
      expect((await ingest.subscribeAsync('storesense/v1/#', { qos: 1 }))[0]?.qos).toBe(1);
      // Forbidden first, then allowed, from one client: once the allowed ones arrive, the forbidden ones would have.
      const e = codecs.event.encode(makeEvent({ siteId: 'mall', gatewayId: 'gw1', type: 'arrival' }));
      const forbidden = [topics.event('mall', 'gw2', 'arrival'), topics.ack('mall', 'gw1'), topics.config('mall', 'gw1'), topics.memberKeys('mall', 'gw1')];
      for (const t of forbidden) await g1.publishAsync(t, e, { qos: 1 });
      const allowed = [topics.event('mall', 'gw1', 'arrival'), topics.stateConn('mall', 'gw1'), topics.gap('mall', 'gw1'), topics.occupancy('mall', 'gw1')];
      for (const t of allowed) await g1.publishAsync(t, e, { qos: 1 });
      await waitFor(() => allowed.every((t) => seen.includes(t)), 5000, 'the allowed publishes');
      expect(seen.filter((t) => forbidden.includes(t))).toEqual([]);

      // mqtt.js rejects a SUBACK refusal (0x80).
      await expect(g1.subscribeAsync(topics.ack('mall', 'gw2'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
      await expect(g1.subscribeAsync('storesense/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
      expect((await g1.subscribeAsync(filters.gatewayCommands('mall', 'gw1'), { qos: 1 }))[0]?.qos).toBe(1);
      expect((await g1.subscribeAsync(topics.ack('mall', 'gw1'), { qos: 1 }))[0]?.qos).toBe(1);
      const got: string[] = [];
      g1.on('message', (topic) => got.push(topic));
      await ingest.publishAsync(topics.ack('mall', 'gw1'), Buffer.from('{}'), { qos: 1 });
      await ingest.publishAsync(topics.command('mall', 'gw1', 'reboot'), Buffer.from('{}'), { qos: 1 });
      await waitFor(() => got.length === 2, 5000, 'ack and command at the gateway');
      expect(got).toEqual([topics.ack('mall', 'gw1'), topics.command('mall', 'gw1', 'reboot')]);

      // A gateway's client id is its username; a wrong password or client id is refused.
      expect(await refused(broker.gatewayUrl(gw2), 'someone-else')).toMatch(/not authori[sz]ed|bad user/i);
      expect(await refused(broker.gatewayUrl({ ...gw2, password: 'wrong-password' }), gw2.username)).toMatch(/not authori[sz]ed|bad user/i);
      expect(await refused(broker.url, 'anonymous')).toMatch(/not authori[sz]ed|bad user/i);
    } finally {
      await g1.endAsync(true);
      await ingest.endAsync(true);
    }
  });

  it('enrols a gateway live, resets its password, and on revocation disconnects and then refuses it', async () => {
    const gw3: GatewayAccount = { siteId: 'mall', gatewayId: 'gw3', username: 'mall.gw3', password: 'first-password-1' };
    expect(await refused(broker.gatewayUrl(gw3), gw3.username)).toMatch(/not authori[sz]ed|bad user/i);
    await admin.changed(gw3);
    const first = await connectAs(broker.gatewayUrl(gw3), gw3.username);
    await first.endAsync(true);

    const reset = { ...gw3, password: 'second-password-2' };
    await admin.changed(reset); // the client exists: its password is replaced
    expect(await refused(broker.gatewayUrl(gw3), gw3.username)).toMatch(/not authori[sz]ed|bad user/i);
    const g3 = await connectAs(broker.gatewayUrl(reset), gw3.username);
    const closed = new Promise<void>((resolve) => g3.once('close', () => resolve()));
    await admin.revoked(gw3);
    await closed; // the plugin kicks the session
    expect(await refused(broker.gatewayUrl(reset), gw3.username)).toMatch(/not authori[sz]ed|bad user/i);
    await admin.revoked(gw3); // revoking twice is not an error
    await g3.endAsync(true);
  });

  it('with concurrency, handles different gateways side by side and each gateway in order', async () => {
    const link = await connectExternalBroker({ url: broker.ingestUrl, clientId: 'ingest-concurrent', concurrency: 16, logger, metrics: new Metrics() });
    const order = new Map<string, number[]>();
    let releaseGw1: (() => void) | undefined;
    const gw2Handled = new Promise<void>((resolve) => {
      releaseGw1 = resolve;
    });
    let inHandler = 0;
    let most = 0;
    await link.subscribe(filters.allEvents, async (topic, payload) => {
      const d = codecs.event.decode(payload);
      if (!d.ok) return;
      inHandler++;
      most = Math.max(most, inHandler);
      // gw1's first event waits until a gw2 event went through: only possible side by side.
      if (d.value.gatewayId === 'gw1' && d.value.seq === 1) await gw2Handled;
      if (d.value.gatewayId === 'gw2') releaseGw1?.();
      order.set(d.value.gatewayId, [...(order.get(d.value.gatewayId) ?? []), d.value.seq]);
      inHandler--;
    });
    const [g1, g2] = await Promise.all([gw1, gw2].map((g) => connectAs(broker.gatewayUrl(g), g.username)));
    try {
      for (let seq = 1; seq <= 10; seq++) {
        const e = makeEvent({ siteId: 'mall', gatewayId: 'gw1', type: 'arrival', seq });
        await g1!.publishAsync(topics.event('mall', 'gw1', 'arrival'), codecs.event.encode(e), { qos: 1 });
      }
      for (let seq = 1; seq <= 10; seq++) {
        const e = makeEvent({ siteId: 'mall', gatewayId: 'gw2', type: 'arrival', seq });
        await g2!.publishAsync(topics.event('mall', 'gw2', 'arrival'), codecs.event.encode(e), { qos: 1 });
      }
      await waitFor(() => (order.get('gw1')?.length ?? 0) === 10 && (order.get('gw2')?.length ?? 0) === 10, 10_000, 'all 20 handled');
      expect(order.get('gw1')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(order.get('gw2')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(most).toBeGreaterThanOrEqual(2);
      expect(most).toBeLessThanOrEqual(16);
    } finally {
      await g1!.endAsync(true);
      await g2!.endAsync(true);
      await link.close();
    }
  });

  it.each([4, 5] as const)('splits events between two ingest links of one share group, each exactly once (MQTT %s)', async (protocolVersion) => {
    const metrics = new Metrics();
    const received = [new Map<string, number>(), new Map<string, number>()];
    const links = await Promise.all(
      received.map(async (seen, i) => {
        const link = await connectExternalBroker({
          url: broker.ingestUrl,
          clientId: `ingest-${protocolVersion}-${i}`,
          protocolVersion,
          shareGroup: `g${protocolVersion}`,
          logger,
          metrics,
        });
        await link.subscribe(
          filters.allEvents,
          (_topic, payload) => {
            const d = codecs.event.decode(payload);
            if (d.ok) seen.set(d.value.id, (seen.get(d.value.id) ?? 0) + 1);
          },
          { shared: true },
        );
        return link;
      }),
    );
    const gws = await Promise.all([gw1, gw2].map((g) => connectAs(broker.gatewayUrl(g), g.username, protocolVersion)));
    try {
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const g = [gw1, gw2][i % 2]!;
        const e = makeEvent({ siteId: g.siteId, gatewayId: g.gatewayId, type: 'arrival' });
        ids.push(e.id);
        await gws[i % 2]!.publishAsync(topics.event(g.siteId, g.gatewayId, 'arrival'), codecs.event.encode(e), { qos: 1 });
      }
      await waitFor(() => received[0]!.size + received[1]!.size >= ids.length, 10_000, 'every event at one of the links');
      expect(received[0]!.size).toBeGreaterThan(0);
      expect(received[1]!.size).toBeGreaterThan(0);
      const all = [...received[0]!.keys(), ...received[1]!.keys()];
      expect(all.sort()).toEqual([...ids].sort()); // together all, none at both
      expect([...received[0]!.values(), ...received[1]!.values()].every((n) => n === 1)).toBe(true);
    } finally {
      for (const g of gws) await g.endAsync(true);
      for (const l of links) await l.close();
    }
  });
});
