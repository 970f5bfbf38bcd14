import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoMembersPath, exampleSitePath } from '@storesense/firmware-config';
import { codecs, staffFrameSchema, topics, type StaffFrame } from '@storesense/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeEvent, tempDir } from './testing/fixtures.js';
import { connectClient, waitFor } from './testing/harness.js';
import { dropSchema, freshSchemaName, pgQuery, postgresUnavailable, urlWithSchema } from './testing/postgres.fixture.js';
import { deleteRedisPrefix, freshRedisPrefix, REDIS_TEST_URL, redisUnavailable } from './testing/redis.fixture.js';

// Two cloud processes (the built CLI) sharing one PostgreSQL schema and one Redis prefix
// (decisions 100-103). A staff member signs in on node A and opens the alert socket on node B with
// A's ticket; a gateway publishes to A; node B is killed with SIGKILL and the socket resumes on A.
const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const unavailable = existsSync(cliPath) ? ((await postgresUnavailable()) ?? (await redisUnavailable())) : `${cliPath} is missing (run npx tsc -b first)`;
if (unavailable !== undefined && !existsSync(cliPath)) console.warn(`skipping cluster CLI test: ${unavailable}`);

const SITE = 'mall-sh-01';
const GW = 'gw-dept-1';
const GW_PASSWORD = 'cluster-gw-password';

interface Node {
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
  httpUrl: string;
  mqttUrl: string;
  out: { stdout: string; stderr: string };
}

