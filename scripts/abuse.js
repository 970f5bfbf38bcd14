#!/usr/bin/env node
// `npm run abuse`: replays the attacks of the hardening issue against a real cloud and a real
// gateway (the built CLIs as child processes, on loopback ephemeral ports, temp data) and reports
// each as held or not, with the cloud's peak RSS sampled throughout. Bounded: every attack has a
// fixed count and a deadline, nothing leaves 127.0.0.1, and both processes are stopped at the end.
//   node scripts/abuse.js [--json] [--help]
// Exits 1 when an attack is not held or the cloud's RSS reaches 300 MB.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'Usage: node scripts/abuse.js [--json]\n  Replays the hardening attacks against a local cloud and gateway; exits 1 if any is not held.';
let args;
try {
  args = parseArgs({ options: { json: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }).values;
} catch (err) {
  process.stderr.write(`abuse: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const RSS_LIMIT_MB = 300;
const SITE_FILE = join(root, 'firmware-config/sites/dept-store.site.json');
const site = JSON.parse(readFileSync(SITE_FILE, 'utf8'));
const SITE = site.id;
const GW = site.gateways[0].id;
const dir = mkdtempSync(join(tmpdir(), 'storesense-abuse-'));
const log = (m) => process.stderr.write(`[abuse] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];

function start(name, argv, env) {
  const child = spawn(process.execPath, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const waitFor = async (re, ms = 30_000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const m = re.exec(out);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${out.slice(-2000)}`);
      await sleep(50);
    }
    throw new Error(`${name}: timed out waiting for ${re}`);
  };
  return { child, waitFor, output: () => out };
}

/** Peak RSS of a process, sampled from /proc every 100 ms (Linux; 0 elsewhere). */
function rssSampler(pid) {
  let peakKb = 0;
  const read = () => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peakKb = Math.max(peakKb, kb);
    } catch {
      /* gone */
    }
  };
  const timer = setInterval(read, 100);
  return { peakMb: () => (read(), Math.round(peakKb / 1024)), stop: () => clearInterval(timer) };
}

/** Raw bytes on a socket; resolves with what came back and whether the server closed. */
function raw(port, chunks, { timeoutMs = 5_000, until } = {}) {
  return new Promise((resolveRaw) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let sent = 0;
    const done = (closed) => {
      clearTimeout(timer);
      socket.destroy();
      resolveRaw({ text, closed, sent });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (until && until.test(text)) done(true);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    (async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        const buf = typeof c === 'function' ? c() : c;
        if (buf === null) return;
        sent += buf.length;
        if (!socket.write(buf)) await new Promise((r) => socket.once('drain', r));
      }
    })().catch(() => undefined);
  });
}
const status = (text) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const varInt = (n) => {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};

const results = [];
async function attack(name, fn) {
  const t0 = Date.now();
  try {
    const { held, detail } = await fn();
    results.push({ attack: name, held, detail, ms: Date.now() - t0 });
  } catch (err) {
    results.push({ attack: name, held: false, detail: `error: ${err.message}`, ms: Date.now() - t0 });
  }
  const r = results.at(-1);
  log(`${r.held ? 'held' : 'NOT HELD'}: ${name} — ${r.detail}`);
}

async function main() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b'], { cwd: root, stdio: 'inherit' });
  const pw = { gw: 'abuse-gw-password', a: 'abuse-gw-a-password', b: 'abuse-gw-b-password', c: 'abuse-gw-c-password' };
  writeFileSync(
    join(dir, 'gateways.json'),
    JSON.stringify([
      { siteId: SITE, gatewayId: GW, password: pw.gw },
      { siteId: SITE, gatewayId: 'gw-a', password: pw.a },
      { siteId: SITE, gatewayId: 'gw-b', password: pw.b },
      { siteId: SITE, gatewayId: 'gw-c', password: pw.c },
    ]),
  );
  writeFileSync(
    join(dir, 'staff.json'),
    JSON.stringify([
      { username: 'site-op', password: 'site-operator-pw', displayName: 'Site operator', role: 'operator', siteId: SITE },
      { username: 'victim', password: 'victim-password', displayName: 'Victim', role: 'analyst' },
      { username: 'root-op', password: 'root-operator-pw', displayName: 'Operator', role: 'operator' },
    ]),
  );
  const cloud = start('cloud', ['cloud/dist/cli.js', '--site', SITE_FILE, '--gateways', join(dir, 'gateways.json'), '--staff', join(dir, 'staff.json')], {
    STORESENSE_HTTP_PORT: '0',
    STORESENSE_MQTT_PORT: '0',
    STORESENSE_DATA_DIR: join(dir, 'cloud'),
    STORESENSE_LOG_LEVEL: 'warn',
  });
  const httpUrl = (await cloud.waitFor(/console\s+(http:\/\/\S+?)\/\s/))[1];
  const mqttUrl = (await cloud.waitFor(/mqtt\s+(mqtt:\/\/\S+)/))[1];
  const httpPort = Number(new URL(httpUrl).port);
  const mqttPort = Number(new URL(mqttUrl).port);
  const rss = rssSampler(cloud.child.pid);
  log(`cloud at ${httpUrl} and ${mqttUrl}`);

  execFileSync(process.execPath, ['firmware-config/dist/cli.js', 'render', SITE_FILE, '--gateway', GW, '--mqtt-url', mqttUrl, '--out', join(dir, 'gw.json')], {
    cwd: root,
  });
  const gwConfig = JSON.parse(readFileSync(join(dir, 'gw.json'), 'utf8'));
  writeFileSync(
    join(dir, 'gw.json'),
    JSON.stringify({ ...gwConfig, dataDir: join(dir, 'gateway'), sources: [{ kind: 'http_observations' }], statusApi: { host: '127.0.0.1', port: 0 } }),
  );
  const gateway = start('gateway', ['gateway/dist/cli.js', '--config', join(dir, 'gw.json'), '--classifier', 'rules'], { STORESENSE_MQTT_PASSWORD: pw.gw });
  const statusUrl = (await gateway.waitFor(/"statusUrl":"(http:\/\/[^"]+)"/))[1];
  const gwPort = Number(new URL(statusUrl).port);
  log(`gateway status API at ${statusUrl}`);
  const rootToken = (
    await (
      await fetch(`${httpUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'root-op', password: 'root-operator-pw' }),
      })
    ).json()
  ).token;
  const asOperator = { headers: { authorization: `Bearer ${rootToken}` } };
  const health = async () => await (await fetch(`${httpUrl}/api/v1/health`)).json();
  const metric = async (name) => (await health()).metrics?.[name] ?? 0;

  await attack('280 non-websocket upgrades (Upgrade: h2c)', async () => {
    const req = Buffer.from('GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    const answers = await Promise.all(Array.from({ length: 280 }, () => raw(httpPort, [req])));
    const answered = answers.filter((a) => status(a.text) === 400 && a.closed).length;
    const ok = (await fetch(`${httpUrl}/api/v1/health`)).status === 200;
    return { held: answered === 280 && ok, detail: `${answered}/280 answered 400 and closed; health afterwards ${ok ? '200' : 'failed'}` };
  });

  await attack('a site-scoped operator mints an unscoped API token', async () => {
    const login = await (
      await fetch(`${httpUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'site-op', password: 'site-operator-pw' }),
      })
    ).json();
    const r = await fetch(`${httpUrl}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` },
      body: JSON.stringify({ name: 'wide', role: 'operator' }),
    });
    const other = await fetch(`${httpUrl}/api/v1/events?siteId=another-site`, { headers: { authorization: `Bearer ${login.token}` } });
    return { held: r.status === 403 && other.status === 403, detail: `mint unscoped: ${r.status}; read another site's events: ${other.status}` };
  });

  await attack('a raw MAC as subject posted to the gateway ingest', async () => {
    const obs = { v: 1, at: Date.now(), source: 'ble', receiverId: site.receivers[0].id, subject: 'a4:5e:60:c1:22:9b', rssiDbm: -60 };
    const r = await fetch(`${statusUrl}/api/v1/observations`, { method: 'POST', body: JSON.stringify(obs) });
    const body = await r.text();
    return {
      held: r.status === 400 && !body.includes('a4:5e:60'),
      detail: `${r.status}, the answer ${body.includes('a4:5e:60') ? 'repeats' : 'does not repeat'} the address`,
    };
  });

  await attack('12 unauthenticated 200 MB login bodies (declared)', async () => {
    const head = Buffer.from(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`);
    // The head alone, then a pause: the answer must come from the declared length, before any body
    // (bytes still in flight when the server closes would reset the socket and hide its answer).
    const answers = await Promise.all(Array.from({ length: 12 }, () => raw(httpPort, [head], { until: /\r\n\r\n/ })));
    const refused = answers.filter((a) => status(a.text) === 413).length;
    return { held: refused === 12, detail: `${refused}/12 answered 413 before the body; peak cloud RSS so far ${rss.peakMb()} MB` };
  });

  await attack('a chunked 200 MB body to the gateway ingest', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let n = 0;
    const frames = [
      Buffer.from('POST /api/v1/observations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'),
      ...Array.from(
        { length: 800 },
        () => () => (n++ < 800 ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : null),
      ),
    ];
    const a = await raw(gwPort, frames, { until: /\r\n\r\n/, timeoutMs: 20_000 });
    return {
      held: status(a.text) === 413 && a.sent < 50 * 1024 * 1024,
      detail: `${status(a.text)} after ${(a.sent / 1024 / 1024).toFixed(1)} MB sent of 200 MB`,
    };
  });

  await attack('one 100 MB MQTT publish', async () => {
    const before = await metric('broker.packet_too_large');
    const a = await raw(mqttPort, [Buffer.from([0x30, ...varInt(100 * 1024 * 1024)]), ...Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 0x61))], {
      timeoutMs: 10_000,
    });
    const after = await metric('broker.packet_too_large');
    return {
      held: a.closed && after > before,
      detail: `connection ${a.closed ? 'closed' : 'open'} after ${(a.sent / 1024 / 1024).toFixed(1)} MB; peak cloud RSS so far ${rss.peakMb()} MB`,
    };
  });

  await attack("gateway A's credentials with gateway B's client id, 17 times", async () => {
    const codes = [];
    for (let i = 0; i < 17; i += 1) {
      try {
        const c = await mqtt.connectAsync(mqttUrl, {
          clientId: `${SITE}.${GW}`,
          username: `${SITE}.gw-a`,
          password: pw.a,
          reconnectPeriod: 0,
          protocolVersion: 4,
        });
        codes.push(0);
        await c.endAsync();
      } catch (err) {
        codes.push(err.code ?? -1);
      }
    }
    await sleep(1_000);
    const gws = await (await fetch(`${httpUrl}/api/v1/gateways`, asOperator)).json();
    const victim = gws.gateways?.find((g) => g.gatewayId === GW)?.conn?.state;
    return {
      held: codes.every((c) => c === 2) && victim === 'online',
      detail: `CONNACK codes ${[...new Set(codes)].join(',')}; the real gateway is ${victim}`,
    };
  });

  await attack('100 concurrent wrong logins for one user (HTTP) and one gateway (MQTT)', async () => {
    const http = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        fetch(`${httpUrl}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'victim', password: `guess-${i}` }),
        }).then((r) => r.status),
      ),
    );
    const checked = http.filter((s) => s === 401).length;
    const before = await metric('broker.auth_throttled');
    await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        mqtt.connectAsync(mqttUrl, { clientId: `${SITE}.gw-c`, username: `${SITE}.gw-c`, password: `guess-${i}`, reconnectPeriod: 0, protocolVersion: 4 }),
      ),
    );
    const throttled = (await metric('broker.auth_throttled')) - before;
    return { held: checked <= 10 && throttled >= 90, detail: `HTTP: ${checked} of 100 reached a password check; MQTT: ${100 - throttled} of 100` };
  });

  const publisher = await mqtt.connectAsync(mqttUrl, {
    clientId: `${SITE}.gw-a`,
    username: `${SITE}.gw-a`,
    password: pw.a,
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  const acks = [];
  publisher.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await publisher.subscribeAsync(`storesense/v1/${SITE}/gw-a/ack`, { qos: 1 });
  const event = (gatewayId, id, at) => ({
    v: 1,
    id,
    seq: 1,
    type: 'approach',
    at,
    detectedAt: at,
    siteId: SITE,
    gatewayId,
    subject: { id: 's_0123456789abcdef', signals: ['ble'] },
    visitId: 'v1',
    confidence: 0.9,
    model: { name: 'rules', version: '1' },
  });

  await attack('an event at 9e15 (far future)', async () => {
    await publisher.publishAsync(`storesense/v1/${SITE}/gw-a/event/approach`, JSON.stringify(event('gw-a', '01ABUSEFUTURE0000000000001', 9e15)), { qos: 1 });
    await sleep(500);
    const told = acks.some((a) => a.rejected?.some((r) => r.id === '01ABUSEFUTURE0000000000001'));
    const to = Date.now() + 3_600_000;
    const summary = await fetch(`${httpUrl}/api/v1/analytics/summary?siteId=${SITE}&from=${to - 7 * 86_400_000}&to=${to}`, asOperator);
    return { held: told && summary.status === 200, detail: `rejected in the ack: ${told}; analytics summary ${summary.status}` };
  });

  await attack('an event id reused by another gateway', async () => {
    const id = '01ABUSEREUSE00000000000001';
    await publisher.publishAsync(`storesense/v1/${SITE}/gw-a/event/approach`, JSON.stringify(event('gw-a', id, Date.now())), { qos: 1 });
    await sleep(300);
    const before = await metric('ingest.rejected.id_reuse');
    const b = await mqtt.connectAsync(mqttUrl, { clientId: `${SITE}.gw-b`, username: `${SITE}.gw-b`, password: pw.b, reconnectPeriod: 0, protocolVersion: 4 });
    const told = new Promise((r) => b.on('message', (_t, p) => r(JSON.parse(p.toString()))));
    await b.subscribeAsync(`storesense/v1/${SITE}/gw-b/ack`, { qos: 1 });
    await b.publishAsync(`storesense/v1/${SITE}/gw-b/event/approach`, JSON.stringify(event('gw-b', id, Date.now())), { qos: 1 });
    const ack = await Promise.race([told, sleep(3_000).then(() => undefined)]);
    await b.endAsync();
    const after = await metric('ingest.rejected.id_reuse');
    const reason = ack?.rejected?.[0]?.reason;
    return { held: after === before + 1 && !(ack?.ids ?? []).includes(id), detail: `refused and told: ${reason ?? 'no ack'}` };
  });

  await attack('retained messages outside the state topics', async () => {
    const before = await metric('broker.publish_refused');
    const closed = new Promise((r) => publisher.once('close', r));
    publisher.publish(`storesense/v1/${SITE}/gw-a/event/approach`, JSON.stringify(event('gw-a', '01ABUSERETAIN0000000000001', Date.now())), {
      qos: 0,
      retain: true,
    });
    await Promise.race([closed, sleep(3_000)]);
    publisher.end(true);
    return { held: (await metric('broker.publish_refused')) > before, detail: 'the publisher was disconnected and nothing retained' };
  });

  await attack('SIGTERM under load (300 idle keep-alive sockets, 50 half-sent requests)', async () => {
    const idle = Array.from({ length: 300 }, () => connect(httpPort, '127.0.0.1').on('error', () => undefined));
    const half = Array.from({ length: 50 }, () => {
      const s = connect(httpPort, '127.0.0.1').on('error', () => undefined);
      s.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"user');
      return s;
    });
    await sleep(500);
    rss.peakMb();
    const t0 = Date.now();
    const exited = new Promise((r) => cloud.child.once('exit', (code) => r(code)));
    cloud.child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout')]);
    for (const s of [...idle, ...half]) s.destroy();
    return { held: code === 0, detail: `exit ${code} after ${Date.now() - t0} ms` };
  });

  const peak = rss.peakMb();
  rss.stop();
  results.push({ attack: `cloud RSS under ${RSS_LIMIT_MB} MB throughout`, held: peak > 0 && peak < RSS_LIMIT_MB, detail: `peak ${peak} MB`, ms: 0 });
}

let failed = false;
try {
  await main();
} catch (err) {
  process.stderr.write(`abuse: ${err.message}\n`);
  failed = true;
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
failed ||= results.some((r) => !r.held);
if (args.json) process.stdout.write(`${JSON.stringify({ held: !failed, results })}\n`);
else {
  process.stdout.write('| attack | held | detail |\n| --- | --- | --- |\n');
  for (const r of results) process.stdout.write(`| ${r.attack} | ${r.held ? 'yes' : '**no**'} | ${r.detail} |\n`);
}
process.exitCode = failed ? 1 : 0;
