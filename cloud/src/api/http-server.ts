import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import type { WebSocketServer } from 'ws';

/**
 * Socket-level limits of the cloud's HTTP server. Body limits are per route (body-limits.ts);
 * these bound what a client can hold before any route runs.
 */
export interface HttpServerLimits {
  /** Largest request head (request line + headers); Node answers 431 past it. Node's default is 16 KiB. */
  maxHeaderBytes: number;
  /** The whole head must arrive within this (slowloris); Node answers 408 and closes. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (slow uploads); 408. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above (its default, 30 s, would let them overrun). */
  connectionsCheckingIntervalMs: number;
  /** A pending upgrade (websocket handshake) still unanswered after this is destroyed. */
  upgradeTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpServerLimits> = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionsCheckingIntervalMs: 1_000,
  upgradeTimeoutMs: 10_000,
};

export interface CloudHttpServer {
  server: Server;
  /** Stops accepting, closes every connection (pending upgrades included) and resolves when closed. */
  close(): Promise<void>;
}

/**
 * The cloud's HTTP server (the only `createAdaptorServer` call): Hono's fetch plus the staff
 * websocket, with limits and an upgrade guard.
 *
 * Why the guard: with a websocket server attached, Node hands every request carrying `Upgrade:` to
 * the 'upgrade' listeners, and @hono/node-server's listener returns without a word for anything
 * but `Upgrade: websocket`. An `Upgrade: h2c` request then holds its socket forever, outside
 * `closeAllConnections()` (an upgraded socket is no longer the server's), so a few hundred of them
 * exhaust the process and SIGTERM never completes. RFC 9110 §7.8 lets a server ignore an upgrade it
 * does not support; we answer 400 and close instead, since the request body (if any) is already
 * detached from the HTTP parser. The guard keeps node-server's own listener as the only other one:
 * node-server rejects a failed websocket handshake only when it is the sole 'upgrade' listener.
 */
export function createCloudHttpServer(options: {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  wss: WebSocketServer;
  limits?: Partial<HttpServerLimits>;
}): CloudHttpServer {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const server = createAdaptorServer({
    fetch: options.fetch,
    websocket: { server: options.wss },
    serverOptions: {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
    },
  }) as Server;

  const websocketListeners = server.listeners('upgrade') as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
  server.removeAllListeners('upgrade');
  // Handshakes in flight, by request: the ws library takes the socket over on success, from then
  // on it is a client of `wss` (terminated by the cloud's shutdown) and no longer pending here.
  const pending = new Map<IncomingMessage, { socket: Duplex; timer: NodeJS.Timeout }>();
  const settle = (req: IncomingMessage) => {
    const p = pending.get(req);
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(req);
  };
  options.wss.on('connection', (_ws, req: IncomingMessage) => settle(req));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      rejectUpgrade(socket, 400, 'only websocket upgrades are served (on /api/v1/alerts/ws)');
      return;
    }
    const timer = setTimeout(() => socket.destroy(), limits.upgradeTimeoutMs);
    timer.unref();
    pending.set(req, { socket, timer });
    socket.once('close', () => settle(req));
    for (const listener of websocketListeners) listener.call(server, req, socket, head);
  });

  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const [req, { socket }] of pending) {
          settle(req);
          socket.destroy();
        }
      }),
  };
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
