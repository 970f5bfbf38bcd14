/**
 * Cloud ingest, side by side in one run (issue 12): bare aedes doing the relay-and-ack job alone,
 * the embedded default (aedes + SQLite) and one node on PostgreSQL behind Mosquitto 2 (dynamic security, shared subscription), each driven by
 * `storesense-sim fleet` in its own process with G gateway connections publishing QoS 1 events.
 * Two loads per configuration, alternating configurations: a burst of B events offered at once
 * (events/s stored and acked = the ceiling) and a steady R events/s for S seconds (publish→ack
 * p50/p99 below the ceiling; `auto`: half the lower of the two ceilings just measured, the same
 * rate for both). The cloud runs in this process; Mosquitto in its own.
 * Usage: node bench/dist/cloud-ingest.bench.js [gateways=100] [burst=10000] [rate=auto] [seconds=10]
 * (PostgreSQL at STORESENSE_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
 * the PostgreSQL + Mosquitto rows are left out, saying why, when either is missing;
 * BENCH_CLOUD_CONFIGS=bare-aedes,embedded runs only those). One JSON line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codecs, filters, parseTopic, topics } from '@storesense/protocol';
import { Aedes } from 'aedes';
import { createCloud, createLogger, findDynsecPlugin, writeBrokerConfig, type Cloud } from '@storesense/cloud';
import { report } from './stats.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const simCli = join(root, 'simulators/dist/cli.js');
const pgUrl = process.env.STORESENSE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const gateways = Number(process.argv[2] ?? 100);
const burst = Number(process.argv[3] ?? 10_000);
const rateArg = process.argv[4] ?? 'auto';
const seconds = Number(process.argv[5] ?? 10);
const concurrency = Number(process.env.BENCH_BROKER_CONCURRENCY ?? 64);
// Which configurations to run (comma-separated), all by default.
const configs = (process.env.BENCH_CLOUD_CONFIGS ?? 'bare-aedes,embedded,postgres+mosquitto').split(',');
const logger = createLogger({ level: 'silent' });

interface FleetSummary {
  sent: number;
  acked: number;
  unacked: number;
  sentPerSecond: number;
  ackedPerSecond: number;
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  ackMaxMs: number | null;
}

interface Target {
  name: string;
  /** Events stored so far (for bare aedes: events the subscriber received and queued an ack for). */
  stored(): number;
  mqttUrl: string;
  credentialsFile: string;
  stop(): Promise<void>;
}

function runFleet(t: Target, args: string[]): Promise<FleetSummary & { storedPerSecond: number }> {
  const before = t.stored();
  // Stored events over time, polled: events/s stored from the first to the last one stored.
  let first = 0;
  let last = 0;
  let seen = before;
  const poll = setInterval(() => {
    const n = t.stored();
    if (n > seen) {
      if (first === 0) first = performance.now();
      last = performance.now();
      seen = n;
    }
  }, 10);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [simCli, 'fleet', '--gateways', String(gateways), '--to', t.mqttUrl, '--credentials', t.credentialsFile, '--drain', '60s', '--json', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearInterval(poll);
      const line = out.trim().split('\n').pop() ?? '';
      if (!line.startsWith('{')) return reject(new Error(`fleet on ${t.name} failed (exit ${code}): ${err.trim()}`));
      const stored = seen - before;
      resolvePromise({ ...(JSON.parse(line) as FleetSummary), storedPerSecond: last > first ? Math.round((stored - 1) / ((last - first) / 1000)) : 0 });
    });
  });
}

async function provision(cloud: Cloud | undefined, dir: string): Promise<string> {
  const list = [];
  for (let i = 1; i <= gateways; i++) {
    const g = { siteId: 'bench', gatewayId: `gw-${String(i).padStart(4, '0')}`, password: randomBytes(12).toString('hex') };
    const username = cloud ? (await cloud.provisionGateway(g)).username : `${g.siteId}.${g.gatewayId}`;
    list.push({ ...g, username });
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'credentials.json');
  writeFileSync(file, JSON.stringify({ gateways: list }), { mode: 0o600 });
  return file;
}

async function embedded(dir: string): Promise<Target> {
  const cloud = createCloud({ dataDir: join(dir, 'embedded'), logger });
  const { mqttUrl } = await cloud.start();
  return {
    name: 'embedded',
    stored: () => cloud.metrics.get('ingest.stored'),
    mqttUrl,
    credentialsFile: await provision(cloud, join(dir, 'embedded')),
    stop: () => cloud.stop(),
  };
}

/**
 * The same job on bare aedes, the ceiling the embedded default is compared with: no
 * authentication, no validation, no storage; an in-process subscriber reads each event's id and
 * acks it on the gateway's ack topic, batched per gateway over 20 ms like the cloud's ack batcher.
 */
