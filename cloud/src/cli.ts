#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSiteFile, type Site } from '@storesense/firmware-config';
import { isValidId } from '@storesense/protocol';
import { z } from 'zod';
import { createCloud, type ProvisionGatewayInput } from './app.js';
import { firstOperatorFor } from './auth/first-operator.js';
import { checkStaffAgainstSites, loadStaffFile, type StaffSeed } from './auth/staff.seed.js';
import { createLogger } from './log.js';
import { isShareGroup } from './broker/broker-link.js';
import { checkWebhookUrl } from './offers/webhook.client.js';
import { loadMasterKey } from './store/key-sealer.js';
import { exitWhenFlushed, logLevel } from '@storesense/protocol/cli';
import { UsageError } from './usage-error.js';
import { runUserCommand } from './user.command.js';
import { runBrokerConfigCommand } from './broker-config.command.js';

const HELP = `storesense-cloud: broker, ingest, rules, staff alerts, API and live console

Usage: storesense-cloud user add --username U --role operator   (see storesense-cloud user --help)
       storesense-cloud broker-config --out DIR   (Mosquitto config; see storesense-cloud broker-config --help)
       storesense-cloud [--site FILE]... [--members CSV] [--gateway SITE.GW:PASSWORD]... [--gateways JSON]
                        [--staff JSON] [--open-alerts] [--allow-origin URL]...
                        [--offer-webhook URL [--offer-webhook-private] [--offer-webhook-prospects]]

Options:
  --site FILE          a site file (repeatable); store names, time zones, gateway stores
  --members CSV        members CSV (memberId,name,tier,tags,consent,tokenKey), imported on start
  --gateway S.G:PASS   provision gateway G of site S with a password (repeatable; visible in the
                       process list, prefer --gateways for real deployments)
  --gateways JSON      a file [{"siteId", "gatewayId", "password", "username"?}, ...]
  --staff JSON         staff accounts [{"username", "password", "displayName", "role"?, "siteId"?,
                       "storeIds"?}], role staff (default; needs siteId and storeIds), operator or
                       analyst; created or updated on start, passwords stored as scrypt hashes.
                       With sign-in required and no operator account, the cloud creates one on start
                       and prints its random password once on stdout (never logged)
  --open-alerts        also accept alert sockets without a ticket (every alert, no login): demos
                       only. Default: a ticket from POST /api/v1/alerts/ticket is required
  --allow-origin URL   a browser origin allowed on the alert socket besides the cloud's own
                       (repeatable), e.g. https://staff.example.com behind a proxy
  --offer-webhook URL  the member app's push service: each offer is POSTed there (JSON, retried
                       with backoff). https, or http to a loopback host only; no redirects followed
  --offer-webhook-private    allow the push service (and rule webhooks) on private-range addresses
  --offer-webhook-prospects  also push attract offers to prospects (the push service can reach them)
  -h, --help           this text

Environment:
  STORESENSE_HTTP_PORT   HTTP port (default 8080; a free port is used if 8080 is taken)
  STORESENSE_MQTT_PORT   embedded broker port (default 1883; a free port is used if taken)
  STORESENSE_HTTP_HOST   HTTP bind address (default 127.0.0.1; 0.0.0.0 to serve the LAN)
  STORESENSE_MQTT_HOST   broker bind address (default 127.0.0.1)
  STORESENSE_MQTT_TLS_KEY, STORESENSE_MQTT_TLS_CERT
                         PEM key and certificate: the embedded broker serves mqtts:// (TLS)
  STORESENSE_MQTT_TLS_CLIENT_CA
                         PEM CA: gateways must also present a client certificate it signed
  STORESENSE_DATA_DIR    data directory holding cloud.db (default ./data)
  STORESENSE_LOG_LEVEL   fatal, error, warn, info (default), debug, trace or silent; the same in every storesense process
  STORESENSE_DATABASE_URL  postgres://user@host:port/db: store in PostgreSQL instead of cloud.db (needs STORESENSE_MASTER_KEY)
  STORESENSE_REDIS_URL   redis://host:port: share alert fan-out, login throttle and rule/sign-out broadcasts between nodes (decision 102)
  STORESENSE_REDIS_PREFIX  prefix of every Redis key and channel (default storesense:), one per deployment sharing a Redis
  STORESENSE_MASTER_KEY  64 hex characters sealing member token keys at rest (default: a random key in <data dir>/cloud.db.key)
  STORESENSE_OFFER_WEBHOOK_SECRET  signs each offer push (storesense-signature: t=…,v1=HMAC-SHA256); an env var, not a flag, so it stays out of ps
  STORESENSE_BROKER_URL  use this external MQTT broker instead of the embedded one
  STORESENSE_PUBLIC_MQTT_URL  the broker address enrolled gateways are given (default: the broker's own,
                         e.g. mqtt://127.0.0.1:1883; set it when gateways reach the cloud by another name)
  STORESENSE_BROKER_ADMIN_URL  the external Mosquitto's dynamic-security admin (from broker-config):
                         provisioned and revoked gateways are updated on the broker live
  STORESENSE_BROKER_SHARE_GROUP  share group of the ingest subscriptions (default storesense; nodes
                         of one group split the events; "none" subscribes plainly)
  STORESENSE_BROKER_MQTT_VERSION  3.1.1 (default) or 5
  STORESENSE_BROKER_CONCURRENCY  messages in hand at once from the external broker (default 1; e.g.
                         64 on PostgreSQL: gateways side by side, each gateway's events in order)
  STORESENSE_LOG_LEVEL   pino level (default info); logs go to stderr
`;

