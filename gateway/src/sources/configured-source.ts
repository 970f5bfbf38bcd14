import type { GatewayConfig, SourceConfig } from '@storesense/firmware-config';
import { staffBadgeTable } from '../identity/staff-badges.js';
import { filters, topics } from '@storesense/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { NobleLike } from './ble/ble.adapter.js';
import type { LegacyCardTable } from './ble/advert.observation.js';
import { createBleSource } from './ble/ble.source.js';
import { createEspresenseSource } from './espresense/espresense.source.js';
import { createMerakiSource, type MerakiSource } from './meraki/meraki.source.js';
import { createMqttObservationSource } from './mqtt-observations/mqtt-observations.source.js';
import { createReplaySource } from './replay/replay.source.js';
import type { Source } from './source.js';
import { createWifiProbeSource } from './wifi-probe/wifi-probe.source.js';

export interface SourceContext {
  config: GatewayConfig;
  clock: Clock;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** The uplink MQTT password (also used for a broker-side source on the uplink broker). */
  password?: string;
  /** The site pepper; MAC-bearing kinds refuse to be built without it. */
  pepper?: string;
  noble?: () => Promise<NobleLike>;
  /** Legacy member cards (the MemberResolver) for the BLE-bearing kinds. */
  legacyCards?: LegacyCardTable;
}

/**
 * One configured source (all kinds but http_observations, which the status API shares). Throws
 * when the source cannot be built at all (no pepper, no Meraki secret); the composition root then
 * reports it unavailable and carries on.
 */
export function createConfiguredSource(
  sc: Exclude<SourceConfig, { kind: 'http_observations' }>,
  index: number,
  ctx: SourceContext,
): { source: Source; meraki?: MerakiSource } {
  const { config, clock, logger, password } = ctx;
  const gwUser = config.mqtt.username ?? `${config.siteId}.${config.gatewayId}`;
  if (sc.kind === 'replay') {
    return { source: createReplaySource({ path: sc.path, speed: sc.speed, rebase: sc.rebase, loop: sc.loop, clock, logger }) };
  }
  if (sc.kind === 'mqtt_observations') {
    return {
      source: createMqttObservationSource({
        url: sc.url ?? config.mqtt.url,
        topic: sc.topic ?? topics.observations(config.siteId, config.gatewayId),
        ...(sc.terminalTopics === true
          ? { terminalTopics: { filter: filters.terminalObservations(config.siteId, config.gatewayId), terminals: config.terminals } }
          : {}),
        clientId: `${config.siteId}.${config.gatewayId}.obs`,
        username: gwUser,
        ...(password !== undefined ? { password } : {}),
        reconnectMinMs: config.uplink.reconnectMinMs,
        reconnectMaxMs: config.uplink.reconnectMaxMs,
        logger,
      }),
    };
  }
  // Every other kind sees raw MACs and pseudonymises them with the site pepper.
  const pepper = ctx.pepper;
  if (pepper === undefined) throw new Error('no site pepper');
  const badges = config.devices.staffBeacons.length > 0 ? { staffBadges: staffBadgeTable(config.devices.staffBeacons, pepper) } : {};
  if (sc.kind === 'espresense') {
    return {
      source: createEspresenseSource({
        url: sc.url ?? config.mqtt.url,
        topic: sc.topic,
        clientId: `${config.siteId}.${config.gatewayId}.espresense${index}`,
        // The gateway's credentials only on the uplink broker; a local ESPresense broker is anonymous.
        ...(sc.url === undefined ? { username: gwUser, ...(password !== undefined ? { password } : {}) } : {}),
        rooms: sc.rooms,
        pepper,
        ...badges,
        ...(ctx.legacyCards?.tokenFor ? { legacyCards: { tokenFor: ctx.legacyCards.tokenFor.bind(ctx.legacyCards) } } : {}),
        reconnectMinMs: config.uplink.reconnectMinMs,
        reconnectMaxMs: config.uplink.reconnectMaxMs,
        clock,
        logger,
      }),
    };
  }
  if (sc.kind === 'meraki') {
    const secret = sc.secret ?? ctx.env[sc.secretEnv];
    if (!secret) throw new Error(`meraki: no shared secret (set ${sc.secretEnv})`);
    const meraki = createMerakiSource({ validator: sc.validator, secret, apReceivers: sc.apReceivers, pepper, logger });
    return { source: meraki, meraki };
  }
  if (sc.kind === 'wifi_probe') {
    return {
      source: createWifiProbeSource({
        receiverId: sc.receiverId,
        pepper,
        clock,
        logger,
        ...('pcap' in sc
          ? { pcap: { path: sc.pcap, speed: sc.speed } }
          : { live: { interface: sc.interface, tool: sc.tool, ...(sc.toolPath !== undefined ? { toolPath: sc.toolPath } : {}) } }),
      }),
    };
  }
  return {
    source: createBleSource({
      receiverId: sc.receiverId,
      silenceRestartMs: sc.silenceRestartMs,
      pepper,
      ...badges,
      ...(ctx.legacyCards ? { legacyCards: ctx.legacyCards } : {}),
      clock,
      logger,
      ...(ctx.noble ? { loadNoble: ctx.noble } : {}),
    }),
  };
}
