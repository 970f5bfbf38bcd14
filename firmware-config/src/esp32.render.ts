import type { Receiver, Site } from './site.schema.js';

/**
 * Per-node settings for ESPresense ESP32 receivers (receivers of kind `espresense`), as an
 * installer types them into the node's web UI or publishes them over MQTT. Keys follow the
 * ESPresense documentation ("Configuration > MQTT": node settings are retained on
 * `espresense/rooms/<room>/<key>` and written on `.../<key>/set`): `name` (the room), `max_distance`,
 * `absorption`, `tx_ref_rssi`, `rx_adj_rssi`, `include`, `exclude`, `query`.
 *
 * What the gateway needs from a node is only its room: reports arrive on
 * `espresense/devices/{id}/{room}`, and the gateway's `espresense` source maps the room to a
 * receiver id (`rooms`). The room is the receiver id slugified to `[a-z0-9_]` (ESPresense slugifies
 * room names in topics; a name already in that form survives any slugifier unchanged), and the
 * rendered `gatewaySources` give the matching `rooms` map, so node and gateway cannot disagree.
 */

/** Deployment settings the site file does not hold. Secrets are never rendered: only env references. */
export interface Esp32RenderOptions {
  /** The broker the nodes publish to (usually a broker on the gateway's LAN address). Default mqtt://gateway.local:1883. */
  mqttUrl?: string;
  /** Broker user for the nodes; none when the broker is anonymous. */
  mqttUser?: string;
  /** Name of the environment variable holding the nodes' broker password (rendered as `${NAME}`). */
  mqttPasswordEnv?: string;
  /** Only this receiver. */
  receiverId?: string;
  /** Only receivers of this gateway. */
  gatewayId?: string;
  /** ESPresense `include` (space-separated id prefixes, e.g. `iBeacon:`); default empty = report every device. */
  include?: string;
  /** Overrides the derived `max_distance` (metres; 0 = no limit). */
  maxDistanceM?: number;
}

/** The settings of one ESPresense node, keyed as ESPresense names them. */
export interface EspresenseNodeSettings {
  name: string;
  max_distance: number;
  absorption: number;
  tx_ref_rssi: number;
  rx_adj_rssi: number;
  include: string;
  exclude: string;
  query: string;
}

/** One node to install: where it goes, which broker it talks to, and what to set. */
export interface Esp32Node {
  receiverId: string;
  gatewayId: string;
  floor: number;
  position: { x: number; y: number };
  zoneId?: string;
  /** The ESPresense room name; reports arrive on `espresense/devices/{id}/{room}`. */
  room: string;
  mqtt: { host: string; port: number; user?: string; password?: string };
  settings: EspresenseNodeSettings;
}

/** The `espresense` source entry each gateway needs so its rooms map to these receivers. */
export interface Esp32GatewaySource {
  gatewayId: string;
  source: { kind: 'espresense'; topic: string; rooms: Record<string, string> };
}

export interface Esp32Render {
  siteId: string;
  nodes: Esp32Node[];
  gatewaySources: Esp32GatewaySource[];
}

/** Thrown by `renderEsp32Nodes`; `issues` are `path: message` lines (paths into the site file). */
export class Esp32RenderError extends Error {
  override readonly name = 'Esp32RenderError';
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
  }
}

/** ESPresense defaults (firmware): 16 m maximum distance. Our derived distance is capped by it. */
const ESPRESENSE_DEFAULT_MAX_DISTANCE_M = 16;

/** Receiver id -> ESPresense room: lower case, every character outside [a-z0-9] becomes `_`. */
export function espresenseRoomFor(receiverId: string): string {
  return receiverId.toLowerCase().replace(/[^a-z0-9]/g, '_');
}

/**
 * The distance at which a phone's signal at this receiver falls to the site's approach threshold
 * (log-distance model with the receiver's calibration), rounded up to 0.5 m and capped at the
 * ESPresense default. Beyond it the gateway ignores the reading anyway, so the node need not send it.
 */
export function maxDistanceFor(receiver: Receiver, approachRssiDbm: number): number {
  const { refRssiAt1mDbm, pathLossExponent } = receiver.calibration;
  const d = 10 ** ((refRssiAt1mDbm - approachRssiDbm) / (10 * pathLossExponent));
  return Math.min(ESPRESENSE_DEFAULT_MAX_DISTANCE_M, Math.max(1, Math.ceil(d * 2) / 2));
}