const gatewaysFileSchema = z.array(z.object({ siteId: z.string(), gatewayId: z.string(), password: z.string().min(8), username: z.string().optional() }));

function fail(message: string): never {
  throw new UsageError(message);
}

/** Parses `site.gw:password` (the password may itself contain ':'). */
function parseGatewayFlag(flag: string): ProvisionGatewayInput {
  const colon = flag.indexOf(':');
  const dot = flag.indexOf('.');
  if (colon < 0 || dot < 0 || dot > colon) fail(`--gateway expects SITE.GATEWAY:PASSWORD, got "${flag.slice(0, Math.max(colon, 0)) || flag.slice(0, 20)}…"`);
  return { siteId: flag.slice(0, dot), gatewayId: flag.slice(dot + 1, colon), password: flag.slice(colon + 1) };
}

function portFromEnv(name: string, fallback: number): { port: number; explicit: boolean } {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return { port: fallback, explicit: false };
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`${name} must be a port number 0-65535, got "${raw}"`);
  return { port, explicit: true };
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, host, () => probe.close(() => done(true)));
  });
}

/** A default port that is taken falls back to a free one (said on stderr); an explicit one does not. */
async function choosePort(what: string, host: string, wanted: { port: number; explicit: boolean }): Promise<number> {
  if (wanted.port === 0 || wanted.explicit || (await portFree(host, wanted.port))) return wanted.port;
  process.stderr.write(`storesense-cloud: ${what} port ${wanted.port} on ${host} is taken; using a free port instead\n`);
  return 0;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'user') return runUserCommand(process.argv.slice(3));
  if (process.argv[2] === 'broker-config') return runBrokerConfigCommand(process.argv.slice(3));
  const { values } = parseArgs({
    options: {
      site: { type: 'string', multiple: true, default: [] },
      members: { type: 'string' },
      gateway: { type: 'string', multiple: true, default: [] },
      gateways: { type: 'string' },
      staff: { type: 'string' },
      'open-alerts': { type: 'boolean', default: false },
      'allow-origin': { type: 'string', multiple: true, default: [] },
      'offer-webhook': { type: 'string' },
      'offer-webhook-private': { type: 'boolean', default: false },
      'offer-webhook-prospects': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }

  // Refuse to start on any invalid input, reporting every problem at once (architecture §7 habit 4).
  const problems: string[] = [];
  const sites: Site[] = [];
  for (const file of values.site) {
    const loaded = loadSiteFile(resolve(file));
    if (loaded.ok) sites.push(loaded.value);
    else problems.push(...loaded.issues.map((i) => `${file}: ${i}`));
  }
  const gateways: ProvisionGatewayInput[] = [];
  for (const flag of values.gateway) {
    try {
      gateways.push(parseGatewayFlag(flag));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (values.gateways) {
    try {
      const parsed = gatewaysFileSchema.safeParse(JSON.parse(readFileSync(values.gateways, 'utf8')));
      if (parsed.success) gateways.push(...parsed.data.map((g) => ({ ...g, ...(g.username ? { username: g.username } : {}) })));
      else problems.push(...parsed.error.issues.map((i) => `${values.gateways}: [${i.path.join('.')}] ${i.message}`));
    } catch (err) {
      problems.push(`${values.gateways}: ${(err as Error).message}`);
    }
  }
  for (const g of gateways) {
    if (!isValidId(g.siteId) || !isValidId(g.gatewayId)) problems.push(`gateway ${g.siteId}.${g.gatewayId}: site and gateway ids must be valid ids`);
    if (g.password.length < 8) problems.push(`gateway ${g.siteId}.${g.gatewayId}: password must have at least 8 characters`);
  }
  let staff: StaffSeed[] = [];
  if (values.staff) {
    const loaded = loadStaffFile(resolve(values.staff));
    if (loaded.ok) staff = loaded.staff;
    else problems.push(...loaded.issues.map((i) => `${values.staff}: ${i}`));
    problems.push(...checkStaffAgainstSites(staff, sites).map((p) => `${values.staff}: ${p}`));
  }
  for (const origin of values['allow-origin']) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`--allow-origin expects scheme://host[:port] without a path, got "${origin}"`);
  }
  const allowPrivateNetworks = values['offer-webhook-private'];
  if (values['offer-webhook']) {
    const checked = checkWebhookUrl(values['offer-webhook'], { allowPrivateNetworks });
    if (!checked.ok) problems.push(`--offer-webhook: ${checked.reason}`);
  }
  // Several nodes share one PostgreSQL database (decision 77): each must seal member token keys
  // with the same master key, so a per-node key file would lock the second node out.
  const databaseUrl = process.env.STORESENSE_DATABASE_URL || undefined;
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('STORESENSE_DATABASE_URL: expected postgres://user@host:port/database');
    if (!process.env.STORESENSE_MASTER_KEY)
      problems.push('STORESENSE_DATABASE_URL needs STORESENSE_MASTER_KEY (64 hex): every node sharing the database must seal token keys with the same key');
  }
  const redisUrl = process.env.STORESENSE_REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) problems.push('STORESENSE_REDIS_URL: expected redis://host:port or rediss://host:port');
  try {
    logLevel(undefined); // STORESENSE_LOG_LEVEL, checked with the rest (decision 141)
  } catch (err) {
    problems.push((err as Error).message);
  }
  const brokerUrl = process.env.STORESENSE_BROKER_URL || undefined;
  const brokerAdminUrl = process.env.STORESENSE_BROKER_ADMIN_URL || undefined;
  const shareGroupEnv = process.env.STORESENSE_BROKER_SHARE_GROUP || undefined;
  const mqttVersionEnv = process.env.STORESENSE_BROKER_MQTT_VERSION || undefined;
  const concurrencyEnv = process.env.STORESENSE_BROKER_CONCURRENCY || undefined;
  if ((brokerAdminUrl || shareGroupEnv || mqttVersionEnv || concurrencyEnv) && !brokerUrl)
    problems.push('STORESENSE_BROKER_ADMIN_URL, _SHARE_GROUP, _MQTT_VERSION and _CONCURRENCY apply to an external broker: set STORESENSE_BROKER_URL');
  const brokerConcurrency = concurrencyEnv === undefined ? undefined : Number(concurrencyEnv);
  if (brokerConcurrency !== undefined && (!Number.isInteger(brokerConcurrency) || brokerConcurrency < 1 || brokerConcurrency > 1024))
    problems.push(`STORESENSE_BROKER_CONCURRENCY must be a whole number 1-1024, got "${concurrencyEnv}"`);
  if (shareGroupEnv !== undefined && shareGroupEnv !== 'none' && !isShareGroup(shareGroupEnv))
    problems.push(`STORESENSE_BROKER_SHARE_GROUP "${shareGroupEnv}" must be a name without '/', '+' or '#' (or none)`);
  if (mqttVersionEnv !== undefined && !['3.1.1', '4', '5'].includes(mqttVersionEnv))
    problems.push(`STORESENSE_BROKER_MQTT_VERSION must be 3.1.1 or 5, got "${mqttVersionEnv}"`);
  if (problems.length > 0) fail(`invalid configuration:\n  ${problems.join('\n  ')}`);

  const httpHost = process.env.STORESENSE_HTTP_HOST || '127.0.0.1';
  const mqttHost = process.env.STORESENSE_MQTT_HOST || '127.0.0.1';
  const httpPort = await choosePort('HTTP', httpHost, portFromEnv('STORESENSE_HTTP_PORT', 8080));
  const mqttPort = brokerUrl ? 0 : await choosePort('MQTT', mqttHost, portFromEnv('STORESENSE_MQTT_PORT', 1883));
  const logger = createLogger({ destination: process.stderr });
  const dataDir = resolve(process.env.STORESENSE_DATA_DIR || './data');
  // STORESENSE_MASTER_KEY (64 hex, from a secret manager) seals member token keys at rest;
  // without it the store keeps a random key in <dataDir>/cloud.db.key.
  const masterKeyHex = process.env.STORESENSE_MASTER_KEY;
  const cloud = createCloud({
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    ...(process.env.STORESENSE_REDIS_PREFIX ? { redisPrefix: process.env.STORESENSE_REDIS_PREFIX } : {}),
    ...(masterKeyHex ? { masterKey: loadMasterKey({ envValue: masterKeyHex, filePath: join(dataDir, 'cloud.db.key') }) } : {}),
    httpHost,
    httpPort,
    mqttHost,
    mqttPort,
    sites,
    logger,
    staff,
    staffAuth: values['open-alerts'] ? 'open' : 'required',
    allowedOrigins: values['allow-origin'],
    ...(brokerUrl ? { brokerUrl } : {}),
    ...(process.env.STORESENSE_PUBLIC_MQTT_URL ? { publicMqttUrl: process.env.STORESENSE_PUBLIC_MQTT_URL } : {}),
    ...(brokerAdminUrl ? { brokerAdminUrl } : {}),
    ...(shareGroupEnv ? { brokerShareGroup: shareGroupEnv === 'none' ? null : shareGroupEnv } : {}),
    ...(mqttVersionEnv === '5' ? { brokerProtocolVersion: 5 as const } : {}),
    ...(brokerConcurrency !== undefined ? { brokerConcurrency } : {}),
    ...brokerTlsFromEnv(),
    ...(values.members ? { membersCsvPath: resolve(values.members) } : {}),
    ...(values['offer-webhook']
      ? {
          offerDelivery: {
            url: values['offer-webhook'],
            allowPrivateNetworks,
            prospects: values['offer-webhook-prospects'],
            ...(process.env.STORESENSE_OFFER_WEBHOOK_SECRET ? { secret: process.env.STORESENSE_OFFER_WEBHOOK_SECRET } : {}),
          },
        }
      : {}),
    webhookPolicy: { allowPrivateNetworks },
  });

  const endpoints = await cloud.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    cloud.stop().then(
      () => exitWhenFlushed(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        exitWhenFlushed(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  // A cloud requiring sign-in with no operator would be a dead login: create the first one and
  // print its random password once, on stdout only (the logger never sees it; decision 74).
  const first = values['open-alerts'] || !cloud.store ? undefined : firstOperatorFor(await cloud.store.listStaff());
  if (first) {
    await cloud.seedStaff([first.seed]);
    logger.warn({ username: first.username }, 'no operator account: created the first operator (password printed once on stdout)');
    process.stdout.write(
      `first operator created: username ${first.username} password ${first.password}
  (shown once; sign in at the console, then replace it: storesense-cloud user add --username ${first.username} --role operator)
`,
    );
  }
  for (const g of gateways) {
    const { username } = await cloud.provisionGateway(g);
    process.stdout.write(`provisioned gateway ${g.siteId}/${g.gatewayId} (mqtt username ${username})\n`);
  }
  process.stdout.write(
    `storesense cloud running\n  console  ${endpoints.httpUrl}/\n  staff    ${endpoints.httpUrl}/staff\n  api      ${endpoints.httpUrl}/api/v1/health\n  alerts   ${endpoints.httpUrl.replace(/^http/, 'ws')}/api/v1/alerts/ws (${values['open-alerts'] ? 'open: no ticket needed' : 'ticket required'})\n  mqtt     ${endpoints.mqttUrl}${brokerUrl ? ' (external)' : ''}\n`,
  );
}

main().catch((err: unknown) => {
  const { line, code } = describeFailure(err);
  process.stderr.write(`storesense-cloud: ${line}\n`);
  exitWhenFlushed(code);
});

/**
 * One line for what a person can fix (a bad flag, a busy or forbidden port), exit 2 for misuse;
 * only an unexpected failure (a bug) keeps its stack trace.
 */
function describeFailure(err: unknown): { line: string; code: number } {
  if (err instanceof UsageError) return { line: err.message, code: 2 };
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (typeof e?.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) return { line: `${e.message} (see --help)`, code: 2 };
  if (e?.syscall === 'listen' && (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL')) {
    const where = `${e.address ?? '?'}:${e.port ?? '?'}`;
    const why =
      e.code === 'EADDRINUSE'
        ? 'the port is in use by another process'
        : e.code === 'EACCES'
          ? 'not permitted (ports below 1024 need privileges)'
          : 'no such local address';
    return {
      line: `cannot listen on ${where}: ${why} (${e.code}); set STORESENSE_HTTP_PORT / STORESENSE_MQTT_PORT (0 = any free port) or the _HOST variables`,
      code: 1,
    };
  }
  return { line: (err as Error)?.stack ?? String(err), code: 1 };
}

/** mqtts for the embedded broker from the environment; half a pair is a usage error, not a silent plain listener. */
function brokerTlsFromEnv(): { brokerTls?: { keyFile: string; certFile: string; clientCaFile?: string } } {
  const keyFile = process.env.STORESENSE_MQTT_TLS_KEY || undefined;
  const certFile = process.env.STORESENSE_MQTT_TLS_CERT || undefined;
  const clientCaFile = process.env.STORESENSE_MQTT_TLS_CLIENT_CA || undefined;
  if (!keyFile && !certFile) {
    if (clientCaFile) throw new UsageError('STORESENSE_MQTT_TLS_CLIENT_CA needs STORESENSE_MQTT_TLS_KEY and STORESENSE_MQTT_TLS_CERT');
    return {};
  }
  if (!keyFile || !certFile) throw new UsageError('set both STORESENSE_MQTT_TLS_KEY and STORESENSE_MQTT_TLS_CERT for mqtts');
  return { brokerTls: { keyFile: resolve(keyFile), certFile: resolve(certFile), ...(clientCaFile ? { clientCaFile: resolve(clientCaFile) } : {}) } };
}
