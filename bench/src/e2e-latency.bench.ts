/**
 * End-to-end latency at a nominal load: from an observation entering the gateway (HTTP ingest) to
 * a staff websocket client receiving the member alert it triggered.
 *
 * A real cloud (aedes on loopback, SQLite) and a real gateway (system clock, 250 ms ticks, SQLite
 * outbox, MQTT uplink) run in this process; the simulator's department store feeds the gateway in
 * real time with background shoppers plus `members` scripted member visits, staggered. For each
 * alert: latency = ws receipt − the send time of the member's last observation before the
 * gateway's decision tick (`detectedAt`). The journey's own hysteresis (how much evidence the
 * detector waits for) is in `detectionMs` = detectedAt − event `at`, reported separately.
 *
 * Usage: node bench/dist/e2e-latency.bench.js [members=40] [shoppersPerHour=600]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloud, createLogger as cloudLogger } from '@storesense/cloud';
import { exampleSitePath, loadSiteFile, renderGatewayConfig, type DemoMember } from '@storesense/firmware-config';
import { createGateway, silentLogger } from '@storesense/gateway';
import { staffFrameSchema, type Observation, type PresenceEvent } from '@storesense/protocol';
import { createHttpSink, createWorld, memberJourney, replayTrace, type ObservationSink } from '@storesense/simulators';
import WebSocket from 'ws';
import { median, percentile, report } from './stats.js';

const [memberCount = 40, shoppersPerHour = 600] = process.argv.slice(2).map(Number);
const STAGGER_MS = 4_000;
const dir = mkdtempSync(join(tmpdir(), 'storesense-bench-e2e-'));
const siteResult = loadSiteFile(exampleSitePath('dept-store'));
if (!siteResult.ok) throw new Error(siteResult.error);
const site = siteResult.value;
const gatewayId = site.gateways[0]!.id;

// Bench members of our own (fresh keys), so the alert cooldown per member never hides a sample.
const members: DemoMember[] = Array.from({ length: memberCount }, (_, i) => ({
  memberId: `B${String(i + 1).padStart(4, '0')}`,
  name: `Bench Member ${i + 1}`,
  tier: 'gold',
  tags: [],
  consent: true,
  tokenKey: randomBytes(16).toString('hex'),
}));
const csv = ['memberId,name,tier,tags,consent,tokenKey', ...members.map((m) => `${m.memberId},${m.name},${m.tier},,yes,${m.tokenKey}`)].join('\n');
writeFileSync(join(dir, 'members.csv'), `${csv}\n`);

const cloud = createCloud({ dataDir: join(dir, 'cloud'), sites: [site], membersCsvPath: join(dir, 'members.csv'), logger: cloudLogger({ level: 'silent' }) });
const endpoints = await cloud.start();
await cloud.provisionGateway({ siteId: site.id, gatewayId, password: 'bench-password' });
const config = {
  ...renderGatewayConfig(site, gatewayId, { mqtt: { url: endpoints.mqttUrl }, dataDir: join(dir, 'gateway') }),
  sources: [{ kind: 'http_observations' as const }],
  statusApi: { host: '127.0.0.1', port: 0 },
};
const gateway = createGateway(config, { mqttPassword: 'bench-password', logger: silentLogger() });
await gateway.start();

const received = new Map<string, number>(); // alert eventId -> wall receipt
const ws = new WebSocket(`${endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`);
ws.on('message', (data) => {
  const at = Date.now();
  const frame = staffFrameSchema.safeParse(JSON.parse(String(data)));
  if (frame.success && frame.data.type === 'alert') received.set(frame.data.alert.eventId, at);
});
await new Promise((ok) => ws.once('open', ok));

// The world starts a few seconds from now; its times are wall times, so nothing is rebased.
const durationMs = memberCount * STAGGER_MS + 150_000;
const startAt = Date.now() + 5_000;
const world = createWorld({
  site,
  seed: 9,
  startAt,
  durationMs,
  shoppersPerHour,
  memberShare: 0,
  scenarios: members.map((m, i) => memberJourney({ memberId: m.memberId, key: m.tokenKey, approachAt: 5_000 + i * STAGGER_MS, dwellMs: 40_000 })),
});
const memberSubjects = new Set(world.shoppers.filter((s) => s.memberId !== undefined).map((s) => s.subject));
const observations: Observation[] = [...world.observations()];
const sends = new Map<string, number[]>(); // member subject -> wall times its observations were sent
const http = createHttpSink({ baseUrl: gateway.statusUrl()! });
const sink: ObservationSink = {
  name: 'timed-http',
  async send(batch) {
    const at = Date.now();
    for (const o of batch) if (memberSubjects.has(o.subject)) (sends.get(o.subject) ?? sends.set(o.subject, []).get(o.subject)!).push(at);
    await http.send(batch);
  },
  close: () => http.close(),
};
await new Promise((r) => setTimeout(r, Math.max(0, observations[0]!.at - Date.now())));
const replay = await replayTrace({ observations, sink, speed: 1, rebase: false });
await new Promise((r) => setTimeout(r, 5_000));

const res = await fetch(`${endpoints.httpUrl}/api/v1/events?siteId=${site.id}&limit=1000`);
const events = ((await res.json()) as { events: PresenceEvent[] }).events;
const byId = new Map(events.map((e) => [e.id, e]));
const latencies: number[] = [];
const detection: number[] = [];
for (const [eventId, wsAt] of received) {
  const e = byId.get(eventId);
  if (!e || e.detectedAt === undefined) continue;
  const sent = (sends.get(e.subject.id) ?? []).filter((t) => t <= e.detectedAt!);
  if (sent.length === 0) continue;
  latencies.push(wsAt - sent[sent.length - 1]!);
  detection.push(e.detectedAt - e.at);
}
ws.close();
await gateway.stop();
await cloud.stop();
rmSync(dir, { recursive: true, force: true });

report({
  bench: 'e2e.latency',
  site: 'dept-store',
  shoppersPerHour,
  scriptedMembers: memberCount,
  observationsPerSecond: Math.round(replay.sent / (replay.elapsedMs / 1000)),
  alerts: latencies.length,
  p50Ms: Math.round(median(latencies)),
  p99Ms: Math.round(percentile(latencies, 99)),
  maxMs: Math.round(Math.max(...latencies)),
  detectionP50Ms: Math.round(median(detection)),
  detectionP99Ms: Math.round(percentile(detection, 99)),
});
