#!/usr/bin/env node
// `npm start`: the whole system on embedded defaults, in one process tree.
//   cloud (aedes + SQLite + API + console)  <-MQTT-  gateway (dept store)  <-HTTP-  simulator replay
// Each part runs as its own child process through its real CLI, exactly as an operator would run
// it; their logs go to <data>/logs/*.log and this script prints the console URL and live alerts.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { loadMembersCsv } from '../firmware-config/dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const dataDir = resolve(env.STORESENSE_DATA_DIR ?? join(root, 'data'));
const siteFile = join(root, 'firmware-config/sites/dept-store.site.json');
const membersCsv = join(root, 'firmware-config/sites/demo-members.csv');
// Demo staff accounts (cloud/demo/staff.json): staff "wang" sees the department store's alerts.
const staffFile = join(root, 'cloud/demo/staff.json');
const demoStaff = { username: 'wang', password: 'demo-staff-pass' };
const demoOperator = { username: 'ops', password: 'demo-operator-pass' };
const site = JSON.parse(readFileSync(siteFile, 'utf8'));
const gatewayId = site.gateways[0].id;
const durationArg = env.STORESENSE_SIM_DURATION ?? '1h';

const say = (msg) => process.stdout.write(`[storesense] ${msg}\n`);

/** The requested port if it is free, else (saying so) a free one. */
async function pickPort(name, wanted) {
  if (wanted !== 0 && (await canListen(wanted))) return wanted;
  const free = await freePort();
  if (wanted !== 0) say(`port ${wanted} for ${name} is taken; using ${free} instead (set ${name} to choose)`);
  return free;
}
function canListen(port) {
  return new Promise((ok) => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });
}
function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}
function portFromEnv(name, dflt) {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    say(`${name}=${raw} is not a port number (0-65535)`);
    process.exit(2);
  }
  return n;
}

const children = [];
let stopping = false;
/** Set once the cloud answers: stop() asks it whether the gateway's offline state was stored. */
let cloudApi;

// Each child runs in its own process group (detached): Ctrl-C in a terminal signals the whole
// foreground group at once, which stopped cloud and gateway together, so the gateway's offline
// state had no cloud to reach. Only this script gets the signal now, and stop() sends it on in
// order. If this script exits any other way, the children go with it.
process.on('exit', () => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function run(name, args, extraEnv = {}) {
  const log = createWriteStream(join(dataDir, 'logs', `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); see ${join(dataDir, 'logs', `${name}.log`)}`);
      if (name !== 'simulator') void stop(1);
      else say('the simulated mall has finished its trace; cloud and gateway keep running (Ctrl-C to stop)');
    }
  });
  children.push({ name, child });
  return child;
}

/** Runs a one-shot CLI (logs to <data>/logs/generate.log) without blocking Ctrl-C handling. */
function runToEnd(args) {
  return new Promise((ok) => {
    const log = createWriteStream(join(dataDir, 'logs', 'generate.log'), { flags: 'a' });
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    children.push({ name: 'generate', child });
    child.on('exit', (code) => ok(code ?? 1));
  });
}

async function waitForHttp(url, what, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not answer on ${url} within ${timeoutMs / 1000} s`);
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // Reverse order: the simulator first, then the gateway (it flushes its outbox and publishes
  // itself offline), then, once the cloud has stored that, the cloud.
  for (const { name, child } of [...children].reverse()) {
    if (name === 'cloud') await gatewayOfflineRecorded();
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  say('stopped');
  process.exit(code);
}

/** Waits (up to 5 s) until the cloud lists the gateway offline, and says so either way. */
async function gatewayOfflineRecorded() {
  if (!cloudApi || !children.some((c) => c.name === 'gateway')) return;
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${cloudApi.url}/api/v1/gateways`, { headers: { authorization: `Bearer ${cloudApi.token}` } });
      if (res.status === 401) cloudApi.token = await login(cloudApi.url, demoOperator); // a session older than its 12 h
      const gw = (await res.json()).gateways.find((g) => g.gatewayId === gatewayId);
      if (gw?.conn?.state === 'offline') {
        say(`gateway ${gatewayId} reported itself offline; the cloud has recorded it`);
        return;
      }
    } catch {
      // the cloud is busy or gone: try again until the deadline
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`the cloud did not record gateway ${gatewayId} offline within 5 s; stopping it anyway`);
}

