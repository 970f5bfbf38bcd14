import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isValidId } from '@storesense/protocol';
import { z } from 'zod';
import { findDynsecPlugin, writeBrokerConfig } from './broker/broker-config.js';
import { gatewayUsername } from './broker/credentials.js';
import { randomBrokerPassword, type GatewayAccount } from './broker/dynsec.js';
import { UsageError } from './usage-error.js';

export const BROKER_CONFIG_HELP = `storesense-cloud broker-config: Mosquitto 2 configuration for the scale path (dynamic security)

Usage: storesense-cloud broker-config --out DIR [--port 1883] [--host 0.0.0.0] [--public-host H]
                        [--gateways JSON] [--fleet N [--fleet-site S]] [--plugin PATH]
                        [--user NAME] [--persistence DIR] [--force]

Writes into DIR:
  mosquitto.conf          no anonymous access, the dynamic-security plugin, one listener
  dynamic-security.json   accounts, roles and ACLs (passwords as PBKDF2 hashes; 0600): an admin,
                          the cloud's ingest account, one account and role per gateway limited to
                          its own topics (client id = username = SITE.GATEWAY)
  credentials.json        every account's password in the clear (0600): keep it secret; the
                          load generator reads it (storesense-sim fleet --credentials)
  cloud.env               STORESENSE_BROKER_URL (ingest account) and STORESENSE_BROKER_ADMIN_URL
                          (admin account) for the cloud nodes (0600)
Start the broker with: mosquitto -c DIR/mosquitto.conf. With STORESENSE_BROKER_ADMIN_URL set, the
cloud adds, re-keys and removes gateway accounts on the running broker (no restart).

Options:
  --out DIR          output directory (created when missing)
  --port N           listener port (default 1883)
  --host H           listener bind address (default 0.0.0.0)
  --public-host H    host in the URLs written for the cloud and gateways (default: --host, or
                     127.0.0.1 for a wildcard bind)
  --gateways JSON    gateways to create, as for the cloud: [{"siteId", "gatewayId", "password"}, ...]
  --fleet N          also N simulated gateways (gw-0001 …) with random passwords, for load tests
  --fleet-site S     their site id (default fleet)
  --plugin PATH      mosquitto_dynamic_security.so where mosquitto runs (default: found in the usual
                     library paths here)
  --user NAME        the account mosquitto runs as when started by root (it must own DIR)
  --persistence DIR  mosquitto's message store directory (default: persistence off)
  --force            overwrite an existing dynamic-security.json (it holds every change made live)
  -h, --help         this text
`;

const gatewaysFileSchema = z.array(z.object({ siteId: z.string(), gatewayId: z.string(), password: z.string().min(8), username: z.string().optional() }));

/** `storesense-cloud broker-config …`. */
export async function runBrokerConfigCommand(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string' },
      port: { type: 'string', default: '1883' },
      host: { type: 'string', default: '0.0.0.0' },
      'public-host': { type: 'string' },
      gateways: { type: 'string' },
      fleet: { type: 'string' },
      'fleet-site': { type: 'string', default: 'fleet' },
      plugin: { type: 'string' },
      user: { type: 'string' },
      persistence: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(BROKER_CONFIG_HELP);
    return;
  }
  if (!values.out) throw new UsageError('broker-config needs --out DIR');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a port number 1-65535, got "${values.port}"`);
  const pluginPath = values.plugin ?? findDynsecPlugin();
  if (!pluginPath) throw new UsageError('mosquitto_dynamic_security.so not found in the usual paths: pass --plugin PATH');
  // A config rendered for another machine or container (docker-compose's scale profile) names the
  // plugin where mosquitto runs: said, not refused.
  if (values.plugin && !existsSync(values.plugin))
    process.stderr.write(`broker-config: note: --plugin ${values.plugin} is not on this machine; it must exist where mosquitto runs\n`);
  const outDir = resolve(values.out);
  if (existsSync(join(outDir, 'dynamic-security.json')) && !values.force)
    throw new UsageError(`${join(outDir, 'dynamic-security.json')} exists and may hold gateways enrolled since: pass --force to replace it`);

  const gateways: GatewayAccount[] = [];
  if (values.gateways) {
    let parsed: z.ZodSafeParseResult<z.infer<typeof gatewaysFileSchema>>;
    try {
      parsed = gatewaysFileSchema.safeParse(JSON.parse(readFileSync(values.gateways, 'utf8')));
    } catch (err) {
      throw new UsageError(`${values.gateways}: ${(err as Error).message}`);
    }
    if (!parsed.success) throw new UsageError(`${values.gateways}: ${parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
    for (const g of parsed.data) {
      if (!isValidId(g.siteId) || !isValidId(g.gatewayId))
        throw new UsageError(`${values.gateways}: gateway ${g.siteId}.${g.gatewayId}: ids must be valid ids`);
      gateways.push({ siteId: g.siteId, gatewayId: g.gatewayId, username: g.username ?? gatewayUsername(g.siteId, g.gatewayId), password: g.password });
    }
  }
  if (values.fleet !== undefined) {
    const n = Number(values.fleet);
    if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new UsageError(`--fleet must be a whole number 1-100000, got "${values.fleet}"`);
    const site = values['fleet-site'];
    if (!isValidId(site)) throw new UsageError(`--fleet-site "${site}" is not a valid id`);
    const width = Math.max(4, String(n).length);
    for (let i = 1; i <= n; i++) {
      const gatewayId = `gw-${String(i).padStart(width, '0')}`;
      gateways.push({ siteId: site, gatewayId, username: gatewayUsername(site, gatewayId), password: randomBrokerPassword() });
    }
  }
  const seen = new Set<string>();
  for (const g of gateways) {
    if (seen.has(g.username)) throw new UsageError(`gateway ${g.username} is listed twice`);
    seen.add(g.username);
  }

  const files = writeBrokerConfig({
    outDir,
    port,
    host: values.host,
    pluginPath,
    gateways,
    ...(values['public-host'] ? { publicHost: values['public-host'] } : {}),
    ...(values.user ? { user: values.user } : {}),
    ...(values.persistence ? { persistenceDir: values.persistence } : {}),
  });
  const envFile = join(outDir, 'cloud.env');
  writeFileSync(envFile, `STORESENSE_BROKER_URL=${files.env.STORESENSE_BROKER_URL}\nSTORESENSE_BROKER_ADMIN_URL=${files.env.STORESENSE_BROKER_ADMIN_URL}\n`, {
    mode: 0o600,
  });
  // Paths only: the passwords stay in the 0600 files.
  process.stdout.write(
    `wrote ${files.conf}\nwrote ${files.dynsec} (${gateways.length} gateway account${gateways.length === 1 ? '' : 's'}, admin, ingest)\nwrote ${files.credentials}\nwrote ${envFile}\nstart the broker: mosquitto -c ${files.conf}\n`,
  );
}
