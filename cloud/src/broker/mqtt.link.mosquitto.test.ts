import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { codecs, topics, type Ack } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { connectClient, startTestCloud, waitFor } from '../testing/harness.js';

const MOSQUITTO = { host: '127.0.0.1', port: 1883 };

/** Is anything listening on the machine's Mosquitto port? (Never bound by tests, only used.) */
function probe(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(MOSQUITTO.port, MOSQUITTO.host);
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

const up = await probe();
if (!up) console.warn(`skipping external-broker ingest test: nothing listens on ${MOSQUITTO.host}:${MOSQUITTO.port} (start Mosquitto to run it)`);

describe("ingest through an external broker (the machine's Mosquitto)", () => {
  it.skipIf(!up)('stores events once, acks them, and tracks gateway state, via brokerUrl', async () => {
    const url = `mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`;
    // Unique ids per run: the broker is shared with other tests and runs.
    const siteId = `test-${randomBytes(4).toString('hex')}`;
    const gatewayId = 'gw1';
    // Scoped to this run's site: other packages' tests publish events on the same broker, and this
    // cloud must not ingest (and ack) them.
    const t = await startTestCloud({ brokerUrl: url, ingestSiteIds: [siteId] });
    const gw = await connectClient(url);
    try {
      expect(t.endpoints.mqttUrl).toBe(`${url}`);
      const acks: Ack[] = [];
      gw.on('message', (topic, payload) => {
        const d = codecs.ack.decode(payload);
        if (topic === topics.ack(siteId, gatewayId) && d.ok) acks.push(d.value);
      });
      await gw.subscribeAsync(topics.ack(siteId, gatewayId), { qos: 1 });
      const e = makeEvent({ siteId, gatewayId, type: 'arrival' });
      await gw.publishAsync(topics.event(siteId, gatewayId, 'arrival'), codecs.event.encode(e), { qos: 1 });
      await waitFor(() => acks.some((a) => a.ids.includes(e.id)), 5000, 'ack through mosquitto');
      await gw.publishAsync(topics.event(siteId, gatewayId, 'arrival'), codecs.event.encode(e), { qos: 1 });
      await waitFor(() => acks.flatMap((a) => a.ids).filter((id) => id === e.id).length === 2, 5000, 'second ack');
      expect((await t.cloud.store!.listEvents({ limit: 10, siteId })).map((s) => s.event.id)).toEqual([e.id]);

      const bad = { ...makeEvent({ siteId, gatewayId }), siteId: 'someone-else' };
      await gw.publishAsync(topics.event(siteId, gatewayId, 'arrival'), Buffer.from(JSON.stringify(bad)), { qos: 1 });
      await waitFor(() => t.cloud.metrics.get('ingest.rejected') === 1, 5000, 'rejection');

      await gw.publishAsync(topics.stateConn(siteId, gatewayId), codecs.connState.encode({ v: 1, state: 'online', at: 1, version: 'x' }), {
        qos: 1,
        retain: true,
      });
      await waitFor(async () => (await t.cloud.store!.listGateways()).some((g) => g.siteId === siteId && g.conn?.state === 'online'), 5000, 'conn state');
      const health = await (await fetch(`${t.endpoints.httpUrl}/api/v1/health`)).json();
      expect(health).toMatchObject({ ok: true, broker: { kind: 'external', connected: true } });
    } finally {
      // Leave no retained message behind on the shared broker.
      await gw.publishAsync(topics.stateConn(siteId, gatewayId), Buffer.alloc(0), { qos: 1, retain: true });
      await gw.endAsync();
      await t.stop();
    }
  });
});
