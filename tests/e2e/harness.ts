/**
 * Shared set-up for the end-to-end tests: a real cloud (aedes on a loopback socket, SQLite file),
 * a real gateway (SQLite outbox, MQTT uplink, HTTP ingest) and the simulator's world replayed into
 * the gateway over HTTP. Time is scaled: the gateway's clock runs `speed` times faster than the
 * wall clock, starting at the trace's first observation, and the replay paces observations by the
 * same factor without rewriting their times. With `tickMs = 250 / speed` the gateway sees exactly
 * the tick spacing it has at 1x (architecture §3: a trace replays at any speed with identical results).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloud, type Cloud, type CloudEndpoints, type CloudOptions } from '@storesense/cloud';
import { createLogger as cloudLogger } from '@storesense/cloud';
import {
  exampleSitePath,
  demoMembersPath,
  loadMembersCsv,
  loadSiteFile,
  renderGatewayConfig,
  type DemoMember,
  type GatewayConfig,
  type Site,
} from '@storesense/firmware-config';
import { createGateway, silentLogger, type Clock, type Gateway } from '@storesense/gateway';
import { staffFrameSchema, type Observation, type PresenceEvent, type StaffAlert, type TruthEvent } from '@storesense/protocol';
import { createHttpSink, createWorld, memberJourney, replayTrace, type ReplayResult } from '@storesense/simulators';
import WebSocket from 'ws';

export const SPEED = Number(process.env.E2E_SPEED ?? 5);
export const TICK_MS = 250 / SPEED;

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `storesense-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function loadDeptStore(): Site {
  const r = loadSiteFile(exampleSitePath('dept-store'));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export function demoMember(memberId: string): DemoMember {
  const m = loadMembersCsv(demoMembersPath).members.find((x) => x.memberId === memberId);
  if (!m) throw new Error(`no demo member ${memberId}`);
  return m;
}

/** A clock that runs `speed` times faster than the wall clock from `originAt` once started. */
export class ScaledClock implements Clock {
  private wall0 = Date.now();
  private origin: number;
  constructor(
    originAt: number,
    private readonly speed: number,
  ) {
    this.origin = originAt;
  }
  restart(originAt: number): void {
    this.origin = originAt;
    this.wall0 = Date.now();
  }
  now(): number {
    return Math.round(this.origin + (Date.now() - this.wall0) * this.speed);
  }
}

/** "Member approaches, arrives, dwells, buys, exits", alone in the mall, as observations + truth. */
export function memberVisitScenario(site: Site, member: DemoMember, seed = 11) {
  const world = createWorld({
    site,
    seed,
    durationMs: 160_000,
    shoppersPerHour: 0,
    scenarios: [memberJourney({ memberId: member.memberId, key: member.tokenKey, approachAt: 5_000, dwellMs: 45_000 })],
  });
  const truth = world.truth();
  const observations = [...world.observations()];
  const subject = world.shoppers.find((s) => s.memberId === member.memberId)?.subject;
  if (!subject) throw new Error('scenario has no member shopper');
  return { world, truth, observations, subject };
}

export async function startCloud(dataDir: string, extra: Partial<CloudOptions> = {}): Promise<{ cloud: Cloud; endpoints: CloudEndpoints }> {
  const cloud = createCloud({
    dataDir,
    sites: [extra.sites?.[0] ?? loadDeptStore()],
    membersCsvPath: demoMembersPath,
    logger: cloudLogger({ level: 'silent' }),
    ...extra,
  });
  const endpoints = await cloud.start();
  return { cloud, endpoints };
}

export function gatewayConfig(site: Site, mqttUrl: string, dataDir: string): GatewayConfig {
  const gw = site.gateways[0]!;
  const config = renderGatewayConfig(site, gw.id, { mqtt: { url: mqttUrl }, dataDir });
  return { ...config, tickMs: TICK_MS, sources: [{ kind: 'http_observations' }], statusApi: { host: '127.0.0.1', port: 0 } };
}

export interface RunningGateway {
  gateway: Gateway;
  clock: ScaledClock;
  emitted: PresenceEvent[];
}

export async function startGateway(config: GatewayConfig, clock: ScaledClock, password: string): Promise<RunningGateway> {
  const gateway = createGateway(config, { clock, mqttPassword: password, logger: silentLogger() });
  const emitted: PresenceEvent[] = [];
  gateway.onEvent((e) => emitted.push(e));
  await gateway.start();
  return { gateway, clock, emitted };
}

/** Replays observations into the gateway's HTTP ingest at SPEED, keeping their times. */
export async function replayInto(gateway: Gateway, observations: Observation[], clock: ScaledClock): Promise<ReplayResult> {
  const url = gateway.statusUrl();
  if (!url) throw new Error('gateway has no status API');
  clock.restart(observations[0]!.at);
  return replayTrace({ observations, sink: createHttpSink({ baseUrl: url }), speed: SPEED, rebase: false });
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A staff websocket client collecting alert frames. */
export function staffSocket(httpUrl: string, since = 0): { alerts: StaffAlert[]; opened: Promise<void>; close(): void } {
  const alerts: StaffAlert[] = [];
  const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/api/v1/alerts/ws?since=${since}`);
  ws.on('message', (data) => {
    const frame = staffFrameSchema.safeParse(JSON.parse(String(data)));
    if (frame.success && frame.data.type === 'alert') alerts.push(frame.data.alert);
  });
  const opened = new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  return { alerts, opened, close: () => ws.close() };
}

export async function cloudEvents(httpUrl: string, siteId: string): Promise<PresenceEvent[]> {
  const res = await fetch(`${httpUrl}/api/v1/events?siteId=${siteId}&limit=1000`);
  if (!res.ok) throw new Error(`GET events: ${res.status}`);
  const body = (await res.json()) as { events: PresenceEvent[] };
  return body.events;
}

/** The stored events that correspond to one true event: same type (and phase, zone, floors), close in time. */
export function matching(events: PresenceEvent[], t: TruthEvent, toleranceMs: number): PresenceEvent[] {
  return events.filter(
    (e) =>
      e.type === t.type &&
      e.subject.id === t.subject &&
      (t.phase === undefined || e.phase === t.phase) &&
      (t.type !== 'dwell' || e.zoneId === t.zoneId) &&
      Math.abs(e.at - t.at) <= toleranceMs,
  );
}