/**
 * Pure: site -> the settings of every ESPresense node (or one, or one gateway's), plus the
 * gateway-side `rooms` maps. Calibration maps to ESPresense as:
 * - `rx_adj_rssi` = 0: ESPresense's calibration guide adjusts it "until its reported RSSI matches
 *   the reference node", i.e. it shifts what the node reports. The gateway already subtracts the
 *   receiver's `rssiOffsetDb` from every reading; correcting on the node too would count it twice.
 * - `tx_ref_rssi` = `refRssiAt1mDbm + rssiOffsetDb`: the level *this* node reads from a reference
 *   phone at 1 m, so the node's own distance (and `max_distance` filtering) is right with raw RSSI;
 * - `absorption` = `pathLossExponent` (ESPresense's log-distance factor).
 * @throws Esp32RenderError with every problem and its site path (no espresense receiver, unknown
 *   receiver/gateway, a receiver no gateway listens to, two receivers with the same room).
 * @example renderEsp32Nodes(site, { mqttUrl: 'mqtt://192.168.1.10:1883', mqttUser: 'espresense', mqttPasswordEnv: 'ESPRESENSE_MQTT_PASSWORD' })
 */
export function renderEsp32Nodes(site: Site, opts: Esp32RenderOptions = {}): Esp32Render {
  const issues: string[] = [];
  const broker = parseBroker(opts.mqttUrl ?? 'mqtt://gateway.local:1883', issues);
  if (opts.maxDistanceM !== undefined && !(opts.maxDistanceM >= 0 && opts.maxDistanceM <= 100))
    issues.push(`--max-distance: expected 0..100 m, got ${opts.maxDistanceM}`);
  if (opts.mqttPasswordEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.mqttPasswordEnv))
    issues.push(`--mqtt-password-env: "${opts.mqttPasswordEnv}" is not an environment variable name`);
  if (opts.gatewayId !== undefined && !site.gateways.some((g) => g.id === opts.gatewayId)) {
    issues.push(`gateways: unknown gateway "${opts.gatewayId}" (known: ${site.gateways.map((g) => g.id).join(', ')})`);
  }

  const indexed = site.receivers.map((r, i) => ({ r, i })).filter(({ r }) => r.kind === 'espresense');
  if (indexed.length === 0) issues.push(`receivers: site "${site.id}" has no receiver of kind "espresense"`);
  if (opts.receiverId !== undefined) {
    const target = site.receivers.findIndex((r) => r.id === opts.receiverId);
    if (target < 0) issues.push(`receivers: unknown receiver "${opts.receiverId}"`);
    else if (site.receivers[target]!.kind !== 'espresense')
      issues.push(`receivers[${target}].kind: receiver "${opts.receiverId}" is "${site.receivers[target]!.kind}", not "espresense"`);
  }

  // Rooms must be unique site-wide: two nodes with one room would be one receiver to the gateway.
  const roomOwner = new Map<string, number>();
  for (const { r, i } of indexed) {
    const room = espresenseRoomFor(r.id);
    const first = roomOwner.get(room);
    if (first !== undefined) issues.push(`receivers[${i}].id: room "${room}" is also the room of receivers[${first}] ("${site.receivers[first]!.id}")`);
    else roomOwner.set(room, i);
  }

  const nodes: Esp32Node[] = [];
  const roomsByGateway = new Map<string, Record<string, string>>();
  for (const { r, i } of indexed) {
    if (opts.receiverId !== undefined && r.id !== opts.receiverId) continue;
    const gateway = site.gateways.find((g) => g.receivers.includes(r.id));
    if (gateway === undefined) {
      issues.push(`receivers[${i}]: espresense receiver "${r.id}" is not listed by any gateway (add it to gateways[].receivers)`);
      continue;
    }
    if (opts.gatewayId !== undefined && gateway.id !== opts.gatewayId) continue;
    const room = espresenseRoomFor(r.id);
    (roomsByGateway.get(gateway.id) ?? roomsByGateway.set(gateway.id, {}).get(gateway.id)!)[room] = r.id;
    nodes.push({
      receiverId: r.id,
      gatewayId: gateway.id,
      floor: r.floor,
      position: r.position,
      ...(r.zoneId !== undefined ? { zoneId: r.zoneId } : {}),
      room,
      mqtt: {
        host: broker.host,
        port: broker.port,
        ...(opts.mqttUser !== undefined ? { user: opts.mqttUser } : {}),
        ...(opts.mqttPasswordEnv !== undefined ? { password: `\${${opts.mqttPasswordEnv}}` } : {}),
      },
      settings: {
        name: room,
        max_distance: opts.maxDistanceM ?? maxDistanceFor(r, site.journey.approachRssiDbm),
        absorption: r.calibration.pathLossExponent,
        tx_ref_rssi: round1(r.calibration.refRssiAt1mDbm + r.calibration.rssiOffsetDb),
        rx_adj_rssi: 0,
        include: opts.include ?? '',
        exclude: '',
        // "query" makes the node connect to devices to read their names: never in a store.
        query: '',
      },
    });
  }
  if (issues.length > 0) throw new Esp32RenderError(issues);
  const gatewaySources = [...roomsByGateway].map(([gatewayId, rooms]) => ({
    gatewayId,
    source: { kind: 'espresense' as const, topic: 'espresense/devices/#', rooms },
  }));
  return { siteId: site.id, nodes, gatewaySources };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function parseBroker(url: string, issues: string[]): { host: string; port: number } {
  try {
    const u = new URL(url);
    if (u.protocol !== 'mqtt:') {
      // ESPresense speaks plain MQTT over TCP only (no TLS, no websockets).
      issues.push(`--mqtt-url: ESPresense nodes need a plain mqtt:// broker, got "${u.protocol}//"`);
      return { host: '', port: 0 };
    }
    if (u.username !== '' || u.password !== '') issues.push('--mqtt-url: put no credentials in the URL (use --mqtt-user and --mqtt-password-env)');
    return { host: u.hostname, port: u.port === '' ? 1883 : Number(u.port) };
  } catch {
    issues.push(`--mqtt-url: "${url}" is not a URL (expected mqtt://host:port)`);
    return { host: '', port: 0 };
  }
}

