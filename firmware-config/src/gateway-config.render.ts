import { formatIssues } from '@storesense/protocol';
import { gatewayConfigSchema, GATEWAY_CONFIG_VERSION, type GatewayConfig, type GatewayConfigInput } from './gateway-config.schema.js';
import type { Site } from './site.schema.js';

/** Deployment settings a site file does not know; everything else comes from the site. */
export type GatewayConfigOverrides = Partial<
  Pick<GatewayConfigInput, 'dataDir' | 'classifier' | 'outbox' | 'uplink' | 'statusApi' | 'sources' | 'tickMs' | 'calibration' | 'devices'>
> & {
  mqtt?: { url?: string; username?: string; password?: string; passwordEnv?: string };
};

/** Thrown by `renderGatewayConfig`; `issues` lists every problem as `path: message`. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
  constructor(
    message: string,
    readonly issues: string[] = [message],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Derives the configuration one gateway runs on from a validated site: the gateway's own receivers
 * and terminals, the store(s) they serve with zones, the mall areas on the floors involved, the
 * journey and member-token settings, plus deployment overrides. The MQTT username defaults to
 * `${siteId}.${gatewayId}` (the cloud broker's convention). The result is validated with
 * `gatewayConfigSchema`, so defaults are filled in.
 * @throws GatewayConfigError for an unknown gateway id or an override that fails validation.
 * @example renderGatewayConfig(site, 'gw-dept-1', { mqtt: { url: 'mqtt://cloud:1883' } })
 */
export function renderGatewayConfig(site: Site, gatewayId: string, overrides: GatewayConfigOverrides = {}): GatewayConfig {
  const gateway = site.gateways.find((g) => g.id === gatewayId);
  if (gateway === undefined) {
    throw new GatewayConfigError(`unknown gateway "${gatewayId}" in site "${site.id}" (known: ${site.gateways.map((g) => g.id).join(', ')})`);
  }
  const receiverIds = new Set(gateway.receivers);
  const terminalIds = new Set(gateway.terminals);
  const receivers = site.receivers.filter((r) => receiverIds.has(r.id));
  const terminals = site.terminals.filter((t) => terminalIds.has(t.id));

  // The stores served: the gateway's declared store, plus any store its devices are attached to
  // (a mall-wide gateway declares none and serves every store its receivers belong to).
  const storeIds = new Set<string>();
  if (gateway.storeId !== undefined) storeIds.add(gateway.storeId);
  for (const r of receivers) if (r.storeId !== undefined) storeIds.add(r.storeId);
  for (const t of terminals) storeIds.add(t.storeId);
  const stores = site.stores.filter((s) => storeIds.has(s.id));

  const levels = new Set<number>();
  for (const s of stores) for (const f of s.floors) levels.add(f);
  for (const r of receivers) levels.add(r.floor);
  for (const t of terminals) levels.add(t.floor);
  const floors = site.floors.filter((f) => levels.has(f.level));
  // Mall areas on those floors: the corridor outside the entrance is where `approach` happens.
  const areas = site.areas.filter((a) => levels.has(a.floor));

  const { mqtt, ...rest } = overrides;
  // The gateway's own store's hours, else the first served store's, else the site's.
  const home = stores.find((s) => s.id === gateway.storeId) ?? stores[0];
  const openingHours = home?.openingHours ?? site.openingHours;
  const input: GatewayConfigInput = {
    version: GATEWAY_CONFIG_VERSION,
    siteId: site.id,
    gatewayId: gateway.id,
    ...(gateway.storeId !== undefined ? { storeId: gateway.storeId } : {}),
    tickMs: gateway.tickMs,
    floors,
    stores,
    areas,
    receivers,
    terminals,
    journey: site.journey,
    memberTokens: { periodMs: site.memberTokens.periodMs },
    timezone: site.timezone,
    ...(openingHours !== undefined ? { openingHours } : {}),
    ...rest,
    mqtt: { username: `${site.id}.${gateway.id}`, ...dropUndefined(mqtt ?? {}) },
  };
  const parsed = gatewayConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error.issues);
    throw new GatewayConfigError(`rendered config for gateway "${gatewayId}" is invalid: ${issues.join('; ')}`, issues);
  }
  return parsed.data;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