async function main() {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const httpPort = await pickPort('STORESENSE_HTTP_PORT', portFromEnv('STORESENSE_HTTP_PORT', 8080));
  const mqttPort = await pickPort('STORESENSE_MQTT_PORT', portFromEnv('STORESENSE_MQTT_PORT', 1883));
  const gatewayPort = await freePort();

  // A fresh gateway password each start: written for the cloud in a 0600 file, handed to the
  // gateway in its environment; never on a command line (visible in `ps`).
  const password = randomBytes(18).toString('base64url');
  const gatewaysFile = join(dataDir, 'gateways.json');
  writeFileSync(gatewaysFile, JSON.stringify([{ siteId: site.id, gatewayId, password }]), { mode: 0o600 });

  const render = spawnSync(
    process.execPath,
    [
      'firmware-config/dist/cli.js',
      'render',
      siteFile,
      '--gateway',
      gatewayId,
      '--mqtt-url',
      `mqtt://127.0.0.1:${mqttPort}`,
      '--data-dir',
      join(dataDir, `gateway-${gatewayId}`),
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (render.status !== 0) throw new Error(`render failed: ${render.stderr}`);
  const gatewayConfig = JSON.parse(render.stdout);
  gatewayConfig.statusApi = { host: '127.0.0.1', port: gatewayPort };
  gatewayConfig.sources = [{ kind: 'http_observations' }];
  // The packaged ONNX model (gateway/model/journey-mlp.onnx) beats the rules on held-out traces
  // (docs/accuracy.md); STORESENSE_CLASSIFIER=rules runs the baseline instead.
  const classifierKind = env.STORESENSE_CLASSIFIER ?? 'onnx';
  if (classifierKind !== 'onnx' && classifierKind !== 'rules') throw new Error(`STORESENSE_CLASSIFIER must be onnx or rules, got "${classifierKind}"`);
  gatewayConfig.classifier = { kind: classifierKind };
  const gatewayConfigFile = join(dataDir, 'gateway.json');
  writeFileSync(gatewayConfigFile, `${JSON.stringify(gatewayConfig, null, 2)}\n`);

  run('cloud', ['cloud/dist/cli.js', '--site', siteFile, '--members', membersCsv, '--gateways', gatewaysFile, '--staff', staffFile], {
    STORESENSE_HTTP_PORT: String(httpPort),
    STORESENSE_MQTT_PORT: String(mqttPort),
    STORESENSE_DATA_DIR: dataDir,
  });
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  await waitForHttp(`${httpUrl}/api/v1/health`, 'cloud');

  // The scripted member is one the cloud has not alerted on lately (alerts have a 10-minute
  // cooldown per member), so a restart shows a fresh alert too.
  const operatorToken = await login(httpUrl, demoOperator);
  cloudApi = { url: httpUrl, token: operatorToken };
  const memberId = await pickScriptedMember(httpUrl, operatorToken);
  say(`generating ${durationArg} of simulated traffic for "${site.name}"…`);
  const simDir = join(dataDir, 'sim');
  const genStatus = await runToEnd([
    'simulators/dist/cli.js',
    'generate',
    '--site',
    siteFile,
    '--out',
    simDir,
    '--seed',
    env.STORESENSE_SIM_SEED ?? '1',
    '--duration',
    durationArg,
    '--members',
    membersCsv,
    '--shoppers-per-hour',
    env.STORESENSE_SIM_SHOPPERS_PER_HOUR ?? '400',
    '--member-share',
    '0.15',
    // A member walks up 15 s after the start, so the first alert shows within seconds.
    '--scenario',
    'member-visit',
    '--member',
    memberId,
  ]);
  if (genStatus !== 0) throw new Error(`simulator generate failed (exit ${genStatus}); see ${join(dataDir, 'logs', 'generate.log')}`);
  run('gateway', ['gateway/dist/cli.js', '--config', gatewayConfigFile], { STORESENSE_MQTT_PASSWORD: password });
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  await waitForHttp(`${gatewayUrl}/api/v1/health`, 'gateway');

  followAlerts(httpUrl, await login(httpUrl, demoStaff));

  run('simulator', [
    'simulators/dist/cli.js',
    'replay',
    '--trace',
    join(simDir, 'trace.ndjson'),
    '--to',
    gatewayUrl,
    '--speed',
    env.STORESENSE_SIM_SPEED ?? '1',
    '--site',
    siteFile,
    '--members',
    membersCsv,
  ]);

  say(`cloud MQTT broker: mqtt://127.0.0.1:${mqttPort}   gateway status: ${gatewayUrl}/api/v1/health   classifier: ${classifierKind}`);
  say(`logs: ${join(dataDir, 'logs')}`);
  say(
    `staff alerts: ${httpUrl}/staff   (log in as ${demoStaff.username} / ${demoStaff.password}; operator: ${demoOperator.username} / ${demoOperator.password})`,
  );
  say(`console: ${httpUrl}/   (member alerts appear within about 30 s; Ctrl-C stops everything)`);
}

/** Signs a demo account in; returns its bearer token. */
async function login(httpUrl, account) {
  const res = await fetch(`${httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  if (!res.ok) throw new Error(`demo login as ${account.username} failed: HTTP ${res.status}`);
  return (await res.json()).token;
}

async function pickScriptedMember(httpUrl, token) {
  const consenting = loadMembersCsv(membersCsv).members.filter((m) => m.consent);
  if (consenting.length === 0) throw new Error(`no consenting member in ${membersCsv}`);
  let recent = new Set();
  try {
    const res = await fetch(`${httpUrl}/api/v1/alerts?limit=200`, { headers: { authorization: `Bearer ${token}` } });
    const { alerts } = await res.json();
    recent = new Set(alerts.filter((a) => Date.now() - a.eventAt < 15 * 60_000).map((a) => a.memberId));
  } catch {
    // no history: any member will do
  }
  return (consenting.find((m) => !recent.has(m.memberId)) ?? consenting[0]).memberId;
}

/**
 * Prints staff alerts as they arrive, exactly as the staff page gets them: a signed-in staff
 * member asks for a single-use ticket and opens the websocket with it (again on every reconnect).
 */
function followAlerts(httpUrl, token) {
  let lastSeq = 0;
  const connect = async () => {
    if (stopping) return;
    let ticket;
    try {
      const res = await fetch(`${httpUrl}/api/v1/alerts/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      ticket = (await res.json()).ticket;
    } catch {
      setTimeout(connect, 2000);
      return;
    }
    const ws = new WebSocket(`${httpUrl.replace('http', 'ws')}/api/v1/alerts/ws?ticket=${encodeURIComponent(ticket)}&since=${lastSeq}`);
    ws.on('message', (data) => {
      try {
        const frame = JSON.parse(String(data));
        if (frame.type !== 'alert') return;
        const a = frame.alert;
        if (a.seq <= lastSeq) return;
        lastSeq = a.seq;
        say(`alert #${a.seq}: ${a.message}`);
      } catch {
        // not a frame we print
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => setTimeout(() => void connect(), 2000));
  };
  void connect();
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// A closed terminal: the children are in their own groups and would not get its SIGHUP, so stop
// them in order here too (the terminal is gone: writes to it may fail, which must not end us early).
process.on('SIGHUP', () => void stop(0));
process.stdout.on('error', () => {});
main().catch((err) => {
  say(`could not start: ${err.message}`);
  void stop(1);
});
