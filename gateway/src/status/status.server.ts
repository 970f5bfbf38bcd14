import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

/** Serves a Hono app on host:port (0 = ephemeral); the only file importing @hono/node-server. */
export async function listen(app: Hono, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
