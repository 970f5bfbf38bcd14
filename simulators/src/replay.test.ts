import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { parseObservationLine, topics, type Observation } from '@storesense/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpSink } from './http.sink.js';
import { createMqttSink, splitBrokerUrl } from './mqtt.adapter.js';
import { MemorySink, replayTrace, type ObservationSink } from './replay.js';
import { fakeClock } from './testing/fixtures.js';

const obs = (at: number, subject = 's_0000000a'): Observation => ({ v: 1, at, source: 'ble', receiverId: 'rx-1', subject, rssiDbm: -70 });
const T0 = 1_767_607_200_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('replayTrace pacing (fake clock)', () => {
  it('sends each observation when its at / speed comes due, rebased to now', async () => {
    const clock = fakeClock(5_000_000);
    const sink = new MemorySink(clock);
    const r = await replayTrace({ observations: [obs(T0), obs(T0 + 1000), obs(T0 + 2000), obs(T0 + 6000)], sink, speed: 2, clock, sleep: clock.sleep });
    expect(sink.batches.map((b) => b.at - 5_000_000)).toEqual([0, 500, 1000, 3000]);
    // Rebased like the gateway's replay source: now + (at - first) / speed.
    expect(sink.batches.flatMap((b) => b.observations.map((o) => o.at - 5_000_000))).toEqual([0, 500, 1000, 3000]);
    expect(r).toMatchObject({ sent: 4, batches: 4, failedBatches: 0, firstAt: T0, lastAt: T0 + 6000, offsetMs: 5_000_000 - T0, elapsedMs: 3000 });
  });

  it('keeps original times without rebase and batches observations due together', async () => {
    const clock = fakeClock(0);
    const sink = new MemorySink(clock);
    const input = [obs(T0), obs(T0 + 10, 's_0000000b'), obs(T0 + 30), obs(T0 + 400), obs(T0 + 420)];
    await replayTrace({ observations: input, sink, speed: 1, rebase: false, clock, sleep: clock.sleep, batchWindowMs: 50 });
    expect(sink.batches.map((b) => b.observations.length)).toEqual([3, 2]);
    expect(sink.batches.map((b) => b.at)).toEqual([30, 420]);
    expect(sink.batches.flatMap((b) => b.observations)).toEqual(input);
  });

  it('runs faster at higher speed and respects maxBatch', async () => {
    const clock = fakeClock(0);
    const sink = new MemorySink(clock);
    const input = Array.from({ length: 100 }, (_, i) => obs(T0 + i * 100));
    const r = await replayTrace({ observations: input, sink, speed: 100, clock, sleep: clock.sleep, maxBatch: 7 });
    expect(r.elapsedMs).toBeCloseTo(99, 0);
    expect(Math.max(...sink.batches.map((b) => b.observations.length))).toBeLessThanOrEqual(7);
    expect(r.sent).toBe(100);
  });

  it('counts and drops failing batches without stopping', async () => {
    const clock = fakeClock(0);
    let calls = 0;
    const flaky: ObservationSink = {
      name: 'flaky',
      send: async () => {
        if (calls++ === 1) throw new Error('broker said no');
      },
      close: async () => {},
    };
    const r = await replayTrace({ observations: [obs(T0), obs(T0 + 1000), obs(T0 + 2000)], sink: flaky, clock, sleep: clock.sleep });
    expect(r).toMatchObject({ sent: 2, batches: 2, failedBatches: 1, failedObservations: 1 });
  });

  it('refuses a non-positive speed', async () => {
    await expect(replayTrace({ observations: [], sink: new MemorySink(), speed: 0 })).rejects.toThrow(/speed/);
  });
});

describe('replay sinks on loopback', () => {
  it('publishes JSON arrays with QoS 1 to the gateway obs topic of a real MQTT broker (aedes)', async () => {
    const broker = await Aedes.createBroker();
    broker.authenticate = (_client, username, password, done) => done(null, username === 'mall-bj-01.gw-1' && password?.toString() === 's3cret');
    const server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    });
    const port = (server.address() as AddressInfo).port;
    const received: { topic: string; qos: number; payload: Observation[] }[] = [];
    broker.on('publish', (packet, client) => {
      if (client) received.push({ topic: packet.topic, qos: packet.qos, payload: JSON.parse(packet.payload.toString()) as Observation[] });
    });
    const sink = await createMqttSink({ url: `mqtt://127.0.0.1:${port}?username=mall-bj-01.gw-1&password=s3cret`, siteId: 'mall-bj-01', gatewayId: 'gw-1' });
    const input = Array.from({ length: 20 }, (_, i) => obs(T0 + i * 100));
    const clock = fakeClock(T0);
    const r = await replayTrace({ observations: input, sink, speed: 1000, rebase: false, clock, sleep: clock.sleep, batchWindowMs: 250 });
    await sink.close();
    expect(r.failedBatches).toBe(0);
    expect(received.length).toBe(r.batches);
    expect(received.every((m) => m.topic === topics.observations('mall-bj-01', 'gw-1') && m.qos === 1)).toBe(true);
    expect(received.flatMap((m) => m.payload)).toEqual(input);
  });

  it('fails to connect with wrong credentials instead of hanging', async () => {
    const broker = await Aedes.createBroker();
    broker.authenticate = (_client, _username, _password, done) => done(null, false);
    const server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    });
    const port = (server.address() as AddressInfo).port;
    await expect(createMqttSink({ url: `mqtt://127.0.0.1:${port}`, siteId: 's', gatewayId: 'g', connectTimeoutMs: 2000 })).rejects.toThrow();
  });

  it('POSTs NDJSON batches to {url}/api/v1/observations', async () => {
    const bodies: { path: string; type: string; lines: Observation[] }[] = [];
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const lines = body
          .trim()
          .split('\n')
          .map((l) => parseObservationLine(l));
        bodies.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', lines: lines.flatMap((l) => (l.ok ? [l.value] : [])) });
        res.statusCode = bodies.length === 2 ? 503 : 202;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const clock = fakeClock(0);
    const input = [obs(T0), obs(T0 + 1000), obs(T0 + 2000)];
    const r = await replayTrace({
      observations: input,
      sink: createHttpSink({ baseUrl: `http://127.0.0.1:${port}` }),
      rebase: false,
      clock,
      sleep: clock.sleep,
    });
    expect(bodies.map((b) => b.path)).toEqual(['/api/v1/observations', '/api/v1/observations', '/api/v1/observations']);
    expect(bodies[0]!.type).toBe('application/x-ndjson');
    expect(bodies.flatMap((b) => b.lines)).toEqual(input);
    expect(r).toMatchObject({ sent: 2, failedBatches: 1 });
  });

  it('splits credentials out of broker URLs', () => {
    expect(splitBrokerUrl('mqtt://127.0.0.1:1884?username=a.b&password=p%40ss')).toEqual({ url: 'mqtt://127.0.0.1:1884', username: 'a.b', password: 'p@ss' });
    expect(splitBrokerUrl('mqtt://u:pw@host:1884')).toEqual({ url: 'mqtt://host:1884', username: 'u', password: 'pw' });
    expect(() => splitBrokerUrl('http://host')).toThrow(/not an MQTT URL/);
  });
});