async function startNode(env: Record<string, string>): Promise<Node> {
  const args = ['--site', exampleSitePath('dept-store'), '--members', demoMembersPath, '--gateway', `${SITE}.${GW}:${GW_PASSWORD}`];
  const staff = fileURLToPath(new URL('../demo/staff.json', import.meta.url));
  const child = spawn(process.execPath, [cliPath, ...args, '--staff', staff], { env: { ...process.env, STORESENSE_LOG_LEVEL: 'warn', ...env } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => out.stdout.includes('storesense cloud running') || child.exitCode !== null, 30_000, 'cli start');
  if (!out.stdout.includes('storesense cloud running')) throw new Error(`node did not start: ${out.stderr.slice(-2000)}`);
  return {
    kill: (signal) => child.kill(signal),
    exited,
    httpUrl: /console\s+(http:\/\/\S+)\//.exec(out.stdout)![1]!,
    mqttUrl: /mqtt\s+(mqtt:\/\/\S+)/.exec(out.stdout)![1]!,
    out,
  };
}

async function ticketFrom(node: Node, username: string): Promise<{ ticket: string; token: string }> {
  const login = await fetch(`${node.httpUrl}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username, password: 'demo-staff-pass' }) });
  const { token } = (await login.json()) as { token: string };
  const r = await fetch(`${node.httpUrl}/api/v1/alerts/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return { ticket: ((await r.json()) as { ticket: string }).ticket, token };
}

function openSocket(url: string) {
  const ws = new WebSocket(url);
  const frames: StaffFrame[] = [];
  let closed = false;
  ws.on('message', (data) => frames.push(staffFrameSchema.parse(JSON.parse(String(data)))));
  ws.on('error', () => undefined);
  ws.on('close', () => {
    closed = true;
  });
  return { ws, frames, closed: () => closed, alerts: () => frames.flatMap((f) => (f.type === 'alert' ? [f.alert] : [])) };
}

describe.skipIf(unavailable !== undefined)('two cloud processes on PostgreSQL + Redis', () => {
  const schema = freshSchemaName();
  const prefix = freshRedisPrefix();
  const dirs = [tempDir(), tempDir()];
  let a: Node;
  let b: Node;

  beforeAll(async () => {
    await pgQuery(`CREATE SCHEMA ${schema}`);
    const masterKey = randomBytes(32).toString('hex'); // shared: every node seals with it (decision 77)
    const env = (i: number) => ({
      STORESENSE_DATA_DIR: join(dirs[i]!.dir, 'data'),
      STORESENSE_HTTP_PORT: '0',
      STORESENSE_MQTT_PORT: '0',
      STORESENSE_DATABASE_URL: urlWithSchema(schema),
      STORESENSE_MASTER_KEY: masterKey,
      STORESENSE_REDIS_URL: REDIS_TEST_URL,
      STORESENSE_REDIS_PREFIX: prefix,
    });
    a = await startNode(env(0));
    b = await startNode(env(1));
  }, 90_000);
  afterAll(async () => {
    a?.kill('SIGTERM');
    b?.kill('SIGKILL');
    await a?.exited;
    await dropSchema(schema);
    await deleteRedisPrefix(prefix);
    for (const d of dirs) d.cleanup();
  });

  it('A’s ticket opens B’s socket; alerts from A reach it; after SIGKILL of B it resumes on A with exactly what it missed', async () => {
    const wang = await ticketFrom(a, 'wang');
    const onB = openSocket(`${b.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws?since=0&ticket=${wang.ticket}`);
    await waitFor(() => onB.frames.some((f) => f.type === 'hello'), 10_000, 'hello on B');

    const gw = await connectClient(a.mqttUrl, `${SITE}.${GW}`, GW_PASSWORD);
    const now = Date.now();
    const publish = async (memberId: string, i: number) => {
      const e = makeEvent({ siteId: SITE, gatewayId: GW, type: 'arrival', at: now + i * 1000, subject: { id: `s_${memberId}`, signals: ['ble'], memberId } });
      await gw.publishAsync(topics.event(SITE, GW, 'arrival'), codecs.event.encode(e), { qos: 1 });
      return e;
    };
    try {
      const first = await publish('M0001', 0);
      await waitFor(() => onB.alerts().length === 1, 10_000, 'alert from A on B');
      expect(onB.alerts()[0]).toMatchObject({ eventId: first.id, memberId: 'M0001', storeId: 'dept-store' });

      // A colleague claims on A; the update reaches B's socket; the same claim on B is refused.
      const zhao = await ticketFrom(a, 'zhao');
      const alertId = onB.alerts()[0]!.id;
      const claim = (node: Node, token: string) =>
        fetch(`${node.httpUrl}/api/v1/alerts/${alertId}/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect((await claim(a, zhao.token)).status).toBe(200);
      await waitFor(() => onB.frames.some((f) => f.type === 'alert_update'), 10_000, 'claim on B');
      expect((await claim(b, wang.token)).status).toBe(409);

      b.kill('SIGKILL');
      await b.exited;
      await waitFor(() => onB.closed(), 10_000, 'socket of the killed node closed');
      const lastSeq = onB.alerts().at(-1)!.seq;
      const missed = [await publish('M0002', 1), await publish('M0003', 2)];
      const listed = async () =>
        ((await (await fetch(`${a.httpUrl}/api/v1/alerts?limit=50`, { headers: { authorization: `Bearer ${wang.token}` } })).json()) as { alerts: unknown[] })
          .alerts;
      await waitFor(async () => (await listed()).length === 3, 10_000, 'alerts stored on A');

      const again = await ticketFrom(a, 'wang');
      const onA = openSocket(`${a.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws?since=${lastSeq}&ticket=${again.ticket}`);
      await waitFor(() => onA.frames.some((f) => f.type === 'hello'), 10_000, 'hello on A');
      // The two arrivals are evaluated concurrently, so either may have the lower seq; delivery follows seq.
      expect(
        onA
          .alerts()
          .map((x) => x.eventId)
          .sort(),
      ).toEqual(missed.map((e) => e.id).sort());
      expect(onA.alerts().map((x) => x.seq)).toEqual([lastSeq + 1, lastSeq + 2]);
      expect(onA.frames.filter((f) => f.type === 'alert_update').map((f) => f.alert.id)).toEqual([alertId]); // its claim, current
      onA.ws.close();
    } finally {
      await gw.endAsync();
    }
  }, 90_000);
});
