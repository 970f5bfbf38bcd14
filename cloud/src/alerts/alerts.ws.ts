import { upgradeWebSocket } from '@hono/node-server';
import type { StaffFrame } from '@storesense/protocol';
import type { MiddlewareHandler } from 'hono';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { parseQuery } from '../api/http-error.js';
import { inScope, type AlertScope } from '../auth/principal.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CloudStore } from '../store/cloud-store.js';
import { type AlertChange, type AlertFanout, frameOf } from './alert-hub.js';
import type { SocketRegistry } from './socket-registry.js';

/**
 * Decides whether a socket may open (ticket, Origin) and which alerts it gets: `siteId` and
 * `storeIds` limit the scope (everything when absent). A refusal is told to the client as a close
 * code 4000 + status (4401 unauthenticated, 4403 forbidden) with the reason, because browsers
 * never see the HTTP status of a refused upgrade.
 */
export type AuthorizeSocket = (request: { url: string; headers: Headers }) => Promise<SocketAuthorization>;
export type SocketAuthorization =
  | { ok: true; siteId?: string | undefined; storeIds?: readonly string[] | undefined; who?: string; username?: string | undefined }
  | { ok: false; status: 401 | 403; reason: string };
export const allowAllSockets: AuthorizeSocket = async () => ({ ok: true });

export interface AlertSocketOptions {
  store: CloudStore;
  hub: AlertFanout;
  logger: Logger;
  metrics: Metrics;
  authorizeSocket?: AuthorizeSocket;
  /** Where sockets of signed-in accounts are registered, so a sign-out everywhere closes them. */
  registry?: SocketRegistry;
  /** Catch-up sends at most this many missed alerts (the newest are in the REST listing anyway). */
  maxCatchUp?: number;
  /** On resume, the current status of at most this many earlier, handled alerts is re-sent. */
  maxStatusCatchUp?: number;
  /** A socket whose unsent bytes exceed this is closed (1013) rather than buffered without bound. */
  maxBufferedBytes?: number;
}

// Without `since` a socket starts live (its hello tells the current seq); with it, it resumes.
const wsQuerySchema = z.object({ since: z.coerce.number().int().nonnegative().optional(), ticket: z.string().max(200).optional() });
const PAGE = 500;

/**
 * `GET /api/v1/alerts/ws?ticket=…&since=<seq>`: on resume, `alert_update`s with the current status
 * of earlier alerts someone claimed or acknowledged; missed alerts with seq > since (at most
 * `maxCatchUp`); a `hello` with the seq the socket is now current to; then live `alert` and
 * `alert_update` frames, all limited to the socket's store scope. Without `since`, no backlog.
 */
