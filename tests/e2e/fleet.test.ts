/**
 * `storesense-sim fleet` (the load generator) against a real cloud on ephemeral ports: the embedded
 * broker with gateways provisioned through the cloud, and (where Mosquitto and its dynamic-security
 * plugin are installed) `storesense-cloud broker-config` → `mosquitto -c` → a cloud on it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerCredentialsSchema, findDynsecPlugin } from '@storesense/cloud';
import { describe, expect, it } from 'vitest';
import { startCloud, tempDir, waitFor } from './harness.js';
import { freePort, repoRoot } from './processes.js';

const simCli = join(repoRoot, 'simulators/dist/cli.js');
const cloudCli = join(repoRoot, 'cloud/dist/cli.js');

function fleet(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [simCli, 'fleet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const noMosquitto = spawnSync('mosquitto', ['-h']).error !== undefined || findDynsecPlugin() === undefined;
if (noMosquitto) console.warn('fleet-on-mosquitto e2e skipped: mosquitto or its dynamic-security plugin is not installed');

describe('storesense-sim fleet', () => {
  it('misuse is one line and exit 2', async () => {
    const r = await fleet(['--gateways', '0', '--events-per-second', '10', '--to', 'mqtt://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^storesense-sim fleet: --gateways must be/)]);
    expect((await fleet(['--help'])).stdout).toContain('--events-per-second');
  });

  it('drives gateways with their own credentials into the embedded cloud: every event stored once and acked', async () => {
    const t = tempDir('storesense-fleet-');
    const { cloud, endpoints } = await startCloud(t.dir, { ackDelayMs: 5 });
    try {
      const gateways = [];
      for (let i = 1; i <= 5; i++) {
        const g = { siteId: 'fleet', gatewayId: `gw-${i}`, password: `fleet-password-${i}` };
        const { username } = await cloud.provisionGateway(g);
        gateways.push({ ...g, username });
      }
      const creds = join(t.dir, 'credentials.json');
      writeFileSync(creds, JSON.stringify({ gateways }));
      const r = await fleet(['--gateways', '5', '--events-per-second', '400', '--count', '400', '--to', endpoints.mqttUrl, '--credentials', creds, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as Record<string, number | null>;
      expect(summary).toMatchObject({ gateways: 5, sent: 400, acked: 400, unacked: 0, rejected: 0, publishErrors: 0, disconnects: 0 });
      expect(summary.ackP99Ms).toBeGreaterThanOrEqual(summary.ackP50Ms!);
      expect(cloud.metrics.get('ingest.stored')).toBe(400);
      expect(cloud.metrics.get('ingest.duplicate')).toBe(0);

      // A wrong password is refused by the broker: the run fails with one line, exit 1.
      writeFileSync(creds, JSON.stringify({ gateways: [{ ...gateways[0], password: 'wrong-password' }] }));
      const refused = await fleet(['--gateways', '1', '--events-per-second', '10', '--count', '1', '--to', endpoints.mqttUrl, '--credentials', creds]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/gateway fleet\/gw-1 could not connect/)]);
    } finally {
      await cloud.stop();
      t.cleanup();
    }
  }, 120_000);

  it.skipIf(noMosquitto)(
    'drives broker-config accounts through Mosquitto into a cloud on it (MQTT 5)',
    async () => {
      const t = tempDir('storesense-fleet-mosquitto-');
      const port = await freePort();
      const user = process.getuid?.() === 0 ? ['--user', 'root'] : [];
      const conf = spawnSync(
        process.execPath,
        [cloudCli, 'broker-config', '--out', t.dir, '--port', String(port), '--host', '127.0.0.1', '--fleet', '8', ...user],
        {
          encoding: 'utf8',
        },
      );
      expect(conf.status, conf.stderr).toBe(0);
      const broker = spawn('mosquitto', ['-c', join(t.dir, 'mosquitto.conf')], { stdio: 'ignore' });
      const creds = brokerCredentialsSchema.parse(JSON.parse(readFileSync(join(t.dir, 'credentials.json'), 'utf8')));
      const accountUrl = (a: { username: string; password: string }) => {
        const u = new URL(creds.url);
        u.username = a.username;
        u.password = a.password;
        return u.toString();
      };
      let running: Awaited<ReturnType<typeof startCloud>> | undefined;
      try {
        running = await waitFor('the cloud on mosquitto', () =>
          startCloud(join(t.dir, 'cloud'), { brokerUrl: accountUrl(creds.ingest), brokerAdminUrl: accountUrl(creds.admin), ackDelayMs: 5 }).catch(
            () => undefined,
          ),
        );
        const r = await fleet([
          '--gateways',
          '8',
          '--events-per-second',
          '400',
          '--count',
          '400',
          '--to',
          creds.url,
          '--credentials',
          join(t.dir, 'credentials.json'),
          '--mqtt-version',
          '5',
          '--json',
        ]);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ gateways: 8, sent: 400, acked: 400, unacked: 0 });
        expect(running.cloud.metrics.get('ingest.stored')).toBe(400);
      } finally {
        await running?.cloud.stop();
        broker.kill();
        t.cleanup();
      }
    },
    120_000,
  );
});
