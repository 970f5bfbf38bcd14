/**
 * mqtts end to end: the embedded broker serves TLS with a key and certificate; the gateway's uplink
 * pins the CA (any other CA is refused in the handshake) and, when the broker requires it, presents a
 * client certificate. Certificates are made per run with openssl (a throwaway CA, never committed).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceEvent } from '@storesense/protocol';
import { MqttUplink, SqliteOutbox, silentLogger, systemClock } from '@storesense/gateway';
import { gatewayConfig, loadDeptStore, startCloud, tempDir, waitFor } from './harness.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasOpenssl) console.warn('skipping the mqtts tests: openssl is not installed (needed to make throwaway certificates)');

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by it. */
function makePki(dir: string, name: string): { ca: string; serverKey: string; serverCert: string; clientKey: string; clientCert: string } {
  const f = (s: string) => join(dir, `${name}-${s}`);
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', `/CN=${name} test CA`);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who}`);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${who}.pem`),
      '-days',
      '2',
      ...(who === 'server' ? ['-extfile', f('san.ext')] : []),
    );
  }
  return { ca: f('ca.pem'), serverKey: f('server.key'), serverCert: f('server.pem'), clientKey: f('client.key'), clientCert: f('client.pem') };
}

describe.skipIf(!hasOpenssl)('mqtts between gateway and cloud', () => {
  const tmp = tempDir('e2e-mqtts');
  const site = loadDeptStore();
  const gatewayId = site.gateways[0]!.id;
  let good: ReturnType<typeof makePki>;
  let other: ReturnType<typeof makePki>;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(() => {
    good = makePki(tmp.dir, 'good');
    other = makePki(tmp.dir, 'other');
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    tmp.cleanup();
  });

  const uplinkTo = (mqttUrl: string, dir: string, tls: { caFile: string; certFile?: string; keyFile?: string }) => {
    const outbox = new SqliteOutbox({ path: join(tmp.dir, dir, 'outbox.db'), maxRows: 1000, maxAgeMs: 3_600_000, clock: systemClock, logger: silentLogger() });
    const base = gatewayConfig(site, mqttUrl, join(tmp.dir, dir));
    const config = { ...base, mqtt: { ...base.mqtt, tls } };
    const uplink = new MqttUplink({
      config,
      outbox,
      clock: systemClock,
      logger: silentLogger(),
      password: 'tls-test-pw',
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
    cleanups.push(
      () => outbox.close(),
      () => uplink.stop(),
    );
    uplink.start();
    return { outbox, uplink };
  };
  const event = (i: number): Omit<PresenceEvent, 'seq'> => {
    const at = Date.now() - 1_000 + i;
    return {
      v: 1,
      id: `01TLSE2E${String(i).padStart(18, '0')}`,
      type: 'approach',
      at,
      detectedAt: at,
      siteId: site.id,
      gatewayId,
      subject: { id: `s_tls${i}`, signals: ['ble'] },
      visitId: `v${i}`,
      confidence: 0.9,
      model: { name: 'rules', version: '1' },
    };
  };

  it('serves mqtts; a gateway pinning the right CA delivers, one pinning another CA is refused in the handshake', async () => {
    const { cloud, endpoints } = await startCloud(join(tmp.dir, 'cloud1'), { brokerTls: { keyFile: good.serverKey, certFile: good.serverCert } });
    cleanups.push(() => cloud.stop());
    expect(endpoints.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    await cloud.provisionGateway({ siteId: site.id, gatewayId, password: 'tls-test-pw' });
    const ok = uplinkTo(endpoints.mqttUrl, 'gw-ok', { caFile: good.ca });
    ok.uplink.publishLive(ok.outbox.append([event(1), event(2)]));
    await waitFor('outbox drained over mqtts', () => ok.outbox.depth() === 0, 20_000);
    const wrong = uplinkTo(endpoints.mqttUrl, 'gw-wrong', { caFile: other.ca });
    await waitFor('a refused handshake', () => wrong.uplink.status().connection.failures > 0, 20_000);
    expect(wrong.uplink.connected).toBe(false);
    expect(cloud.metrics.get('broker.tls_refused')).toBeGreaterThan(0);
  });

  it('with a client CA, the broker requires a client certificate it signed', async () => {
    const { cloud, endpoints } = await startCloud(join(tmp.dir, 'cloud2'), {
      brokerTls: { keyFile: good.serverKey, certFile: good.serverCert, clientCaFile: good.ca },
    });
    cleanups.push(() => cloud.stop());
    await cloud.provisionGateway({ siteId: site.id, gatewayId, password: 'tls-test-pw' });
    const without = uplinkTo(endpoints.mqttUrl, 'gw-nocert', { caFile: good.ca });
    const foreign = uplinkTo(endpoints.mqttUrl, 'gw-foreign', { caFile: good.ca, certFile: other.clientCert, keyFile: other.clientKey });
    // Both are turned away in the TLS handshake (TLS 1.3: "certificate required" / "unknown CA"
    // alerts after the client's flight), so neither ever gets a CONNACK and both keep retrying.
    await waitFor(
      'refusals without a valid client certificate',
      () => without.uplink.status().connection.failures > 0 && foreign.uplink.status().connection.nextRetryInMs !== undefined,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(without.uplink.status().connection.connects).toBe(0);
    expect(foreign.uplink.status().connection.connects).toBe(0);
    await without.uplink.stop();
    await foreign.uplink.stop();
    const withCert = uplinkTo(endpoints.mqttUrl, 'gw-cert', { caFile: good.ca, certFile: good.clientCert, keyFile: good.clientKey });
    await waitFor('connected with a client certificate', () => withCert.uplink.connected, 20_000);
    withCert.uplink.publishLive(withCert.outbox.append([event(3)]));
    await waitFor('delivered with mutual TLS', () => withCert.outbox.depth() === 0, 20_000);
  });
});
