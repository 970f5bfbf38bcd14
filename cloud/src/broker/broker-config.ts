import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DYNSEC_PLUGIN_PATHS, randomBrokerPassword, renderDynsecFile, renderMosquittoConf, type BrokerAccount, type GatewayAccount } from './dynsec.js';

/** What `broker-config` writes next to mosquitto.conf (0600): every account's password, in the clear. */
export const brokerCredentialsSchema = z.object({
  v: z.literal(1),
  /** The broker as gateways and the cloud reach it, without credentials. */
  url: z.string(),
  admin: z.object({ username: z.string(), password: z.string() }),
  ingest: z.object({ username: z.string(), password: z.string() }),
  gateways: z.array(z.object({ siteId: z.string(), gatewayId: z.string(), username: z.string(), password: z.string() })),
});
export type BrokerCredentials = z.infer<typeof brokerCredentialsSchema>;

export interface BrokerConfigInput {
  outDir: string;
  port: number;
  /** Bind address of the listener. */
  host: string;
  /** Host in the URLs handed to the cloud and gateways (default: host, or 127.0.0.1 for a wildcard bind). */
  publicHost?: string;
  pluginPath: string;
  gateways: readonly GatewayAccount[];
  admin?: BrokerAccount;
  ingest?: BrokerAccount;
  /** Mosquitto's message store directory; off when absent. */
  persistenceDir?: string;
  /** `user` in mosquitto.conf: whom a broker started by root runs as. */
  user?: string;
}

export interface BrokerConfigFiles {
  conf: string;
  dynsec: string;
  credentials: string;
  /** The cloud's environment: STORESENSE_BROKER_URL (ingest account) and STORESENSE_BROKER_ADMIN_URL. */
  env: { STORESENSE_BROKER_URL: string; STORESENSE_BROKER_ADMIN_URL: string };
  credentialsValue: BrokerCredentials;
}

/** The first installed dynamic-security plugin among the usual paths. */
export function findDynsecPlugin(): string | undefined {
  return DYNSEC_PLUGIN_PATHS.find((p) => existsSync(p));
}

/** Broker URL carrying an account (mqtt.js reads username and password from it). */
export function accountUrl(url: string, account: BrokerAccount): string {
  const u = new URL(url);
  u.username = encodeURIComponent(account.username);
  u.password = encodeURIComponent(account.password);
  return u.toString().replace(/\/$/, '');
}

/**
 * Writes mosquitto.conf, the dynamic-security file and credentials.json into `outDir`. The plugin
 * rewrites its file on every live change, so an existing one (holding enrolments made since) is
 * never overwritten: the caller refuses first.
 */
export function writeBrokerConfig(input: BrokerConfigInput): BrokerConfigFiles {
  const outDir = resolve(input.outDir);
  mkdirSync(outDir, { recursive: true });
  const admin = input.admin ?? { username: 'storesense-admin', password: randomBrokerPassword() };
  const ingest = input.ingest ?? { username: 'storesense-cloud', password: randomBrokerPassword() };
  const conf = join(outDir, 'mosquitto.conf');
  const dynsec = join(outDir, 'dynamic-security.json');
  const credentials = join(outDir, 'credentials.json');
  const publicHost = input.publicHost ?? (input.host === '0.0.0.0' || input.host === '::' ? '127.0.0.1' : input.host);
  const url = `mqtt://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${input.port}`;
  writeFileSync(dynsec, `${JSON.stringify(renderDynsecFile({ admin, ingest, gateways: input.gateways }), null, 2)}\n`, { mode: 0o600 });
  writeFileSync(
    conf,
    renderMosquittoConf({
      port: input.port,
      host: input.host,
      pluginPath: input.pluginPath,
      dynsecFile: dynsec,
      ...(input.user ? { user: input.user } : {}),
      ...(input.persistenceDir ? { persistenceDir: `${resolve(input.persistenceDir)}/` } : {}),
    }),
  );
  const credentialsValue: BrokerCredentials = { v: 1, url, admin, ingest, gateways: input.gateways.map((g) => ({ ...g })) };
  writeFileSync(credentials, `${JSON.stringify(credentialsValue, null, 2)}\n`, { mode: 0o600 });
  return {
    conf,
    dynsec,
    credentials,
    credentialsValue,
    env: { STORESENSE_BROKER_URL: accountUrl(url, ingest), STORESENSE_BROKER_ADMIN_URL: accountUrl(url, admin) },
  };
}
