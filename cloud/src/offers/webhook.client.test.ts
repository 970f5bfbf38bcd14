import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhookUrl, classifyAddress, postJson } from './webhook.client.js';

describe('webhook URL policy', () => {
  it.each([
    ['https://push.example.com/offers', {}, true],
    ['http://127.0.0.1:8080/hook', {}, true],
    ['http://localhost:8080/hook', {}, true],
    ['http://[::1]:8080/hook', {}, true],
    ['http://push.example.com/offers', {}, false], // plain http off loopback
    ['https://10.1.2.3/push', {}, false],
    ['https://10.1.2.3/push', { allowPrivateNetworks: true }, true],
    ['http://10.1.2.3/push', { allowPrivateNetworks: true }, false], // still https only off loopback
    ['https://169.254.169.254/latest/meta-data', {}, false], // cloud metadata
    ['https://192.168.1.1/', {}, false],
    ['https://[fd00::1]/', {}, false],
    ['https://[::ffff:10.0.0.1]/', {}, false],
    ['https://100.64.0.1/', {}, false],
    ['ftp://push.example.com/', {}, false],
    ['https://user:pw@push.example.com/', {}, false],
    ['not a url', {}, false],
  ])('%s %j -> allowed %s', (url, policy, ok) => {
    expect(checkWebhookUrl(url, policy).ok).toBe(ok);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['fe80::1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });
});

describe('postJson against a real local server', () => {
  let server: Server;
  let base: string;
  const seen: { path: string; headers: Record<string, unknown>; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/ok') res.end('fine');
        else if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end();
        else if (req.url === '/busy') res.writeHead(503).end();
        else if (req.url === '/bad') res.writeHead(400).end();
        else if (req.url === '/slow') setTimeout(() => res.end('late'), 2000);
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts JSON with the given headers', async () => {
    expect(await postJson(`${base}/ok`, { a: 1 }, {}, { 'idempotency-key': 'o1' })).toEqual({ ok: true, status: 200 });
    expect(seen.at(-1)).toMatchObject({ path: '/ok', body: '{"a":1}', headers: { 'content-type': 'application/json', 'idempotency-key': 'o1' } });
  });

  it('does not follow a redirect; 5xx is retryable, other 4xx are not', async () => {
    const before = seen.length;
    expect(await postJson(`${base}/redirect`, {})).toEqual({ ok: false, status: 302, error: 'redirect 302 not followed', retry: false });
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/redirect']); // /ok never asked
    expect(await postJson(`${base}/busy`, {})).toMatchObject({ ok: false, status: 503, retry: true });
    expect(await postJson(`${base}/bad`, {})).toMatchObject({ ok: false, status: 400, retry: false });
  });

  it('gives up after the timeout (retryable)', async () => {
    expect(await postJson(`${base}/slow`, {}, { timeoutMs: 150 })).toMatchObject({ ok: false, error: 'timed out after 150 ms', retry: true });
  });

  it('refuses a disallowed URL without sending anything', async () => {
    const before = seen.length;
    const port = new URL(base).port;
    expect(await postJson(`http://push.example.com:${port}/ok`, {})).toMatchObject({ ok: false, retry: false, error: expect.stringContaining('loopback') });
    expect(await postJson('https://10.0.0.1/ok', {})).toMatchObject({ ok: false, retry: false, error: expect.stringContaining('private-range') });
    expect(seen.length).toBe(before);
  });

  it('refuses at connect time a public-looking name that resolves to a private address', async () => {
    // A DNS answer pointing a public name at the local server (rebinding): refused when connecting.
    const port = new URL(base).port;
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    const before = seen.length;
    expect(await postJson(`https://push.example.com:${port}/ok`, {}, { resolve })).toMatchObject({
      ok: false,
      retry: false,
      error: expect.stringContaining('private-range'),
    });
    expect(await postJson(`https://push.example.com:${port}/ok`, {}, { resolve: async () => [{ address: '10.0.0.7', family: 4 }] })).toMatchObject({
      retry: false,
    });
    expect(seen.length).toBe(before);
    // Allowed explicitly: the connection is made (and fails TLS against a plain-http server: retryable).
    expect(await postJson(`https://push.example.com:${port}/ok`, {}, { resolve, allowPrivateNetworks: true, timeoutMs: 1000 })).toMatchObject({
      ok: false,
      retry: true,
    });
  });
});