export function alertSocketHandlers(options: AlertSocketOptions): [gate: MiddlewareHandler, upgrade: MiddlewareHandler] {
  const log = options.logger.child({ module: 'alerts-ws' });
  const authorize = options.authorizeSocket ?? allowAllSockets;
  const maxCatchUp = options.maxCatchUp ?? 1000;
  const maxStatusCatchUp = options.maxStatusCatchUp ?? 200;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  let nextSocketId = 1;

  const gate: MiddlewareHandler = async (c, next) => {
    parseQuery(wsQuerySchema, c.req.query()); // a bad `since` is a 400 before any upgrade
    const verdict = await authorize({ url: c.req.url, headers: c.req.raw.headers });
    if (!verdict.ok) {
      options.metrics.inc('alerts_ws.refused');
      log.warn({ reason: verdict.reason, status: verdict.status }, 'alert socket refused');
    }
    c.set('socketVerdict' as never, verdict as never);
    await next();
  };

  const upgrade = upgradeWebSocket((c) => {
    const { since } = parseQuery(wsQuerySchema, c.req.query());
    const verdict = c.get('socketVerdict' as never) as SocketAuthorization;
    const scope: AlertScope = verdict.ok ? { siteId: verdict.siteId, storeIds: verdict.storeIds } : {};
    const socketId = nextSocketId++;
    let lastSent = since ?? -1; // -1: resolved to the newest seq before the backlog is read
    let live = false;
    let closed = false;
    const queued: AlertChange[] = [];
    let unsubscribe: (() => void) | undefined;
    let unregister: (() => void) | undefined;
    const query = { siteId: scope.siteId, storeIds: scope.storeIds };

    return {
      onOpen(_evt, ws) {
        if (!verdict.ok) {
          // Accepted only to say why: nothing is sent before this close.
          ws.close(4000 + verdict.status, verdict.reason);
          return;
        }
        const raw = ws.raw as WebSocket | undefined;
        // The TCP socket under ws: corked for the rest of the turn at the first send, so the
        // frames of one fan-out turn leave in one write (decision 122).
        const tcp = (raw as unknown as { _socket?: { cork(): void; uncork(): void; destroyed?: boolean } } | undefined)?._socket;
        let corked = false;
        const tooSlow = (): boolean => {
          if (!raw || raw.bufferedAmount <= maxBuffered) return false;
          options.metrics.inc('alerts_ws.too_slow');
          log.warn({ socketId }, 'alert socket too slow; closing');
          ws.close(1013, 'too slow');
          return true;
        };
        const send = (frame: StaffFrame) => {
          if (ws.readyState !== 1 || tooSlow()) return;
          ws.send(JSON.stringify(frame));
        };
        /** A hub change: its frame is serialised once for all sockets and written as is. */
        const sendShared = (change: AlertChange) => {
          if (ws.readyState !== 1 || tooSlow()) return;
          if (!raw) return ws.send(frameOf(change).toString());
          if (tcp && !corked) {
            corked = true;
            tcp.cork();
            process.nextTick(() => {
              corked = false;
              if (!tcp.destroyed) tcp.uncork();
            });
          }
          raw.send(frameOf(change), { binary: false });
        };
        const sendChange = (change: AlertChange) => {
          if (!inScope(scope, change.alert)) return;
          if (change.type === 'alert_update') return sendShared(change);
          if (change.alert.seq <= lastSent) return;
          sendShared(change);
          lastSent = change.alert.seq;
        };
        if (verdict.username !== undefined && options.registry) {
          unregister = options.registry.add(verdict.username, (code, reason) => ws.close(code, reason));
        }
        options.metrics.inc('alerts_ws.opened');
        log.info({ socketId, since, who: verdict.who, storeIds: scope.storeIds }, 'alert socket opened');
        (async () => {
          if (lastSent < 0) lastSent = (await options.store.listAlerts({ limit: 1, newestFirst: true }))[0]?.seq ?? 0;
          // Subscribe before reading the backlog so nothing raised in between is lost (an alert is
          // stored before it is published); the queue is drained after the backlog, by seq.
          if (closed) return;
          unsubscribe = options.hub.subscribe((change) => (live ? sendChange(change) : queued.push(change)));
          if (since !== undefined && since > 0) {
            // Claims and acks of alerts the client already had may have happened while it was away.
            const handled = await options.store.listAlerts({ ...query, upToSeq: since, handledOnly: true, limit: maxStatusCatchUp, newestFirst: true });
            for (const a of handled.reverse()) send({ type: 'alert_update', alert: a });
          }
          let sent = 0;
          while (sent < maxCatchUp) {
            const page = await options.store.listAlerts({ ...query, sinceSeq: lastSent, limit: Math.min(PAGE, maxCatchUp - sent) });
            for (const a of page) sendChange({ type: 'alert', alert: a });
            sent += page.length;
            if (page.length < PAGE) break;
          }
          for (const change of queued.splice(0)) sendChange(change);
          live = true;
          send({ type: 'hello', lastSeq: lastSent, ...(scope.storeIds ? { storeIds: [...scope.storeIds] } : {}) });
        })().catch((err: unknown) => {
          options.metrics.inc('alerts_ws.catch_up_failed');
          log.error({ err, socketId }, 'alert catch-up failed; closing socket');
          ws.close(1011, 'catch-up failed');
        });
      },
      onClose() {
        closed = true;
        unsubscribe?.();
        unregister?.();
        if (verdict.ok) log.info({ socketId }, 'alert socket closed');
      },
      onError(evt) {
        options.metrics.inc('alerts_ws.errors');
        log.warn({ socketId, err: String((evt as Event & { message?: string }).message ?? evt.type) }, 'alert socket error');
      },
    };
  });
  return [gate, upgrade];
}
