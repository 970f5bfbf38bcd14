import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { codecs, topics } from '@storesense/protocol';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startTestCloud, waitFor } from '../testing/harness.js';
import { mosquittoUnavailable, startTestMosquitto } from '../testing/mosquitto.fixture.js';

const unavailable = mosquittoUnavailable();

// The fleet over an external Mosquitto under dynamic security (decision 111's account hook): the
// enrolment creates the gateway's account live, revocation removes it and drops the session.
describe.skipIf(unavailable !== undefined)('fleet on a private Mosquitto (dynamic security)', () => {
  it('enrols a gateway by code, delivers its retained config and a command, and revokes it', async () => {
    const loaded = loadSiteFile(exampleSitePath('boutique'));
    if (!loaded.ok) throw new Error(loaded.error);
    const site = loaded.value;
    const gw = site.gateways[0]!.id;
    const broker = await startTestMosquitto();
    const t = await startTestCloud({ sites: [site], staffAuth: 'required', brokerUrl: broker.ingestUrl, brokerAdminUrl: broker.adminUrl });
    try {
      const { token } = await t.cloud.createApiToken({ name: 'op', role: 'operator' });
      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${t.endpoints.httpUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const { code } = (await api('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: gw })).body as { code: string };
      const enrolled = await api('POST', '/api/v1/gateways/enroll', { code });
      expect(enrolled.status).toBe(200);
      // The cloud's own ingest login never reaches the gateway.
      expect(enrolled.body.mqtt.url).toBe(broker.url);
      const { username, password } = enrolled.body.mqtt as { username: string; password: string };

      const client = await mqtt.connectAsync(broker.url, { clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 5000 });
      const configs: number[] = [];
      client.on('message', (topic, payload) => {
        if (topic === topics.config(site.id, gw)) {
          const m = codecs.remoteConfig.decode(payload);
          if (m.ok) configs.push(m.value.version);
        }
        const cmd = /\/command\/stats$/.test(topic) ? codecs.command.decode(payload) : undefined;
        if (cmd?.ok) {
          const answer = codecs.response.encode({ v: 1, requestId: cmd.value.requestId, status: 'ok', result: { via: 'mosquitto' } });
          void client.publishAsync(topics.response(site.id, gw, 'stats'), answer, { qos: 1 });
        }
      });
      await client.subscribeAsync(`${topics.prefix(site.id, gw)}/#`, { qos: 1 });
      await waitFor(() => configs.includes(1), 5000, 'the retained config');
      expect((await api('POST', `/api/v1/gateways/${site.id}/${gw}/commands/stats`, { timeoutMs: 5000 })).body).toMatchObject({
        status: 'ok',
        result: { via: 'mosquitto' },
      });

      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      expect((await api('DELETE', `/api/v1/gateways/${site.id}/${gw}`)).status).toBe(200);
      await closed;
      await expect(mqtt.connectAsync(broker.url, { clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(
        /Not authorized|Bad username or password/i,
      );
      await client.endAsync(true).catch(() => {});
    } finally {
      await t.stop();
      await broker.stop();
    }
  }, 60_000);
});
