import { exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { codecs, topics } from '@storesense/protocol';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCloud } from '../app.js';
import { createLogger } from '../log.js';
import { connectClient, startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';

function boutique(): Site {
  const loaded = loadSiteFile(exampleSitePath('boutique'));
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.value;
}

describe('fleet: enrolment, remote config, commands and revocation against the embedded broker', () => {
  let t: TestCloud;
  let token: string;
  const clients: MqttClient[] = [];
  const site = boutique();
  const gw = site.gateways[0]!.id;

  beforeEach(async () => {
    t = await startTestCloud({ sites: [site], staffAuth: 'required' });
    token = (await t.cloud.createApiToken({ name: 'test operator', role: 'operator' })).token;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true).catch(() => {});
    await t.stop();
  });

  const api = async (method: string, path: string, body?: unknown, auth = true) => {
    const res = await fetch(`${t.endpoints.httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('registers a gateway, enrols it once by code, publishes its config, answers commands, and revokes it', async () => {
    expect((await api('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: 'gw-nope' })).status).toBe(404);
    expect((await api('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: gw }, false)).status).toBe(401);
    const reg = await api('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: gw });
    expect(reg.status).toBe(201);
    expect(reg.body.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const enrolled = await api('POST', '/api/v1/gateways/enroll', { code: reg.body.code.toLowerCase() }, false);
    expect(enrolled.status).toBe(200);
    expect(enrolled.body).toMatchObject({ siteId: site.id, gatewayId: gw, configVersion: 1, mqtt: { url: t.endpoints.mqttUrl, username: `${site.id}.${gw}` } });
    expect(enrolled.body.config).toMatchObject({ siteId: site.id, gatewayId: gw });
    // The gateway's own settings are not sent: the broker and login come once, at enrolment.
    expect(enrolled.body.config).not.toHaveProperty('mqtt');
    expect(enrolled.body.config).not.toHaveProperty('dataDir');
    // Single use; the code and the password never reach the log; only hashes are stored.
    expect((await api('POST', '/api/v1/gateways/enroll', { code: reg.body.code }, false)).status).toBe(404);
    const password = enrolled.body.mqtt.password as string;
    expect(t.logs.text).not.toContain(password);
    expect(t.logs.text).not.toContain(reg.body.code);
    expect((await t.cloud.store!.getGatewayCredential(`${site.id}.${gw}`))?.passwordHash).not.toContain(password);

    // The gateway's credentials work and its retained config is there.
    const client = await connectClient(t.endpoints.mqttUrl, `${site.id}.${gw}`, password);
    clients.push(client);
    const configs: unknown[] = [];
    client.on('message', (topic, payload) => {
      if (topic === topics.config(site.id, gw)) configs.push(codecs.remoteConfig.decode(payload));
      // A gateway answering commands: stats with a figure, anything else an error.
      const m = /\/command\/([\w-]+)$/.exec(topic);
      if (m) {
        const cmd = codecs.command.decode(payload);
        if (!cmd.ok) return;
        const response =
          m[1] === 'stats'
            ? { v: 1, requestId: cmd.value.requestId, status: 'ok', result: { subjects: 3 } }
            : { v: 1, requestId: cmd.value.requestId, status: 'error', error: 'no such source' };
        void client.publishAsync(topics.response(site.id, gw, m[1]!), codecs.response.encode(response), { qos: 1 });
      }
    });
    await client.subscribeAsync(`${topics.prefix(site.id, gw)}/#`, { qos: 1 });
    const first = await waitFor(() => configs[0] as any, 5000, 'retained config');
    expect(first).toMatchObject({ ok: true, value: { version: 1, config: { gatewayId: gw } } });

    // An operator adds a source: version 2 published; the same overrides again change nothing.
    const sources = [{ kind: 'http_observations' }];
    expect((await api('PUT', `/api/v1/gateways/${site.id}/${gw}/config`, { overrides: { sources } })).body).toMatchObject({ version: 2, changed: true });
    expect((await api('PUT', `/api/v1/gateways/${site.id}/${gw}/config`, { overrides: { sources } })).body).toMatchObject({ version: 2, changed: false });
    const bad = await api('PUT', `/api/v1/gateways/${site.id}/${gw}/config`, { overrides: { tickMs: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.join('\n')).toContain('tickMs');
    await waitFor(() => configs.some((c: any) => c.value?.version === 2 && c.value.config.sources[0].kind === 'http_observations'), 5000, 'config v2');

    // The gateway answers on response/config: recorded, refusals with their reasons.
    const result = { v: 1, version: 2, status: 'refused', at: 5, reasons: ['sources.0: nope'], restarted: [] };
    await client.publishAsync(topics.response(site.id, gw, 'config'), codecs.configResult.encode(result), { qos: 1 });
    await waitFor(async () => (await api('GET', `/api/v1/gateways/${site.id}/${gw}/config`)).body.lastResult?.status === 'refused', 5000, 'result');
    expect((await api('GET', '/api/v1/fleet')).body.gateways[0]).toMatchObject({
      gatewayId: gw,
      config: { version: 2 },
      lastResult: { reasons: ['sources.0: nope'] },
    });

    // Commands: answered, an error answer, an unknown name, and a timeout as 504.
    const stats = await api('POST', `/api/v1/gateways/${site.id}/${gw}/commands/stats`, {});
    expect(stats).toMatchObject({ status: 200, body: { status: 'ok', result: { subjects: 3 } } });
    expect((await api('POST', `/api/v1/gateways/${site.id}/${gw}/commands/restart-source`, { args: { source: 'x' } })).body).toMatchObject({
      status: 'error',
      error: 'no such source',
    });
    expect((await api('POST', `/api/v1/gateways/${site.id}/${gw}/commands/format-disk`, {})).status).toBe(400);
    client.removeAllListeners('message');
    const late = await api('POST', `/api/v1/gateways/${site.id}/${gw}/commands/ping`, { timeoutMs: 300 });
    expect(late.status).toBe(504);

    // Revocation: the session is dropped and the credential refused.
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect((await api('DELETE', `/api/v1/gateways/${site.id}/${gw}`)).body).toEqual({ revoked: true });
    await closed;
    await expect(connectClient(t.endpoints.mqttUrl, `${site.id}.${gw}`, password)).rejects.toThrow(/Bad username or password|Not authorized/i);
    expect((await api('POST', `/api/v1/gateways/${site.id}/${gw}/commands/ping`, {})).status).toBe(404);
    // A new code for a revoked gateway needs it registered again.
    expect((await api('POST', `/api/v1/gateways/${site.id}/${gw}/enrolment-code`)).status).toBe(404);
  });

  it('refuses an expired code and throttles an address spraying codes', async () => {
    await t.stop();
    let now = 1_000_000;
    t = await startTestCloud({ sites: [site], staffAuth: 'required', clock: { now: () => now }, loginThrottle: { maxFailures: 2 } });
    const { code } = await (async () => {
      token = (await t.cloud.createApiToken({ name: 'op', role: 'operator' })).token;
      return (await api('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: gw })).body as { code: string };
    })();
    now += 15 * 60_000;
    expect((await api('POST', '/api/v1/gateways/enroll', { code }, false)).status).toBe(404);
    for (let i = 0; i < 9; i++) await api('POST', '/api/v1/gateways/enroll', { code: 'AAAA-AAAA-AAAA' }, false);
    expect((await api('POST', '/api/v1/gateways/enroll', { code }, false)).status).toBe(429);
  });

  it("publishes every enrolled gateway's config again at start, raising the version only when its site changed", async () => {
    const reg = await api('POST', '/api/v1/gateways', { siteId: site.id, gatewayId: gw });
    expect((await api('POST', '/api/v1/gateways/enroll', { code: reg.body.code }, false)).status).toBe(200);
    const dataDir = t.dataDir;
    const restart = async (s: Site) => {
      await t.cloud.stop();
      const cloud = createCloud({ dataDir, sites: [s], staffAuth: 'required', logger: createLogger({ level: 'silent' }) });
      await cloud.start();
      t = { ...t, cloud, stop: async () => cloud.stop() };
      return (await cloud.store!.getGatewayRegistration(site.id, gw))!.config!;
    };
    expect((await restart(site)).version).toBe(1);
    const changed = await restart({ ...site, journey: { ...site.journey, exitAbsenceMs: site.journey.exitAbsenceMs + 5_000 } });
    expect(changed.version).toBe(2);
    expect((changed.body as { journey: { exitAbsenceMs: number } }).journey.exitAbsenceMs).toBe(site.journey.exitAbsenceMs + 5_000);
  });
});
