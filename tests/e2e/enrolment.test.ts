/**
 * Issue 13's fleet path with real processes and sockets: a cloud with no accounts prints its first
 * operator; the operator registers a gateway and gets a one-time code; `storesense-gateway enroll`
 * trades it for credentials and config; the gateway runs on it, a source is added over the retained
 * config topic and applied live (no restart, no file edited); `stats` is answered through the API;
 * a new model is shadowed, promoted and rolled back by command; revocation drops the gateway and its
 * credentials are refused from then on.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleSitePath } from '@storesense/firmware-config';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { tempDir, waitFor } from './harness.js';
import { Child, freePort, repoRoot } from './processes.js';

const cloudCli = join(repoRoot, 'cloud/dist/cli.js');
const gatewayCli = join(repoRoot, 'gateway/dist/cli.js');

describe('enrolment, remote config, commands and revocation (real processes)', () => {
  it('first operator -> gateway enrolled by code -> config changed live -> stats -> model shadowed, promoted, rolled back -> revoked and refused', async () => {
    const t = tempDir('storesense-enrolment-');
    const [httpPort, mqttPort, statusPort] = [await freePort(), await freePort(), await freePort()];
    const cloud = new Child('cloud', [cloudCli, '--site', exampleSitePath('boutique')], {
      STORESENSE_DATA_DIR: join(t.dir, 'cloud'),
      STORESENSE_HTTP_PORT: String(httpPort),
      STORESENSE_MQTT_PORT: String(mqttPort),
      STORESENSE_LOG_LEVEL: 'info',
    });
    let gateway: Child | undefined;
    try {
      // A cloud with no accounts: the first operator, printed once.
      const [, username, password] = (await cloud.waitFor(/first operator created: username (\S+) password (\S+)/, 30_000)) as unknown as [
        string,
        string,
        string,
      ];
      await cloud.waitFor(/storesense cloud running/);
      const httpUrl = `http://127.0.0.1:${httpPort}`;
      const login = await fetch(`${httpUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${httpUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: res.status, body: (await res.json()) as any };
      };

      // The operator registers the boutique's gateway; its status API goes on a free port.
      const site = 'mall-bj-01';
      const gw = 'gw-boutique-1';
      const reg = await api('POST', '/api/v1/gateways', { siteId: site, gatewayId: gw });
      expect(reg.status).toBe(201);
      const code = reg.body.code as string;
      const statusApi = { host: '127.0.0.1', port: statusPort };
      // The rules classifier, so the rollout below shadows and promotes a different one (a rendered
      // config's default is the onnx model, decision 79).
      const classifier = { kind: 'rules' };
      expect((await api('PUT', `/api/v1/gateways/${site}/${gw}/config`, { overrides: { statusApi, classifier, sources: [] } })).body).toMatchObject({
        version: 1,
      });

      // The installer enrols the box with the code (from the environment: not in ps or the history).
      const out = join(t.dir, 'gateway');
      const enrolled = spawnSync(process.execPath, [gatewayCli, 'enroll', '--cloud', httpUrl, '--out', out], {
        encoding: 'utf8',
        env: { ...process.env, STORESENSE_ENROLMENT_CODE: code },
      });
      expect(enrolled.status, enrolled.stderr).toBe(0);
      expect(enrolled.stdout).toContain(`enrolled ${site}.${gw} (config version 1`);
      const configFile = join(out, 'gateway-config.json');
      expect(statSync(configFile).mode & 0o777).toBe(0o600);
      const mqttPassword = (JSON.parse(readFileSync(configFile, 'utf8')) as { mqtt: { password: string } }).mqtt.password;
      expect(enrolled.stdout + enrolled.stderr).not.toContain(mqttPassword);
      // Single use.
      const again = spawnSync(process.execPath, [gatewayCli, 'enroll', '--cloud', httpUrl, '--code', code, '--out', join(t.dir, 'other')], {
        encoding: 'utf8',
      });
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/refused \(404\): enrolment code unknown, used or expired/);

      gateway = new Child('gateway', [gatewayCli, '--config', configFile], { STORESENSE_LOG_LEVEL: 'info' });
      await gateway.waitFor(/"msg":"storesense-gateway running"/);
      const fleetEntry = async () => ((await api('GET', `/api/v1/gateways/${site}/${gw}`)).body as any) ?? {};
      await waitFor('the gateway answers config v1', async () => (await fleetEntry()).lastResult?.version === 1);
      expect((await fleetEntry()).lastResult.status).toMatch(/applied|unchanged/);

      // A source is added by the operator: published on the retained config topic, applied live.
      const trace = join(t.dir, 'trace.ndjson');
      const t0 = Date.now();
      const obs = [];
      for (let at = t0; at < t0 + 5_000; at += 250) obs.push({ v: 1, at, source: 'ble', receiverId: 'rx-entrance', subject: 'walker', rssiDbm: -62 });
      writeFileSync(
        trace,
        [JSON.stringify({ format: 'storesense-trace', v: 1, siteId: site, startedAt: t0 }), ...obs.map((o) => JSON.stringify(o))].join('\n'),
      );
      const v2 = await api('PUT', `/api/v1/gateways/${site}/${gw}/config`, {
        overrides: { statusApi, classifier, sources: [{ kind: 'replay', path: trace, speed: 10 }] },
      });
      expect(v2.body).toMatchObject({ version: 2, changed: true });
      await waitFor('config v2 applied', async () => (await fleetEntry()).lastResult?.version === 2);
      expect((await fleetEntry()).lastResult).toMatchObject({ status: 'applied', reasons: [] });
      await gateway.waitFor(/"restarted":\["replay"\][^\n]*"msg":"remote config applied"/);
      // Live: the same process (no restart) now hears the new source, and health says which config runs.
      const health = await waitFor('replayed observations in health', async () => {
        const h = (await fetch(`http://127.0.0.1:${statusPort}/api/v1/health`).then((r) => r.json())) as any;
        return h.sources?.replay?.observations === obs.length ? h : undefined;
      });
      expect(health.config).toMatchObject({ version: 2 });
      expect(gateway.running).toBe(true);

      // A config the gateway cannot run is refused with its reasons; it keeps running v2.
      const bad = await api('PUT', `/api/v1/gateways/${site}/${gw}/config`, {
        overrides: { statusApi, classifier, sources: [{ kind: 'replay', path: trace, speed: 0 }] },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.issues.join(' ')).toMatch(/speed/);

      // A command through the API, answered over MQTT.
      const stats = await api('POST', `/api/v1/gateways/${site}/${gw}/commands/stats`, { timeoutMs: 10_000 });
      expect(stats.status).toBe(200);
      expect(stats.body).toMatchObject({ status: 'ok', result: { pipeline: { observations: obs.length }, config: { version: 2 } } });

      // Model rollout: a new model shadowed beside the active classifier, promoted, rolled back.
      const onnx = readFileSync(join(repoRoot, 'gateway/model/journey-mlp.onnx'));
      const domain = JSON.parse(readFileSync(join(repoRoot, 'gateway/model/journey-mlp.domain.json'), 'utf8')) as unknown;
      const uploaded = await api('POST', '/api/v1/models', { version: 'mlp-2', onnx: onnx.toString('base64'), domain });
      expect(uploaded.status).toBe(201);
      expect(uploaded.body.sha256).toBe(createHash('sha256').update(onnx).digest('hex'));
      const shadowed = await api('POST', `/api/v1/gateways/${site}/${gw}/model`, { version: 'mlp-2', timeoutMs: 20_000 });
      expect(shadowed.body).toMatchObject({ status: 'ok', result: { shadow: 'mlp-2', domain: 'inside' } });
      const command = (name: string, args: Record<string, unknown> = {}) =>
        api('POST', `/api/v1/gateways/${site}/${gw}/commands/${name}`, { args, timeoutMs: 20_000 });
      // Traffic again (the replay source restarted by command) for the two models to compare.
      expect((await command('restart-source', { source: 'replay' })).body).toMatchObject({ status: 'ok', result: { restarted: 'replay' } });
      const shadowHealth = await waitFor('shadow agreement in health', async () => {
        const h = (await command('health')).body.result;
        return h.rollout?.shadow?.compared > 0 ? h : undefined;
      });
      expect(shadowHealth.model.name).toBe('rules');
      expect(shadowHealth.rollout.shadow).toMatchObject({ version: 'mlp-2', errors: 0 });
      expect(shadowHealth.rollout.shadow.agreement).toBeGreaterThanOrEqual(0);
      expect((await command('model-promote')).body).toMatchObject({ status: 'ok', result: { active: 'mlp-2', previous: 'config' } });
      expect((await command('health')).body.result).toMatchObject({
        model: { name: 'onnx' },
        rollout: { active: { version: 'mlp-2' }, previous: { version: 'config' } },
      });
      expect((await command('model-rollback')).body).toMatchObject({ status: 'ok', result: { active: 'config', model: { name: 'rules' }, kept: 'mlp-2' } });
      expect((await command('health')).body.result).toMatchObject({ model: { name: 'rules' }, rollout: { previous: { version: 'mlp-2' } } });

      // Revocation: the gateway is dropped and refused from then on.
      expect((await api('DELETE', `/api/v1/gateways/${site}/${gw}`)).body).toEqual({ revoked: true });
      await cloud.waitFor(/"username":"mall-bj-01\.gw-boutique-1"[^\n]*"reason":"unknown username"[^\n]*"msg":"mqtt connection refused"/, 30_000);
      await expect(
        mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `${site}.${gw}`, username: `${site}.${gw}`, password: mqttPassword, reconnectPeriod: 0 }),
      ).rejects.toThrow(/Bad username or password/i);
      expect((await api('POST', `/api/v1/gateways/${site}/${gw}/commands/ping`, {})).status).toBe(404);

      // Secrets never reached a log.
      for (const c of [cloud, gateway]) {
        expect(c.output()).not.toContain(mqttPassword);
        expect(c.output()).not.toContain(code);
      }
    } finally {
      await gateway?.stop();
      await cloud.stop();
      t.cleanup();
    }
  }, 120_000);
});
