import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { codecs, topics } from '@storesense/protocol';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import { startTestCloud, waitFor } from '../testing/harness.js';
import { mosquittoUnavailable, startTestMosquitto } from '../testing/mosquitto.fixture.js';

const unavailable = mosquittoUnavailable();

describe.skipIf(unavailable !== undefined)('enrolment by code on a cloud behind a private Mosquitto (dynamic security)', () => {
  it('enrols the gateway on the running broker, its login works there, and revocation disconnects and refuses it', async () => {
    const loaded = loadSiteFile(exampleSitePath('boutique'));
    if (!loaded.ok) throw new Error(loaded.error);
    const site = loaded.value;
    const gw = site.gateways[0]!.id;
    const broker = await startTestMosquitto();
    const t = await startTestCloud({ sites: [site], staffAuth: 'required', brokerUrl: broker.ingestUrl, brokerAdminUrl: broker.adminUrl, ackDelayMs: 5 });
    try {
      const token = (await t.cloud.createApiToken({ name: 'op', role: 'operator' })).token;
      const api = async (method: string, path: string, body?: unknown, auth = true) => {
        const res = await fetch(`${t.endpoints.httpUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as { code?: string; mqtt?: { url: string; username: string; password: string } } };
      };
      const reg = await api('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: gw });
      expect(reg.status).toBe(201);
      const enrolled = await api('POST', '/api/v1/gateways/enroll', { code: reg.body.code }, false);
      expect(enrolled.status).toBe(200);
      const login = enrolled.body.mqtt!;
      // The broker as gateways reach it, without the cloud's own (ingest) login in it.
      expect(login.url).toBe(broker.url);
      expect(login.username).toBe(`${site.id}.${gw}`);

      const client = await mqtt.connectAsync(login.url, { username: login.username, password: login.password, clientId: login.username, reconnectPeriod: 0 });
      const acked: string[] = [];
      client.on('message', (topic, payload) => {
        const d = codecs.ack.decode(payload);
        if (topic === topics.ack(site.id, gw) && d.ok) acked.push(...d.value.ids);
      });
      await client.subscribeAsync(topics.ack(site.id, gw), { qos: 1 });
      const e = makeEvent({ siteId: site.id, gatewayId: gw, type: 'arrival', at: Date.now() });
      await client.publishAsync(topics.event(site.id, gw, 'arrival'), codecs.event.encode(e), { qos: 1 });
      await waitFor(() => acked.includes(e.id), 10_000, 'the ack through mosquitto');

      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      expect((await api('DELETE', `/api/v1/gateways/${site.id}/${gw}`)).status).toBe(200);
      await closed;
      const again = await mqtt
        .connectAsync(login.url, { username: login.username, password: login.password, clientId: login.username, reconnectPeriod: 0 })
        .then(
          (c) => c.endAsync(true).then(() => 'connected'),
          (err: Error) => err.message,
        );
      expect(again).toMatch(/not authori[sz]ed|bad user/i);
      await client.endAsync(true);
    } finally {
      await t.stop();
      await broker.stop();
    }
  }, 60_000);
});
