import { describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { silentLogger } from '../log.js';
import { createHttpObservationSource } from '../sources/http-observations/http-observations.source.js';
import { ble } from '../testing/fixtures.js';
import { createStatusApp } from './status.api.js';

function setup() {
  const got: Observation[] = [];
  const source = createHttpObservationSource({ logger: silentLogger() });
  source.start((obs) => got.push(...obs));
  const app = createStatusApp({
    health: () => ({
      v: 1,
      at: 1,
      version: 't',
      sources: { http_observations: source.health() },
      outbox: { depth: 0, dropped: 0 },
      model: { name: 'rules', version: '1' },
      subjects: 0,
    }),
    observations: source,
    logger: silentLogger(),
  });
  return { app, got, source };
}

describe('status API (in-process)', () => {
  it('GET /api/v1/health', async () => {
    const { app } = setup();
    const res = await app.request('/api/v1/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ v: 1, model: { name: 'rules' } });
  });

  it('accepts NDJSON and a JSON array', async () => {
    const { app, got } = setup();
    const nd = [ble(1, 'rx-a', 's1', -60), ble(2, 'rx-a', 's1', -61)].map((o) => JSON.stringify(o)).join('\n');
    expect((await app.request('/api/v1/observations', { method: 'POST', body: nd })).status).toBe(200);
    const arr = await app.request('/api/v1/observations', {
      method: 'POST',
      body: JSON.stringify([ble(3, 'rx-a', 's2', -70)]),
      headers: { 'content-type': 'application/json' },
    });
    expect(await arr.json()).toEqual({ accepted: 1 });
    expect(got.map((o) => o.at)).toEqual([1, 2, 3]);
  });

  it('answers 400 with reasons for malformed lines and keeps the good ones', async () => {
    const { app, got, source } = setup();
    const body = [
      JSON.stringify(ble(1, 'rx-a', 's1', -60)),
      '{not json',
      JSON.stringify({ ...ble(2, 'rx-a', 's1', -60), rssiDbm: 99 }),
      '',
      JSON.stringify(ble(3, 'rx a', 's1', -60)),
      JSON.stringify(ble(4, 'rx-a', 's1', -60)),
    ].join('\n');
    const res = await app.request('/api/v1/observations', { method: 'POST', body });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { accepted: number; rejected: { at: string; error: string }[] };
    expect(json.accepted).toBe(2);
    expect(json.rejected.map((r) => r.at)).toEqual(['line 2', 'line 3', 'line 5']);
    expect(json.rejected[0]!.error).toMatch(/malformed JSON/);
    expect(json.rejected[1]!.error).toMatch(/rssiDbm/);
    expect(json.rejected[2]!.error).toMatch(/receiverId/);
    expect(got.map((o) => o.at)).toEqual([1, 4]);
    expect(source.health()).toMatchObject({ observations: 2, rejected: 3 });
  });

  it('rejects a malformed array body as a whole with a reason', async () => {
    const { app } = setup();
    const res = await app.request('/api/v1/observations', { method: 'POST', body: '[{"v":1,' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { rejected: unknown[] }).rejected).toHaveLength(1);
  });

  it('404 for observations when the source is not configured', async () => {
    const app = createStatusApp({
      health: () => {
        throw new Error('unused');
      },
      logger: silentLogger(),
    });
    expect((await app.request('/api/v1/observations', { method: 'POST', body: '' })).status).toBe(404);
    expect((await app.request('/api/v1/health')).status).toBe(500);
  });
});

describe('status API body limit (real socket)', () => {
  it('refuses a chunked body over maxBodyBytes with 413 and keeps nothing of it', async () => {
    const { listen } = await import('./status.server.js');
    const got: Observation[] = [];
    const source = createHttpObservationSource({ logger: silentLogger() });
    source.start((obs) => got.push(...obs));
    const app = createStatusApp({
      health: () => ({ v: 1, at: 1, version: 't', sources: {}, outbox: { depth: 0, dropped: 0 }, model: { name: 'rules', version: '1' }, subjects: 0 }),
      observations: source,
      logger: silentLogger(),
      maxBodyBytes: 64 * 1024,
    });
    const server = await listen(app, '127.0.0.1', 0);
    try {
      const line = `${JSON.stringify(ble(1, 'rx-a', 's1', -60))}\n`;
      // Before: only Content-Length was checked and the whole body was read before its size was,
      // so a chunked upload that never ends was buffered without bound. Now the answer comes at the
      // limit, while the client is still sending (it never sends the final chunk here).
      const { connect } = await import('node:net');
      const port = Number(new URL(server.url).port);
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(text);
        }, 5000);
        socket.on('data', (d) => {
          text += d.toString();
          if (text.includes('\r\n\r\n')) {
            clearTimeout(timer);
            socket.destroy();
            resolve(text);
          }
        });
        socket.on('error', () => undefined);
        const chunk = line.repeat(256);
        socket.write('POST /api/v1/observations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
        for (let i = 0; i < 16; i += 1) socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 413/);
      expect(got).toHaveLength(0);
      const ok = await fetch(`${server.url}/api/v1/observations`, { method: 'POST', body: line });
      expect(ok.status).toBe(200);
      expect(got).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('status API ingest refuses raw MACs as subjects (property, every spelling)', () => {
  it('a MAC-shaped subject is rejected with a reason that does not repeat it; nothing reaches the pipeline', async () => {
    const fc = (await import('fast-check')).default;
    const { app, got, source } = setup();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.nat(7), async (mac, form) => {
        const pairs = Array.from(mac, (x) => x.toString(16).padStart(2, '0'));
        const bare = pairs.join('');
        const spelled = [pairs.join(':'), pairs.join('-'), bare, `${bare.slice(0, 4)}.${bare.slice(4, 8)}.${bare.slice(8)}`];
        const subject = [...spelled, ...spelled.map((s) => s.toUpperCase())][form]!;
        const res = await app.request('/api/v1/observations', { method: 'POST', body: JSON.stringify(ble(1, 'rx-a', subject, -60)) });
        expect(res.status).toBe(400);
        const text = await res.text();
        expect(text).toMatch(/looks like a MAC address/);
        expect(text.toLowerCase()).not.toContain(subject.toLowerCase());
      }),
      { numRuns: 200 },
    );
    expect(got).toHaveLength(0);
    expect(source.health().rejected).toBeGreaterThanOrEqual(200);
  });
});
