import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { GatewayHealth } from '@storesense/protocol';
import type { Logger } from '../log.js';
import type { HttpObservationSource } from '../sources/http-observations/http-observations.source.js';
import type { MerakiSource } from '../sources/meraki/meraki.source.js';
import type { WifiStatus } from '../wifi/wifi.survey.js';
import type { GatewayPrometheus } from './metrics.prom.js';

export interface StatusApiOptions {
  health: () => GatewayHealth;
  /** Present when the http_observations source is configured; otherwise POST answers 404. */
  observations?: HttpObservationSource;
  /** Present when a meraki source is configured: `GET|POST /api/v1/meraki`. */
  meraki?: MerakiSource;
  /** The gateway's WiFi uplink and last site survey (WifiMonitor): `wifi` in health, `GET /api/v1/wifi[?refresh=1]`. */
  wifi?: { status(): WifiStatus; refresh(): Promise<WifiStatus> };
  /** Prometheus metrics (`GET /metrics`); the route answers 404 without. */
  metrics?: GatewayPrometheus;
  logger: Logger;
  maxBodyBytes?: number;
}

/**
 * The gateway's local HTTP API (the only file importing hono):
 * - `GET /api/v1/health` -> GatewayHealth, plus `wifi` (WifiStatus) when a WiFi monitor is given
 * - `GET /metrics` -> Prometheus text exposition of the same figures (decision 140)
 * - `GET /api/v1/wifi` -> WifiStatus (uplink + last survey, or `available: false` with the reason);
 *   `?refresh=1` reads nmcli again first
 * - `POST /api/v1/observations` (NDJSON, a JSON array or one object) -> 200 `{accepted}`, or
 *   400 `{accepted, rejected: [{at, error}]}` when some entries were invalid (the good ones are kept);
 *   with terminals configured, 401 without a terminal's bearer token and 403 (nothing kept) when a
 *   terminal posts anything but its own detections.
 * - `GET /api/v1/meraki` -> the validator (text); `POST /api/v1/meraki` -> Scanning API v2/v3 body
 *   (403 on a wrong secret), when a meraki source is configured.
 * Tests call `app.request()` in-process.
 */
export function createStatusApp(opts: StatusApiOptions): Hono {
  const log = opts.logger.child({ module: 'status-api' });
  const maxBodyBytes = opts.maxBodyBytes ?? 5 * 1024 * 1024;
  const app = new Hono();
  app.get('/api/v1/health', (c) => c.json(opts.wifi ? { ...opts.health(), wifi: opts.wifi.status() } : opts.health()));
  app.get('/metrics', async (c) => {
    if (!opts.metrics) return c.json({ error: 'metrics are not enabled' }, 404);
    return c.body(await opts.metrics.render(), 200, { 'content-type': opts.metrics.contentType });
  });
  app.get('/api/v1/wifi', async (c) => {
    if (!opts.wifi) return c.json({ error: 'wifi status is not enabled' }, 404);
    return c.json(c.req.query('refresh') === '1' ? await opts.wifi.refresh() : opts.wifi.status());
  });
  // Counted while the body streams: a chunked body has no Content-Length to check up front.
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => {
      c.header('connection', 'close');
      return c.json({ error: `body larger than ${maxBodyBytes} bytes` }, 413);
    },
  });
  app.post('/api/v1/observations', limitBody, async (c) => {
    if (!opts.observations) return c.json({ error: 'http_observations source is not configured' }, 404);
    const body = await c.req.text();
    const answer = opts.observations.acceptRequest(c.req.header('authorization'), body);
    return c.json(answer.body, answer.status);
  });
  if (opts.meraki) {
    const meraki = opts.meraki;
    app.get('/api/v1/meraki', (c) => c.text(meraki.validator));
    app.post('/api/v1/meraki', limitBody, async (c) => {
      const body = await c.req.text();
      const r = meraki.accept(body);
      return c.json(r.body, r.status);
    });
  }
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((err, c) => {
    log.error({ err: err.message, path: c.req.path }, 'status api error');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
