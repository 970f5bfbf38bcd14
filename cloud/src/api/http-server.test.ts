import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestCloud, type TestCloud } from '../testing/harness.js';
import { DEFAULT_BODY_BYTES, DEFAULT_MAX_URL_BYTES } from './request-limits.js';

/** Sends raw bytes and resolves with everything the server sent before closing (or `timeoutMs`). */
function raw(port: number, request: string | Buffer, opts: { timeoutMs?: number; keepOpen?: boolean } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => done(false), opts.timeoutMs ?? 3000);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    socket.write(request);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('cloud HTTP server limits', () => {
  let t: TestCloud | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('answers and closes a non-websocket upgrade (h2c); many of them neither exhaust the server nor hold up stop()', async () => {
    t = await startTestCloud();
    const port = t.endpoints.httpPort;
    const h2c =
      'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n';
    const one = await raw(port, h2c);
    expect(statusOf(one.text)).toBe(400);
    expect(one.closed).toBe(true);
    // Before the guard each of these held its socket forever; 300 at once must all be answered.
    const many = await Promise.all(Array.from({ length: 300 }, () => raw(port, h2c)));
    expect(many.filter((r) => statusOf(r.text) === 400 && r.closed)).toHaveLength(300);
    const health = await fetch(`${t.endpoints.httpUrl}/api/v1/health`);
    expect(health.status).toBe(200);
    // A websocket upgrade on another path is refused (404), not left hanging.
    const wsElsewhere = await raw(
      port,
      'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(statusOf(wsElsewhere.text)).toBe(404);
    // The real websocket still works beside the guard.
    const ws = new WebSocket(`${t.endpoints.httpUrl.replace('http', 'ws')}/api/v1/alerts/ws`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.close();
    // A half-sent upgrade (headers never finished) and an unanswered one do not block shutdown.
    const pending = connect(port, '127.0.0.1');
    pending.on('error', () => undefined);
    pending.write('GET /api/v1/alerts/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
    await t.stop();
    t = undefined;
    pending.destroy();
  });

  it('refuses bodies over the limit while they stream: chunked, declared, and on the login route (413)', async () => {
    t = await startTestCloud();
    const port = t.endpoints.httpPort;
    const chunk = 'x'.repeat(64 * 1024);
    const chunks = Math.ceil((DEFAULT_BODY_BYTES * 4) / chunk.length);
    // Chunked: no Content-Length; the server must stop reading at the limit and answer 413.
    let chunked = 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (let i = 0; i < chunks; i += 1) chunked += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    chunked += '0\r\n\r\n';
    const a = await raw(port, chunked);
    expect(statusOf(a.text)).toBe(413);
    // Declared too large: refused before the body is read (we never send it).
    const b = await raw(port, `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`);
    expect(statusOf(b.text)).toBe(413);
    expect(b.closed).toBe(true);
    // Under the limit, the route still runs (a bad login is a 4xx of its own, not 413).
    const c = await fetch(`${t.endpoints.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: 'wrong-password' }),
    });
    expect(c.status).not.toBe(413);
    // A streamed fetch body (chunked by undici) over the limit.
    const big = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (let i = 0; i < chunks; i += 1) ctrl.enqueue(new TextEncoder().encode(chunk));
        ctrl.close();
      },
    });
    const d = await fetch(`${t.endpoints.httpUrl}/api/v1/rules`, {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(d.status).toBe(413);
  });

  it('refuses long request targets (414) and oversized heads (431)', async () => {
    t = await startTestCloud();
    const long = await fetch(`${t.endpoints.httpUrl}/api/v1/events?siteId=${'a'.repeat(DEFAULT_MAX_URL_BYTES)}`);
    expect(long.status).toBe(414);
    const head = await raw(t.endpoints.httpPort, `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`);
    expect(statusOf(head.text)).toBe(431);
  });

  it('closes a client that never finishes its request head (slowloris)', async () => {
    t = await startTestCloud({ httpLimits: { headersTimeoutMs: 300, requestTimeoutMs: 600, connectionsCheckingIntervalMs: 100 } });
    const slow = await raw(t.endpoints.httpPort, 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 5000 });
    expect(slow.closed).toBe(true);
    expect(statusOf(slow.text)).toBe(408);
  });
});
