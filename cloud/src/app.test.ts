import { createServer } from 'node:net';
import { codecs, topics } from '@storesense/protocol';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createCloud } from './app.js';
import { createLogger } from './log.js';
import { makeEvent, tempDir } from './testing/fixtures.js';
import { LogCapture, startTestCloud, waitFor } from './testing/harness.js';

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

describe('createCloud', () => {
  it('needs start() before provisioning or ingest', async () => {
    const t = tempDir();
    const cloud = createCloud({ dataDir: t.dir, logger: createLogger({ level: 'silent' }) });
    await expect(cloud.provisionGateway({ siteId: 's', gatewayId: 'g', password: 'long-enough' })).rejects.toThrow(/not started/);
    await cloud.stop(); // stopping a cloud that never started is a no-op
    t.cleanup();
  });

  it('stops cleanly with live sockets and mqtt clients, releasing both ports', async () => {
    const t = await startTestCloud();
    await t.cloud.provisionGateway({ siteId: 's', gatewayId: 'g', password: 'long-enough' });
    const gw = await mqtt.connectAsync(t.endpoints.mqttUrl, { clientId: 's.g', username: 's.g', password: 'long-enough', reconnectPeriod: 0 });
    const ws = new WebSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`);
    await new Promise((resolve) => ws.once('open', resolve));
    const wsClosed = new Promise((resolve) => ws.once('close', resolve));
    await t.stop();
    await wsClosed;
    expect(await canListen(t.endpoints.httpPort)).toBe(true);
    expect(await canListen(t.endpoints.mqttPort)).toBe(true);
    gw.end(true);
  });

  it('pings staff sockets so dead ones can be dropped', async () => {
    // 250 ms, not less: client and server share this process's event loop, and a socket whose pong
    // misses the next ping is dropped, so a shorter period fails on a loaded machine.
    const t = await startTestCloud({ socketPingMs: 250 });
    try {
      const ws = new WebSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`);
      let pings = 0;
      ws.on('ping', () => pings++);
      await new Promise((resolve) => ws.once('open', resolve));
      await waitFor(() => pings >= 3, 10_000, 'pings');
      expect(ws.readyState).toBe(WebSocket.OPEN); // it answers (ws auto-pongs), so it stays
      ws.close();
    } finally {
      await t.stop();
    }
  });

  it('raises one alert for two concurrent arrivals of the same member', async () => {
    const t = await startTestCloud();
    try {
      await t.cloud.store!.upsertMembers([{ memberId: 'M1', name: 'Ann', tier: 'gold', tags: [], consent: true, tokenKey: 'c'.repeat(32) }], 1);
      const at = Date.UTC(2026, 10, 23, 10);
      const events = [0, 1, 2].map((i) => makeEvent({ at: at + i * 1000, type: 'arrival', subject: { id: 's', memberId: 'M1', signals: ['ble'] } }));
      const outcomes = await Promise.all(events.map((e) => t.cloud.ingestEvent(e)));
      expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'stored']);
      expect((await t.cloud.store!.listAlerts({ limit: 10 })).length).toBe(1);
      expect((await t.cloud.store!.listOffers({ limit: 10 })).length).toBe(1);
      expect((await t.cloud.ingestEvent({ nonsense: true })).status).toBe('rejected');
    } finally {
      await t.stop();
    }
  });

  it("records a gateway's last will as offline", async () => {
    const t = await startTestCloud();
    try {
      await t.cloud.provisionGateway({ siteId: 's', gatewayId: 'g', password: 'long-enough' });
      const will = {
        topic: topics.stateConn('s', 'g'),
        payload: codecs.connState.encode({ v: 1, state: 'offline', at: 9, version: '1' }),
        qos: 1 as const,
        retain: true,
      };
      const gw = await mqtt.connectAsync(t.endpoints.mqttUrl, { clientId: 's.g', username: 's.g', password: 'long-enough', reconnectPeriod: 0, will });
      await gw.publishAsync(topics.stateConn('s', 'g'), codecs.connState.encode({ v: 1, state: 'online', at: 1, version: '1' }), { qos: 1, retain: true });
      await waitFor(async () => (await t.cloud.store!.listGateways())[0]?.conn?.state === 'online', 5000, 'online');
      gw.stream.destroy(); // vanish without DISCONNECT: the broker publishes the will
      await waitFor(async () => (await t.cloud.store!.listGateways())[0]?.conn?.state === 'offline', 5000, 'offline');
      gw.end(true);
    } finally {
      await t.stop();
    }
  });
});

describe('createLogger', () => {
  it('redacts passwords, keys, token keys and tokens', () => {
    const logs = new LogCapture();
    const log = createLogger({ destination: logs }).child({ module: 'x' });
    log.info({ password: 'p1', key: 'k1', tokenKey: 't1', token: 'tk', nested: { password: 'p2', key: 'k2' }, members: [{ memberId: 'M', key: 'k3' }] }, 'm');
    for (const secret of ['p1', 'k1', 't1', 'tk', 'p2', 'k2', 'k3']) expect(logs.text).not.toContain(`"${secret}"`);
    expect(logs.text).toContain('[redacted]');
  });
});