async function bareAedes(dir: string): Promise<Target> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  let received = 0;
  const pending = new Map<string, string[]>();
  const flush = (topic: string) => {
    const ids = pending.get(topic)!;
    pending.delete(topic);
    broker.publish({ cmd: 'publish', topic, payload: codecs.ack.encode({ v: 1, at: Date.now(), ids }), qos: 1, retain: false, dup: false }, () => undefined);
  };
  await new Promise<void>((ok) =>
    broker.subscribe(
      filters.allEvents,
      (packet, cb) => {
        const parsed = parseTopic(packet.topic);
        const id = (JSON.parse(packet.payload.toString()) as { id?: string }).id;
        if (parsed && parsed.kind === 'event' && typeof id === 'string') {
          received++;
          const topic = topics.ack(parsed.siteId, parsed.gatewayId);
          const ids = pending.get(topic);
          if (ids) ids.push(id);
          else {
            pending.set(topic, [id]);
            setTimeout(() => flush(topic), 20);
          }
        }
        // Not synchronously: mqemitter would then deliver its whole queue in one deepening stack.
        queueMicrotask(cb);
      },
      ok,
    ),
  );
  return {
    name: 'bare-aedes',
    stored: () => received,
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    credentialsFile: await provision(undefined, join(dir, 'bare')),
    async stop() {
      await new Promise<void>((ok) => broker.close(() => ok()));
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** Why the PostgreSQL + Mosquitto configuration cannot run here, or undefined. */
async function scaleUnavailable(): Promise<string | undefined> {
  if (spawnSync('mosquitto', ['-h']).error) return 'no mosquitto binary';
  if (!findDynsecPlugin()) return 'no mosquitto dynamic-security plugin';
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${pgUrl} unreachable (${(err as Error).message})`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function postgresMosquitto(dir: string): Promise<Target> {
  const { default: pg } = await import('pg');
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const sql = async (q: string) => {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  await sql(`CREATE SCHEMA ${schema}`);
  const port = await freePort();
  const files = writeBrokerConfig({
    outDir: join(dir, 'mosquitto'),
    port,
    host: '127.0.0.1',
    pluginPath: findDynsecPlugin()!,
    gateways: [],
    ...(process.getuid?.() === 0 ? { user: 'root' } : {}),
  });
  const broker = spawn('mosquitto', ['-c', files.conf], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((ok) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        ok(true);
      });
      s.once('error', () => ok(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const cloud = createCloud({
    dataDir: join(dir, 'pg'),
    databaseUrl: url.toString(),
    masterKey: randomBytes(32),
    brokerUrl: files.env.STORESENSE_BROKER_URL,
    brokerAdminUrl: files.env.STORESENSE_BROKER_ADMIN_URL,
    // Gateways side by side, each in order (decision 114): what an operator sets on this path.
    brokerConcurrency: concurrency,
    logger,
  });
  await cloud.start();
  return {
    name: 'postgres+mosquitto',
    stored: () => cloud.metrics.get('ingest.stored'),
    mqttUrl: files.credentialsValue.url,
    credentialsFile: await provision(cloud, join(dir, 'pg')),
    async stop() {
      await cloud.stop();
      broker.kill();
      await sql(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'storesense-cloud-bench-'));
const targets: Target[] = [];
try {
  if (configs.includes('bare-aedes')) targets.push(await bareAedes(dir));
  if (configs.includes('embedded')) targets.push(await embedded(dir));
  const why = configs.includes('postgres+mosquitto') ? await scaleUnavailable() : undefined;
  if (why) process.stderr.write(`cloud-ingest: PostgreSQL + Mosquitto left out: ${why}\n`);
  else if (configs.includes('postgres+mosquitto')) targets.push(await postgresMosquitto(dir));

  const results: Record<string, { burst?: FleetSummary & { storedPerSecond: number }; steady?: FleetSummary & { storedPerSecond: number } }> = {};
  // Alternating configurations, so load from other processes hits both alike.
  let rate = Number(rateArg);
  for (const load of ['burst', 'steady'] as const) {
    if (load === 'steady' && rateArg === 'auto') rate = Math.max(10, Math.round(0.5 * Math.min(...targets.map((t) => results[t.name]!.burst!.ackedPerSecond))));
    for (const t of targets) {
      const args =
        load === 'burst'
          ? ['--events-per-second', String(burst * 100), '--count', String(burst), '--duration', '60s']
          : ['--events-per-second', String(rate), '--duration', `${seconds}s`];
      results[t.name] = { ...results[t.name], [load]: await runFleet(t, args) };
      process.stderr.write(`cloud-ingest: ${t.name} ${load}: ${JSON.stringify(results[t.name]![load])}\n`);
    }
  }
  report({
    gateways,
    burst,
    rate,
    seconds,
    brokerConcurrency: concurrency,
    loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
    configurations: Object.entries(results).map(([name, r]) => ({ name, ...r })),
  });
} finally {
  for (const t of targets) await t.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
