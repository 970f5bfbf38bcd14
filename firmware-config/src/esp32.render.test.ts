import { describe, expect, it } from 'vitest';
import { esp32NodesToEnv, esp32NodesToMqttCommands, espresenseRoomFor, Esp32RenderError, maxDistanceFor, renderEsp32Nodes } from './esp32.render.js';
import { renderGatewayConfig } from './gateway-config.render.js';
import { exampleSitePath, INSTALL_EXAMPLE_SITES } from './paths.js';
import { lintSite } from './site.lint.js';
import { loadSiteFile } from './site.loader.js';
import { siteSchema, type Site } from './site.schema.js';

function load(name: Parameters<typeof exampleSitePath>[0]): Site {
  const r = loadSiteFile(exampleSitePath(name));
  if (!r.ok) throw new Error(r.issues.join('\n'));
  return r.value;
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof Esp32RenderError) return err.issues;
    throw err;
  }
  throw new Error('expected an Esp32RenderError');
}

const shop = load('espresense-shop');

describe('install example sites', () => {
  it.each(INSTALL_EXAMPLE_SITES)('%s validates, is lint-clean and renders a gateway config', (name) => {
    const site = load(name);
    expect(lintSite(site)).toEqual([]);
    expect(renderGatewayConfig(site, site.gateways[0]!.id).receivers.length).toBeGreaterThan(0);
  });
});

describe('renderEsp32Nodes', () => {
  it('renders one node per espresense receiver, with the room the gateway maps back to the receiver', () => {
    const r = renderEsp32Nodes(shop, { mqttUrl: 'mqtt://192.168.1.10:1884', mqttUser: 'espresense', mqttPasswordEnv: 'ESPRESENSE_MQTT_PASSWORD' });
    expect(r.nodes.map((n) => n.receiverId)).toEqual(['esp-window', 'esp-door', 'esp-shelves', 'esp-till']);
    const door = r.nodes.find((n) => n.receiverId === 'esp-door')!;
    expect(door).toMatchObject({
      gatewayId: 'gw-shop-1',
      room: 'esp_door',
      zoneId: 'entrance',
      mqtt: { host: '192.168.1.10', port: 1884, user: 'espresense', password: '${ESPRESENSE_MQTT_PASSWORD}' },
      // calibration: offset +2 dB, ref -59 dBm, exponent 2.2
      settings: { name: 'esp_door', absorption: 2.2, tx_ref_rssi: -57, rx_adj_rssi: 0, include: '', query: '' },
    });
    expect(r.gatewaySources).toEqual([
      {
        gatewayId: 'gw-shop-1',
        source: {
          kind: 'espresense',
          topic: 'espresense/devices/#',
          rooms: { esp_window: 'esp-window', esp_door: 'esp-door', esp_shelves: 'esp-shelves', esp_till: 'esp-till' },
        },
      },
    ]);
  });

  it('the rooms map is accepted by the gateway config schema as an espresense source', () => {
    const r = renderEsp32Nodes(shop);
    const config = renderGatewayConfig(shop, 'gw-shop-1', { sources: [r.gatewaySources[0]!.source] });
    expect(config.sources[0]).toMatchObject({ kind: 'espresense', rooms: { esp_door: 'esp-door' } });
  });

  it('max_distance is where the signal falls to the approach threshold, capped at the ESPresense default', () => {
    const rx = shop.receivers.find((x) => x.id === 'esp-till')!; // ref -59, n 2.4, approach -85 -> 12.1 m
    expect(maxDistanceFor(rx, -85)).toBe(12.5);
    expect(maxDistanceFor(rx, -70)).toBe(3);
    expect(maxDistanceFor(rx, -120)).toBe(16);
    expect(renderEsp32Nodes(shop, { maxDistanceM: 0 }).nodes.every((n) => n.settings.max_distance === 0)).toBe(true);
  });

  it('--receiver and --gateway narrow the output', () => {
    expect(renderEsp32Nodes(shop, { receiverId: 'esp-till' }).nodes.map((n) => n.receiverId)).toEqual(['esp-till']);
    expect(renderEsp32Nodes(shop, { gatewayId: 'gw-shop-1' }).nodes).toHaveLength(4);
  });

  it('renders no password unless an env reference is asked for, and never a URL credential', () => {
    const r = renderEsp32Nodes(shop);
    expect(r.nodes[0]!.mqtt).toEqual({ host: 'gateway.local', port: 1883 });
    expect(issuesOf(() => renderEsp32Nodes(shop, { mqttUrl: 'mqtt://u:secret@host' }))).toEqual([
      '--mqtt-url: put no credentials in the URL (use --mqtt-user and --mqtt-password-env)',
    ]);
  });

  it('reports every problem with its site path', () => {
    const raw = structuredClone(shop) as Site;
    raw.receivers.push({ ...raw.receivers[1]!, id: 'ESP_door', position: { x: 5, y: 1.2 } }); // same room as esp-door
    raw.receivers.push({ ...raw.receivers[2]!, id: 'esp-orphan' }); // no gateway lists it
    raw.gateways[0]!.receivers.push('ESP_door');
    const site = siteSchema.parse(raw);
    expect(issuesOf(() => renderEsp32Nodes(site, { mqttUrl: 'ws://x', mqttPasswordEnv: 'not a name' }))).toEqual([
      '--mqtt-url: ESPresense nodes need a plain mqtt:// broker, got "ws://"',
      '--mqtt-password-env: "not a name" is not an environment variable name',
      'receivers[4].id: room "esp_door" is also the room of receivers[1] ("esp-door")',
      'receivers[5]: espresense receiver "esp-orphan" is not listed by any gateway (add it to gateways[].receivers)',
    ]);
    expect(issuesOf(() => renderEsp32Nodes(load('boutique'), { receiverId: 'rx-entrance', gatewayId: 'gw-x' }))).toEqual([
      'gateways: unknown gateway "gw-x" (known: gw-boutique-1)',
      'receivers: site "mall-bj-01" has no receiver of kind "espresense"',
      'receivers[1].kind: receiver "rx-entrance" is "ble", not "espresense"',
    ]);
  });

  it('room names are ids slugified to [a-z0-9_]', () => {
    expect(espresenseRoomFor('Rx-Door_2')).toBe('rx_door_2');
  });
});

