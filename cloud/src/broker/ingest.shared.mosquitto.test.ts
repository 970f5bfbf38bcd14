import { randomBytes } from 'node:crypto';
import { codecs, topics } from '@storesense/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';
import { mosquittoUnavailable, startTestMosquitto } from '../testing/mosquitto.fixture.js';
import { dropSchema, freshSchemaName, pgQuery, postgresUnavailable, urlWithSchema } from '../testing/postgres.fixture.js';

const unavailable = mosquittoUnavailable() ?? (await postgresUnavailable());

describe.skipIf(unavailable !== undefined)('two cloud nodes on PostgreSQL behind one private Mosquitto (shared subscription, dynamic security)', () => {
  it.each([4, 5] as const)(
    'split the events, store each once, ack from the storing node, and enrol and revoke gateways live (MQTT %s)',
    async (protocolVersion) => {
      const broker = await startTestMosquitto();
      const schema = freshSchemaName();
      await pgQuery(`CREATE SCHEMA ${schema}`);
      const masterKey = randomBytes(32);
      const nodes: TestCloud[] = [];
      const gateways: MqttClient[] = [];
      try {
        // One after the other: the first runs the migrations.
        for (let i = 0; i < 2; i++) {
          nodes.push(
            await startTestCloud({
              databaseUrl: urlWithSchema(schema),
              masterKey,
              brokerUrl: broker.ingestUrl,
              brokerAdminUrl: broker.adminUrl,
              brokerProtocolVersion: protocolVersion,
              ackDelayMs: 5,
            }),
          );
        }
        const [a, b] = nodes as [TestCloud, TestCloud];
        const site = 'mall';
        const ids = ['gw1', 'gw2', 'gw3', 'gw4'];
        const acked = new Map<string, number>();
        for (const [i, gatewayId] of ids.entries()) {
          const password = `password-${gatewayId}-${randomBytes(4).toString('hex')}`;
          // Provisioned through either node; the broker learns the account at once.
          const { username } = await nodes[i % 2]!.cloud.provisionGateway({ siteId: site, gatewayId, password });
          const gw = await mqtt.connectAsync(broker.gatewayUrl({ siteId: site, gatewayId, username, password }), {
            clientId: username,
            protocolVersion,
            reconnectPeriod: 0,
          });
          gw.on('message', (topic, payload) => {
            const d = codecs.ack.decode(payload);
            if (topic === topics.ack(site, gatewayId) && d.ok) for (const id of d.value.ids) acked.set(id, (acked.get(id) ?? 0) + 1);
          });
          await gw.subscribeAsync(topics.ack(site, gatewayId), { qos: 1 });
          gateways.push(gw);
        }
        const sent: string[] = [];
        for (let i = 0; i < 200; i++) {
          const gatewayId = ids[i % ids.length]!;
          const e = makeEvent({ siteId: site, gatewayId, type: 'arrival' });
          sent.push(e.id);
          await gateways[i % ids.length]!.publishAsync(topics.event(site, gatewayId, 'arrival'), codecs.event.encode(e), { qos: 1 });
        }
        await waitFor(() => sent.every((id) => acked.has(id)), 20_000, 'an ack for every event');
        const stored = [a, b].map((n) => n.cloud.metrics.get('ingest.stored'));
        expect(stored[0]).toBeGreaterThan(0);
        expect(stored[1]).toBeGreaterThan(0);
        expect(stored[0]! + stored[1]!).toBe(sent.length);
        expect(a.cloud.metrics.get('ingest.duplicate') + b.cloud.metrics.get('ingest.duplicate')).toBe(0);
        expect([...acked.values()].every((n) => n === 1)).toBe(true);
        const rows = await pgQuery(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM ${schema}.events`);
        expect(rows.rows[0]).toEqual({ n: sent.length, d: sent.length });

        // Revoked through the other node: the gateway's session is dropped and it cannot come back.
        const closed = new Promise<void>((resolve) => gateways[0]!.once('close', () => resolve()));
        await b.cloud.gatewayAccounts.revoked({ siteId: site, gatewayId: 'gw1', username: 'mall.gw1' });
        await closed;
        const again = await mqtt
          .connectAsync(broker.gatewayUrl({ siteId: site, gatewayId: 'gw1', username: 'mall.gw1', password: 'anything-at-all' }), {
            clientId: 'mall.gw1',
            reconnectPeriod: 0,
          })
          .then(
            (c) => c.endAsync(true).then(() => 'connected'),
            (err: Error) => err.message,
          );
        expect(again).toMatch(/not authori[sz]ed|bad user/i);
        const health = await (await fetch(`${a.endpoints.httpUrl}/api/v1/health`)).json();
        expect(health).toMatchObject({ broker: { kind: 'external', connected: true } });
      } finally {
        for (const g of gateways) await g.endAsync(true);
        for (const n of nodes) await n.stop();
        await broker.stop();
        await dropSchema(schema);
      }
    },
    60_000,
  );
});
