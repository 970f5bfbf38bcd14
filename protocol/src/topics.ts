import { isValidId } from './ids.js';
import { EVENT_TYPES, type EventType } from './event.js';
import { TOPIC_ROOT } from './version.js';

/**
 * Every topic of the contract (architecture §4). Build topics only through these functions and parse
 * them only with `parseTopic`, never by string concatenation elsewhere.
 *
 * | suffix            | dir  | QoS/retain  |
 * | event/{type}      | up   | 1 / no      |
 * | ack               | down | 1 / no      |
 * | state/conn        | up   | 1 / yes, will |
 * | state/health      | up   | 0 / yes     |
 * | occupancy         | up   | 1 / no      | (WiFi occupancy counts per store; no identifiers)
 * | gap               | up   | 1 / no      | (outbox drops: counts, seq and time range; acked like events)
 * | config            | down | 1 / yes     |
 * | members/keys      | down | 1 / yes     |
 * | command/{name}    | down | 1 / no      |
 * | response/{name}   | up   | 1 / no      |
 * | obs               | local| 1 / no      | (observations into a gateway)
 * | obs/terminal/{id} | local| 1 / no      | (one smart terminal's own detections; broker ACL: user {id} writes only here)
 */
function prefix(siteId: string, gatewayId: string): string {
  assertId('siteId', siteId);
  assertId('gatewayId', gatewayId);
  return `${TOPIC_ROOT}/${siteId}/${gatewayId}`;
}

function assertId(name: string, value: string): void {
  if (!isValidId(value)) throw new TypeError(`${name} ${JSON.stringify(value)} is not a valid id`);
}

export const topics = {
  prefix,
  event: (siteId: string, gatewayId: string, type: EventType) => `${prefix(siteId, gatewayId)}/event/${type}`,
  ack: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/ack`,
  stateConn: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/state/conn`,
  stateHealth: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/state/health`,
  /** Per-store occupancy counts (OccupancyReport). */
  occupancy: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/occupancy`,
  /** Events the gateway's outbox dropped undelivered (GapReport). */
  gap: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/gap`,
  config: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/config`,
  memberKeys: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/members/keys`,
  /** Local ingest of observations into a gateway (simulator replay, ESP32 bridges); never crosses the uplink. */
  observations: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/obs`,
  /** Local: one smart terminal's detections. The broker lets terminal user `{id}` write only here; the gateway checks the payload is that terminal's. */
  terminalObservations: (siteId: string, gatewayId: string, terminalId: string) => {
    assertId('terminalId', terminalId);
    return `${prefix(siteId, gatewayId)}/obs/terminal/${terminalId}`;
  },
  command: (siteId: string, gatewayId: string, name: string) => {
    assertId('command name', name);
    return `${prefix(siteId, gatewayId)}/command/${name}`;
  },
  response: (siteId: string, gatewayId: string, name: string) => {
    assertId('command name', name);
    return `${prefix(siteId, gatewayId)}/response/${name}`;
  },
} as const;

/** Subscription filters used by the cloud and by gateways. */
export const filters = {
  /** All events of all gateways (cloud ingest). */
  allEvents: `${TOPIC_ROOT}/+/+/event/+`,
  allConnStates: `${TOPIC_ROOT}/+/+/state/conn`,
  allHealth: `${TOPIC_ROOT}/+/+/state/health`,
  allOccupancy: `${TOPIC_ROOT}/+/+/occupancy`,
  allGaps: `${TOPIC_ROOT}/+/+/gap`,
  allResponses: `${TOPIC_ROOT}/+/+/response/+`,
  /** Everything addressed to one gateway or published by it. */
  gateway: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/#`,
  gatewayCommands: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/command/+`,
  /** Every terminal's detections for one gateway (the gateway's mqtt_observations source with terminalTopics). */
  terminalObservations: (siteId: string, gatewayId: string) => `${prefix(siteId, gatewayId)}/obs/terminal/+`,
} as const;

export type ParsedTopic =
  | { kind: 'event'; siteId: string; gatewayId: string; type: EventType }
  | { kind: 'ack' | 'stateConn' | 'stateHealth' | 'config' | 'memberKeys' | 'observations' | 'occupancy' | 'gap'; siteId: string; gatewayId: string }
  | { kind: 'command' | 'response'; siteId: string; gatewayId: string; name: string }
  | { kind: 'terminalObservations'; siteId: string; gatewayId: string; terminalId: string };

/** Parses a concrete topic of the contract; anything else (wrong root, bad id, unknown suffix) is null. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const siteId = parts[2]!;
  const gatewayId = parts[3]!;
  if (!isValidId(siteId) || !isValidId(gatewayId)) return null;
  const rest = parts.slice(4);
  const [a, b] = rest;
  if (rest.length === 1) {
    if (a === 'ack') return { kind: 'ack', siteId, gatewayId };
    if (a === 'config') return { kind: 'config', siteId, gatewayId };
    if (a === 'obs') return { kind: 'observations', siteId, gatewayId };
    if (a === 'occupancy') return { kind: 'occupancy', siteId, gatewayId };
    if (a === 'gap') return { kind: 'gap', siteId, gatewayId };
    return null;
  }
  if (rest.length === 3 && a === 'obs' && b === 'terminal' && isValidId(rest[2]!))
    return { kind: 'terminalObservations', siteId, gatewayId, terminalId: rest[2]! };
  if (rest.length !== 2 || b === undefined) return null;
  if (a === 'event') {
    return (EVENT_TYPES as readonly string[]).includes(b) ? { kind: 'event', siteId, gatewayId, type: b as EventType } : null;
  }
  if (a === 'state' && b === 'conn') return { kind: 'stateConn', siteId, gatewayId };
  if (a === 'state' && b === 'health') return { kind: 'stateHealth', siteId, gatewayId };
  if (a === 'members' && b === 'keys') return { kind: 'memberKeys', siteId, gatewayId };
  if ((a === 'command' || a === 'response') && isValidId(b)) return { kind: a, siteId, gatewayId, name: b };
  return null;
}

/** True when `topic` lies under the gateway's own prefix (the broker ACL's rule). */
export function isUnderGatewayPrefix(topic: string, siteId: string, gatewayId: string): boolean {
  return topic.startsWith(`${prefix(siteId, gatewayId)}/`);
}