describe('env and mqtt renderings', () => {
  const r = renderEsp32Nodes(shop, { receiverId: 'esp-door', mqttUser: 'espresense', mqttPasswordEnv: 'ESPRESENSE_MQTT_PASSWORD' });

  it('env: one KEY=value block per node', () => {
    expect(esp32NodesToEnv(r)).toBe(
      [
        '# esp-door (gateway gw-shop-1, floor 0, x 5 y 1, zone entrance)',
        'ESPRESENSE_ROOM=esp_door',
        'ESPRESENSE_MQTT_HOST=gateway.local',
        'ESPRESENSE_MQTT_PORT=1883',
        'ESPRESENSE_MQTT_USER=espresense',
        'ESPRESENSE_MQTT_PASSWORD=${ESPRESENSE_MQTT_PASSWORD}',
        'ESPRESENSE_MAX_DISTANCE=15.5',
        'ESPRESENSE_ABSORPTION=2.2',
        'ESPRESENSE_TX_REF_RSSI=-57',
        'ESPRESENSE_RX_ADJ_RSSI=0',
        'ESPRESENSE_INCLUDE=',
        'ESPRESENSE_EXCLUDE=',
        'ESPRESENSE_QUERY=',
        '',
      ].join('\n'),
    );
  });

  it('mqtt: retained sets on the documented espresense/rooms/<room>/<key>/set topics; empty values not retained', () => {
    const lines = esp32NodesToMqttCommands(r).trim().split('\n');
    expect(lines[0]).toBe("# esp-door: set Room = esp_door in the node's web UI first");
    expect(lines).toContain(
      `mosquitto_pub -h gateway.local -p 1883 -u 'espresense' -P "\${ESPRESENSE_MQTT_PASSWORD}" -r -t 'espresense/rooms/esp_door/absorption/set' -m '2.2'`,
    );
    expect(lines).toContain(
      `mosquitto_pub -h gateway.local -p 1883 -u 'espresense' -P "\${ESPRESENSE_MQTT_PASSWORD}" -t 'espresense/rooms/esp_door/include/set' -m ''`,
    );
    expect(lines.some((l) => l.includes('/name/set'))).toBe(false);
  });
});
