/**
 * Staff websocket fan-out, side by side in one run (issue 12): the cloud's alert socket
 * (`/api/v1/alerts/ws`, embedded default) against a bare `ws` server broadcasting a frame of the
 * same size, each with C clients at R alerts/s for S seconds. The clients run in a child process
 * (this file with `--clients`), so their parsing does not share the server's event loop. Cloud
 * alerts are raised the real way: a consenting member's arrival is ingested in-process, the rules
 * raise the alert, the hub fans it out; latency = client receipt − the moment the event was handed
 * to ingest (for bare ws: − the moment the broadcast began). Server RSS is this process's after
 * each configuration (bare ws first, so the cloud's figure includes what bare ws left behind).
 * Usage: node bench/dist/staff-fanout.bench.js [clients=1000,5000] [alertsPerSecond=20] [seconds=10]
 * One JSON line.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCloud, createLogger } from '@storesense/cloud';
import { exampleSitePath, loadSiteFile } from '@storesense/firmware-config';
import { newId } from '@storesense/protocol';
import WebSocket, { WebSocketServer } from 'ws';
import { percentile, report } from './stats.js';

interface ClientResult {
  connected: number;
  received: number;
  expected: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

if (process.argv[2] === '--clients') {
  // The client fleet: N sockets; the parent sends {id, at} for each alert it raises.
  const url = process.argv[3]!;
  const n = Number(process.argv[4]);
  const sentAt = new Map<string, number>();
  const receipts: { id: string; at: number }[] = [];
  let connected = 0;
  const sockets: WebSocket[] = [];
  const opened: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.on('message', (data) => {
      const at = Date.now();
      const frame = JSON.parse(String(data)) as { type?: string; alert?: { eventId?: string } };
      if (frame.type === 'alert' && frame.alert?.eventId) receipts.push({ id: frame.alert.eventId, at });
    });
    opened.push(
      new Promise<void>((ok) => {
        ws.once('open', () => {
          connected++;
          ok();
        });
        ws.once('error', () => ok());
      }),
    );
    // Connect in batches of 200 so the server's accept queue is not the thing measured.
    if (i % 200 === 199) await Promise.all(opened.slice(-200));
  }
  await Promise.all(opened);
  process.on('message', (m: { id?: string; at?: number; done?: boolean }) => {
    if (m.id !== undefined && m.at !== undefined) sentAt.set(m.id, m.at);
    if (m.done) {
      const latencies = receipts.filter((r) => sentAt.has(r.id)).map((r) => r.at - sentAt.get(r.id)!);
      const result: ClientResult = {
        connected,
        received: latencies.length,
        expected: sentAt.size * connected,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: percentile(latencies, 100),
      };
      for (const ws of sockets) ws.terminate();
      process.send!(result, () => process.exit(0));
    }
  });
  process.send!({ ready: connected });
} else {
  const clientCounts = (process.argv[2] ?? '1000,5000').split(',').map(Number);
  const rate = Number(process.argv[3] ?? 20);
  const seconds = Number(process.argv[4] ?? 10);
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'storesense-fanout-bench-'));

  /** Starts the client fleet, raises `rate` alerts/s for `seconds`, returns the clients' figures. */
  async function drive(url: string, clients: number, raise: (i: number) => Promise<string>): Promise<ClientResult & { rssMiB: number }> {
    const child = fork(self, ['--clients', url, String(clients)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await new Promise<void>((ok) => child.once('message', () => ok()));
    await new Promise((r) => setTimeout(r, 500));
    const total = rate * seconds;
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const at = Date.now();
      const id = await raise(i);
      child.send({ id, at });
    }
    await new Promise((r) => setTimeout(r, 3_000)); // the last alerts' delivery
    const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    const result = await new Promise<ClientResult>((ok) => {
      child.once('message', (m) => ok(m as ClientResult));
      child.send({ done: true });
    });
    return { ...result, rssMiB };
  }

  // Bare ws: one server broadcasting a text frame shaped like an alert frame to every client.
  async function bareWs(clients: number) {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const pad = 'x'.repeat(500); // an alert frame of the cloud is ~0.6-0.8 KB
    const r = await drive(url, clients, async () => {
      const id = newId(Date.now());
      const frame = JSON.stringify({ type: 'alert', alert: { eventId: id, pad } });
      for (const ws of wss.clients) ws.send(frame);
      return id;
    });
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((ok) => wss.close(() => ok()));
    await new Promise<void>((ok) => server.close(() => ok()));
    return r;
  }

  // The cloud: one member per alert (no cooldown hides one), arrivals in the boutique example.
  const loaded = loadSiteFile(exampleSitePath('boutique'));
  if (!loaded.ok) throw new Error(loaded.error);
  const site = loaded.value;
  const gatewayId = site.gateways[0]!.id;
  const memberCount = rate * seconds * clientCounts.length + 10;
  const memberIds = Array.from({ length: memberCount }, (_, i) => `F${String(i + 1).padStart(5, '0')}`);
  const csv = ['memberId,name,tier,tags,consent,tokenKey', ...memberIds.map((m) => `${m},Fanout ${m},gold,,yes,${randomBytes(16).toString('hex')}`)];
  writeFileSync(join(dir, 'members.csv'), `${csv.join('\n')}\n`);
  let nextMember = 0;

  async function cloudWs(clients: number) {
    const cloud = createCloud({
      dataDir: join(dir, `cloud-${clients}`),
      sites: [site],
      membersCsvPath: join(dir, 'members.csv'),
      logger: createLogger({ level: 'silent' }),
    });
    const endpoints = await cloud.start();
    const url = `${endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`;
    let seq = 0;
    const r = await drive(url, clients, async () => {
      const at = Date.now();
      const memberId = memberIds[nextMember++]!;
      const event = {
        v: 1,
        id: newId(at),
        seq: ++seq,
        type: 'arrival',
        at,
        siteId: site.id,
        gatewayId,
        subject: { id: `s_${memberId}`, signals: ['ble'], memberId },
        visitId: newId(at),
        confidence: 0.9,
        model: { name: 'rules', version: '1' },
      };
      const outcome = await cloud.ingestEvent(event);
      if (outcome.status !== 'stored') throw new Error(`bench event not stored: ${JSON.stringify(outcome)}`);
      return event.id;
    });
    await cloud.stop();
    return r;
  }

  const results: Record<string, unknown>[] = [];
  try {
    for (const clients of clientCounts) {
      const bare = await bareWs(clients);
      process.stderr.write(`staff-fanout: bare ws ${clients}: ${JSON.stringify(bare)}\n`);
      const cloud = await cloudWs(clients);
      process.stderr.write(`staff-fanout: cloud ${clients}: ${JSON.stringify(cloud)}\n`);
      results.push({ clients, bareWs: bare, cloud });
    }
    report({ rate, seconds, loadAverage: loadavg().map((x) => Math.round(x * 10) / 10), results });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
