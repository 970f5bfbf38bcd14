import type { Site } from '@storesense/firmware-config';
import type { GatewayHealth } from '@storesense/protocol';
import type { Hono, MiddlewareHandler } from 'hono';
import type { CloudStore } from '../store/cloud-store.js';
import { HttpError } from './http-error.js';
import { seesSite } from './scope.js';

type ReceiverCalibration = NonNullable<GatewayHealth['calibration']>['receivers'][string];

/** One receiver of a site model with what each gateway listening to it last reported of its calibration. */
export interface ReceiverRow {
  id: string;
  kind: string;
  role: string;
  floor: number;
  storeId?: string;
  zoneId?: string;
  /** calibration.rssiOffsetDb of the site file. */
  declaredOffsetDb: number;
  gateways: {
    gatewayId: string;
    /** When the cloud received that gateway's last health report (undefined: never). */
    reportedAt?: number;
    /** off / learning / applied, the gateway's auto-calibration state. */
    state?: string;
    calibration?: ReceiverCalibration;
  }[];
}

/**
 * `GET /api/v1/sites/{siteId}/receivers` (operators and analysts; a site-scoped principal its own
 * site only): the site model's receivers with their declared offsets, beside the auto-calibration
 * (decision 57) each gateway listening to them reports in its retained health, with the report's
 * receive time so a page can say how old it is. Receiver positions and keys are not included.
 */
export function registerReceiversRoutes(app: Hono, o: { sites: ReadonlyMap<string, Site>; store: CloudStore; auth: MiddlewareHandler }): void {
  app.get('/api/v1/sites/:siteId/receivers', o.auth, async (c) => {
    const siteId = c.req.param('siteId');
    if (!seesSite(c, siteId)) throw new HttpError(403, { error: `forbidden: outside your scope (site ${siteId})` });
    const site = o.sites.get(siteId);
    if (!site) throw new HttpError(404, { error: `no site ${siteId}` });
    const health = new Map((await o.store.listGateways()).filter((g) => g.siteId === siteId).map((g) => [g.gatewayId, g.health]));
    const receivers: ReceiverRow[] = site.receivers.map((r) => ({
      id: r.id,
      kind: r.kind,
      role: r.role,
      floor: r.floor,
      ...(r.storeId !== undefined ? { storeId: r.storeId } : {}),
      ...(r.zoneId !== undefined ? { zoneId: r.zoneId } : {}),
      declaredOffsetDb: r.calibration.rssiOffsetDb,
      gateways: site.gateways
        .filter((g) => g.receivers.includes(r.id))
        .map((g) => {
          const h = health.get(g.id);
          const cal = h?.value.calibration;
          const mine = cal?.receivers[r.id];
          return {
            gatewayId: g.id,
            ...(h ? { reportedAt: h.receivedAt } : {}),
            ...(cal ? { state: cal.state } : {}),
            ...(mine ? { calibration: mine } : {}),
          };
        }),
    }));
    return c.json({ siteId, receivers });
  });
}
