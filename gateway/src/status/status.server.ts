import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/**
 * Slow-client bounds of the status API (ingest from terminals, Meraki, the console): the head
 * within 10 s (slowloris), the whole request within 30 s, idle keep-alive closed after 5 s; Node
 * checks both every second (its default interval, 30 s, lets them overrun). Heads over 16 KiB get
 * 431 from Node itself.
 */
const SERVER_OPTIONS = {
  maxHeaderSize: 16 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
} as const;

/** Serves a Hono app on host:port (0 = ephemeral); the only file importing @hono/node-server. */
export async function listen(app: Hono, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port, serverOptions: SERVER_OPTIONS }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    // closeAllConnections: keep-alive clients and requests in flight must not hold a shutdown open.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
