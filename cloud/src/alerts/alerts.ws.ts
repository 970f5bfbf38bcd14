import { upgradeWebSocket } from '@hono/node-server';
import type { StaffAlert, StaffFrame } from '@storesense/protocol';
import type { MiddlewareHandler } from 'hono';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { parseQuery } from '../api/http-error.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { AlertHub } from './alert-hub.js';

/**
 * Issue-6 seam: decides whether a socket may open (short-lived ticket, store scope, Origin check).
 * Allows everything for now. `storeIds` limits the alerts a socket gets (all when absent).
 */
export type AuthorizeSocket = (request: { url: string; headers: Headers }) => Promise<SocketAuthorization>;
export type SocketAuthorization = { ok: true; storeIds?: readonly string[] } | { ok: false; status: 401 | 403; reason: string };
export const allowAllSockets: AuthorizeSocket = async () => ({ ok: true });

export interface AlertSocketOptions {
  store: CloudStore;
  hub: AlertHub;
  logger: Logger;
  metrics: Metrics;
  authorizeSocket?: AuthorizeSocket;
  /** Catch-up sends at most this many missed alerts (the newest are in the REST listing anyway). */
  maxCatchUp?: number;
  /** A socket whose unsent bytes exceed this is closed (1013) rather than buffered without bound. */
  maxBufferedBytes?: number;
}

// Without `since` a socket starts live (its hello tells the current seq); with it, it resumes.
const wsQuerySchema = z.object({ since: z.coerce.number().int().nonnegative().optional() });
const PAGE = 500;

/**
 * `GET /api/v1/alerts/ws?since=<seq>`: missed alerts with seq > since (at most `maxCatchUp`), a
 * `hello` with the seq the socket is now current to, then live alerts. Without `since`, no backlog.
 */
export function alertSocketHandlers(options: AlertSocketOptions): [gate: MiddlewareHandler, upgrade: MiddlewareHandler] {
  const log = options.logger.child({ module: 'alerts-ws' });
  const authorize = options.authorizeSocket ?? allowAllSockets;
  const maxCatchUp = options.maxCatchUp ?? 1000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  let nextSocketId = 1;

  const gate: MiddlewareHandler = async (c, next) => {
    parseQuery(wsQuerySchema, c.req.query()); // a bad `since` is a 400 before any upgrade
    const verdict = await authorize({ url: c.req.url, headers: c.req.raw.headers });
    if (!verdict.ok) {
      options.metrics.inc('alerts_ws.refused');
      log.warn({ reason: verdict.reason, status: verdict.status }, 'alert socket refused');
      return c.json({ error: verdict.reason }, verdict.status);
    }
    c.set('socketScope' as never, verdict.storeIds as never);
    await next();
  };

  const upgrade = upgradeWebSocket((c) => {
    const { since } = parseQuery(wsQuerySchema, c.req.query());
    const storeIds = c.get('socketScope' as never) as readonly string[] | undefined;
    const socketId = nextSocketId++;
    let lastSent = since ?? -1; // -1: resolved to the newest seq before the backlog is read
    let live = false;
    let closed = false;
    const queued: StaffAlert[] = [];
    let unsubscribe: (() => void) | undefined;
    const inScope = (a: StaffAlert) => !storeIds || (a.storeId !== undefined && storeIds.includes(a.storeId));

    return {
      onOpen(_evt, ws) {
        const raw = ws.raw as WebSocket | undefined;
        const send = (frame: StaffFrame) => {
          if (ws.readyState !== 1) return;
          if (raw && raw.bufferedAmount > maxBuffered) {
            options.metrics.inc('alerts_ws.too_slow');
            log.warn({ socketId }, 'alert socket too slow; closing');
            ws.close(1013, 'too slow');
            return;
          }
          ws.send(JSON.stringify(frame));
        };
        const sendAlert = (alert: StaffAlert) => {
          if (alert.seq <= lastSent || !inScope(alert)) return;
          send({ type: 'alert', alert });
          lastSent = alert.seq;
        };
        options.metrics.inc('alerts_ws.opened');
        log.info({ socketId, since }, 'alert socket opened');
        (async () => {
          if (lastSent < 0) lastSent = (await options.store.listAlerts({ limit: 1, newestFirst: true }))[0]?.seq ?? 0;
          // Subscribe before reading the backlog so nothing raised in between is lost (an alert is
          // stored before it is published); the queue is drained after the backlog, by seq.
          if (closed) return;
          unsubscribe = options.hub.subscribe((alert) => (live ? sendAlert(alert) : queued.push(alert)));
          let sent = 0;
          while (sent < maxCatchUp) {
            const page = await options.store.listAlerts({ sinceSeq: lastSent, limit: Math.min(PAGE, maxCatchUp - sent) });
            for (const a of page) {
              if (inScope(a)) sendAlert(a);
              else lastSent = Math.max(lastSent, a.seq);
            }
            sent += page.length;
            if (page.length < PAGE) break;
          }
          for (const a of queued.splice(0)) sendAlert(a);
          live = true;
          send({ type: 'hello', lastSeq: lastSent, ...(storeIds ? { storeIds: [...storeIds] } : {}) });
        })().catch((err: unknown) => {
          options.metrics.inc('alerts_ws.catch_up_failed');
          log.error({ err, socketId }, 'alert catch-up failed; closing socket');
          ws.close(1011, 'catch-up failed');
        });
      },
      onClose() {
        closed = true;
        unsubscribe?.();
        log.info({ socketId }, 'alert socket closed');
      },
      onError(evt) {
        options.metrics.inc('alerts_ws.errors');
        log.warn({ socketId, err: String((evt as Event & { message?: string }).message ?? evt.type) }, 'alert socket error');
      },
    };
  });
  return [gate, upgrade];
}
