import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Pings every staff socket each `intervalMs` and terminates one that did not answer the previous
 * ping: phones on mobile networks vanish without a close, and proxies drop idle connections.
 * A timer at the edge; returns its stop function.
 */
export function startSocketHeartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (ws: WebSocket) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
  });
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      try {
        if (alive.get(ws) === false) {
          ws.terminate();
          continue;
        }
        alive.set(ws, false);
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
