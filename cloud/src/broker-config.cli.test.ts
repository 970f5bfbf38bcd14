import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { brokerCredentialsSchema } from './broker/broker-config.js';
import { tempDir } from './testing/fixtures.js';
import { mosquittoUnavailable } from './testing/mosquitto.fixture.js';

const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const built = existsSync(cliPath);
if (!built) console.warn(`skipping broker-config CLI tests: ${cliPath} is missing (run npx tsc -b first)`);
const noMosquitto = mosquittoUnavailable();
const run = (args: string[]) => spawnSync(process.execPath, [cliPath, 'broker-config', ...args], { encoding: 'utf8' });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!built)('storesense-cloud broker-config', () => {
  it('refuses misuse with one line and exit 2', () => {
    const t = tempDir();
    try {
      for (const args of [[], ['--out', t.dir, '--port', 'abc'], ['--out', t.dir, '--fleet', '0']]) {
        const r = run(args);
        expect({ args, status: r.status }).toEqual({ args, status: 2 });
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
      expect(run(['--help']).stdout).toContain('dynamic-security.json');
    } finally {
      t.cleanup();
    }
  }, 60_000);

  it.skipIf(noMosquitto !== undefined)(
    'writes a config mosquitto runs, with a working account per fleet gateway; never overwrites live state',
    async () => {
      const t = tempDir();
      const port = await freePort();
      const user = process.getuid?.() === 0 ? ['--user', 'root'] : [];
      try {
        const r = run(['--out', t.dir, '--port', String(port), '--host', '127.0.0.1', '--fleet', '3', ...user]);
        expect(r.status).toBe(0);
        const creds = brokerCredentialsSchema.parse(JSON.parse(readFileSync(join(t.dir, 'credentials.json'), 'utf8')));
        expect(creds.gateways.map((g) => g.username)).toEqual(['fleet.gw-0001', 'fleet.gw-0002', 'fleet.gw-0003']);
        for (const g of creds.gateways) expect(r.stdout).not.toContain(g.password);
        for (const f of ['credentials.json', 'dynamic-security.json', 'cloud.env']) expect(statSync(join(t.dir, f)).mode & 0o077).toBe(0);
        expect(readFileSync(join(t.dir, 'cloud.env'), 'utf8')).toMatch(
          /^STORESENSE_BROKER_URL=mqtt:\/\/storesense-cloud:[^@]+@127\.0\.0\.1:\d+\nSTORESENSE_BROKER_ADMIN_URL=/,
        );

        const again = run(['--out', t.dir, '--port', String(port)]);
        expect(again.status).toBe(2);
        expect(again.stderr).toMatch(/exists.*--force/);

        const broker = spawn('mosquitto', ['-c', join(t.dir, 'mosquitto.conf')], { stdio: 'ignore' });
        try {
          const g = creds.gateways[1]!;
          let client: mqtt.MqttClient | undefined;
          for (let i = 0; i < 100 && !client; i++) {
            client = await mqtt
              .connectAsync(creds.url, { username: g.username, password: g.password, clientId: g.username, reconnectPeriod: 0 })
              .catch(async () => {
                await new Promise((res) => setTimeout(res, 50));
                return undefined;
              });
          }
          expect(client?.connected).toBe(true);
          await client?.endAsync(true);
        } finally {
          broker.kill();
        }
      } finally {
        t.cleanup();
      }
    },
    60_000,
  );
});