/**
 * Renders as `KEY=value` lines, one block per node (`# <receiverId>` header, keys prefixed
 * `ESPRESENSE_`), for installers who keep a settings sheet or flash with a script.
 */
export function esp32NodesToEnv(render: Esp32Render): string {
  const blocks = render.nodes.map((n) => {
    const lines = [
      `# ${n.receiverId} (gateway ${n.gatewayId}, floor ${n.floor}, x ${n.position.x} y ${n.position.y}${n.zoneId ? `, zone ${n.zoneId}` : ''})`,
      `ESPRESENSE_ROOM=${n.room}`,
      `ESPRESENSE_MQTT_HOST=${n.mqtt.host}`,
      `ESPRESENSE_MQTT_PORT=${n.mqtt.port}`,
      ...(n.mqtt.user !== undefined ? [`ESPRESENSE_MQTT_USER=${n.mqtt.user}`] : []),
      ...(n.mqtt.password !== undefined ? [`ESPRESENSE_MQTT_PASSWORD=${n.mqtt.password}`] : []),
      ...Object.entries(n.settings)
        .filter(([k]) => k !== 'name')
        .map(([k, v]) => `ESPRESENSE_${k.toUpperCase()}=${String(v)}`),
    ];
    return `${lines.join('\n')}\n`;
  });
  return blocks.join('\n');
}

/**
 * Renders as `mosquitto_pub` commands on ESPresense's documented `espresense/rooms/<room>/<key>/set`
 * topics (retained, so a node that reboots gets them back). The room name itself is set once in
 * the node's web UI: a node only listens under its current room.
 */
export function esp32NodesToMqttCommands(render: Esp32Render): string {
  const lines: string[] = [];
  for (const n of render.nodes) {
    const auth = `${n.mqtt.user !== undefined ? ` -u '${n.mqtt.user}'` : ''}${n.mqtt.password !== undefined ? ` -P "${n.mqtt.password}"` : ''}`;
    lines.push(`# ${n.receiverId}: set Room = ${n.room} in the node's web UI first`);
    for (const [key, value] of Object.entries(n.settings)) {
      if (key === 'name') continue;
      // An empty retained payload would delete the retained value instead of setting "": send it once.
      const retain = String(value) === '' ? '' : ' -r';
      lines.push(`mosquitto_pub -h ${n.mqtt.host} -p ${n.mqtt.port}${auth}${retain} -t 'espresense/rooms/${n.room}/${key}/set' -m '${String(value)}'`);
    }
  }
  return `${lines.join('\n')}\n`;
}
