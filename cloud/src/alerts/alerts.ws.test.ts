import { demoMembersPath, exampleSitePath, loadSiteFile, type Site } from '@storesense/firmware-config';
import { codecs, staffFrameSchema, topics, type StaffFrame } from '@storesense/protocol';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeEvent } from '../testing/fixtures.js';
import { connectClient, startTestCloud, waitFor, type TestCloud } from '../testing/harness.js';

/** A staff socket that records every frame, validated against the protocol schema. */
function openSocket(url: string): { frames: StaffFrame[]; invalid: unknown[]; ws: WebSocket; opened: Promise<void> } {
  const ws = new WebSocket(url);
  const frames: StaffFrame[] = [];
  const invalid: unknown[] = [];
  ws.on('message', (data) => {
    const raw: unknown = JSON.parse(String(data));
    const parsed = staffFrameSchema.safeParse(raw);
    if (parsed.success) frames.push(parsed.data);
    else invalid.push(raw);
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { frames, invalid, ws, opened };
}

const alertsOf = (frames: StaffFrame[]) => frames.flatMap((f) => (f.type === 'alert' ? [f.alert] : []));

describe('staff alerts over websocket', () => {
  let t: TestCloud;
  let site: Site;
  let gw: MqttClient;
  let siteId: string;
  let gatewayId: string;
  const T0 = Date.UTC(2026, 10, 23, 2, 0, 0);

  beforeAll(async () => {
    const loaded = loadSiteFile(exampleSitePath('boutique'));
    if (!loaded.ok) throw new Error(loaded.error);
    site = loaded.value;
    siteId = site.id;
    gatewayId = site.gateways[0]!.id;
    t = await startTestCloud({ sites: [site], membersCsvPath: demoMembersPath });
    await t.cloud.provisionGateway({ siteId, gatewayId, password: 'boutique-gw-password' });
    gw = await connectClient(t.endpoints.mqttUrl, `${siteId}.${gatewayId}`, 'boutique-gw-password');
  });
  afterAll(async () => {
    await gw?.endAsync();
    await t?.stop();
  });

  async function publish(type: 'approach' | 'arrival', at: number, memberId?: string) {
    const e = makeEvent({ siteId, gatewayId, type, at, subject: { id: `s_${memberId ?? 'anon'}`, signals: ['ble'], ...(memberId ? { memberId } : {}) } });
    await gw.publishAsync(topics.event(siteId, gatewayId, type), codecs.event.encode(e), { qos: 1 });
    await waitFor(async () => (await t.cloud.store!.listEvents({ limit: 1000 })).some((s) => s.event.id === e.id), 5000, 'event stored');
    return e;
  }

  it('pushes a live alert after a member arrival, records one welcome offer, honours the cooldown', async () => {
    const sock = openSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws?since=0`);
    await sock.opened;
    await waitFor(() => sock.frames.some((f) => f.type === 'hello'), 5000, 'hello');

    const arrival = await publish('arrival', T0, 'M0001');
    const [alert] = await waitFor(() => (alertsOf(sock.frames).length === 1 ? alertsOf(sock.frames) : undefined), 5000, 'live alert');
    expect(alert).toMatchObject({
      eventId: arrival.id,
      eventType: 'arrival',
      memberId: 'M0001',
      memberName: 'Li Na',
      siteId,
      storeId: 'boutique',
      status: 'open',
    });
    expect(alert!.message).toContain('now inside');
    expect(sock.invalid).toEqual([]);

    const offers = (await (await fetch(`${t.endpoints.httpUrl}/api/v1/offers?memberId=M0001`)).json()) as { offers: unknown[] };
    expect(offers.offers).toHaveLength(1);
    expect(offers.offers[0]).toMatchObject({ kind: 'welcome', memberId: 'M0001', siteId, storeId: 'boutique', day: '2026-11-23', status: 'issued' });

    // Same member back 3 minutes later: inside the cooldown, and not the first arrival of the day.
    await publish('arrival', T0 + 3 * 60_000, 'M0001');
    // An anonymous shopper and a non-member cause nothing.
    await publish('arrival', T0 + 4 * 60_000);
    await publish('arrival', T0 + 4 * 60_000, 'NOT-A-MEMBER');
    // Another member approaching: an alert of its own.
    const approach = await publish('approach', T0 + 5 * 60_000, 'M0002');
    await waitFor(() => alertsOf(sock.frames).length === 2, 5000, 'second alert');
    expect(alertsOf(sock.frames)[1]).toMatchObject({ eventId: approach.id, memberId: 'M0002', eventType: 'approach' });
    expect(alertsOf(sock.frames)[1]!.message).toContain('is near');
    expect(t.cloud.metrics.get('alerts.raised')).toBe(2);
    expect(t.cloud.metrics.get('offers.issued')).toBe(1);
    sock.ws.close();
  });

  it('sends missed alerts with seq > since on connect, then hello, then live ones', async () => {
    const all = await t.cloud.store!.listAlerts({ limit: 100 });
    expect(all.length).toBeGreaterThanOrEqual(2);
    const sock = openSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws?since=${all[0]!.seq}`);
    await sock.opened;
    await waitFor(() => sock.frames.some((f) => f.type === 'hello'), 5000, 'hello');
    expect(alertsOf(sock.frames).map((a) => a.seq)).toEqual(all.slice(1).map((a) => a.seq));
    expect(sock.frames.at(-1)).toEqual({ type: 'hello', lastSeq: all.at(-1)!.seq });

    await publish('approach', T0 + 60 * 60_000, 'M0003');
    await waitFor(() => alertsOf(sock.frames).some((a) => a.memberId === 'M0003'), 5000, 'live alert after catch-up');
    sock.ws.close();
  });

  it('starts live without since: no backlog, a hello with the newest seq', async () => {
    const newest = (await t.cloud.store!.listAlerts({ limit: 1, newestFirst: true }))[0]!;
    const sock = openSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`);
    await sock.opened;
    await waitFor(() => sock.frames.length > 0, 5000, 'hello');
    expect(sock.frames).toEqual([{ type: 'hello', lastSeq: newest.seq }]);
    await publish('arrival', T0 + 3 * 60 * 60_000, 'M0004');
    await waitFor(() => alertsOf(sock.frames).length === 1, 5000, 'live alert');
    expect(alertsOf(sock.frames)[0]!.seq).toBeGreaterThan(newest.seq);
    sock.ws.close();
  });

  it('refuses a bad since with 400 before upgrading', async () => {
    const ws = new WebSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws?since=-4`);
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(400);
  });
});

describe('authorizeSocket seam', () => {
  it('refuses a socket when the hook says no', async () => {
    const t = await startTestCloud({ authorizeSocket: async () => ({ ok: false, status: 401, reason: 'ticket required' }) });
    try {
      const ws = new WebSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`);
      const frames: unknown[] = [];
      ws.on('message', (d) => frames.push(String(d)));
      // Browsers never see the status of a refused upgrade, so the refusal is a close code + reason.
      const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
        ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
      );
      expect(closed).toEqual({ code: 4401, reason: 'ticket required' });
      expect(frames).toEqual([]);
      expect(t.cloud.metrics.get('alerts_ws.refused')).toBe(1);
    } finally {
      await t.stop();
    }
  });
});
