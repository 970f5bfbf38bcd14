import { espresenseRoomFor } from './esp32.render.js';
import type { GatewayConfigOverrides } from './gateway-config.render.js';
import type { SourceConfig } from './gateway-config.schema.js';
import type { Receiver, Site } from './site.schema.js';

/** Where a rendered gateway serves its status API by default: loopback only, a fixed port an installer can curl. */
export const DEFAULT_STATUS_API = { host: '127.0.0.1', port: 8081 } as const;

export interface DefaultDeployment {
  /** The journey classifier a rendered gateway runs: the ONNX model, as `npm start` does (decision 79). */
  classifier: { kind: 'onnx' };
  sources: SourceConfig[];
  statusApi: { host: string; port: number };
  /** What the installer still has to do (a receiver kind with no default, a port to open). */
  notes: string[];
}

/**
 * The sources a gateway's own receivers and terminals call for, so `storesense-site render` gives
 * a gateway that hears something rather than `"sources": []` (decision 75). Per receiver kind:
 * `ble` and `ble_wifi` get one local `ble` source (the gateway's adapter stands for one receiver:
 * the entrance one, else the first); `wifi` and `ble_wifi` a `wifi_probe` on `mon0`; `espresense` one
 * `espresense` source with the node rooms `render --esp32` prints; terminals `http_observations`
 * (open on the loopback status API; set `terminals` tokens before opening it to the LAN). Other
 * BLE receivers than the adapter's, and `meraki` (it needs the dashboard's validator), are notes.
 * Recording stays off (no `record`). The classifier is the ONNX model (the gateway falls back to the rules
 * outside its training domain, decision 62), as `npm start` runs it (decision 79).
 */
export function defaultGatewayDeployment(site: Site, gatewayId: string): DefaultDeployment {
  const gateway = site.gateways.find((g) => g.id === gatewayId);
  const notes: string[] = [];
  const sources: SourceConfig[] = [];
  if (gateway === undefined) return { classifier: { kind: 'onnx' }, sources, statusApi: { ...DEFAULT_STATUS_API }, notes };
  const ids = new Set(gateway.receivers);
  const receivers = site.receivers.filter((r) => ids.has(r.id));
  const of = (...kinds: Receiver['kind'][]) => receivers.filter((r) => kinds.includes(r.kind));

  const ble = of('ble', 'ble_wifi');
  const adapter = ble.find((r) => r.role === 'entrance') ?? ble[0];
  if (adapter !== undefined) {
    sources.push({ kind: 'ble', adapter: 'noble', receiverId: adapter.id, silenceRestartMs: 120_000 });
    const others = ble.filter((r) => r !== adapter).map((r) => r.id);
    if (others.length > 0) {
      sources.push({ kind: 'mqtt_observations' });
      const named = others.length > 3 ? `${others.slice(0, 3).join(', ')} and ${others.length - 3} more` : others.join(', ');
      notes.push(`the local BLE adapter stands for ${adapter.id}; ${named} must publish observations on the gateway's obs topic (mqtt_observations)`);
    }
  }
  for (const r of of('wifi', 'ble_wifi')) {
    sources.push({ kind: 'wifi_probe', receiverId: r.id, interface: 'mon0', tool: 'tshark' });
    notes.push(`wifi_probe for ${r.id} captures on mon0: create it with "iw dev wlan0 interface add mon0 type monitor"`);
  }
  const esp = of('espresense');
  if (esp.length > 0) {
    sources.push({ kind: 'espresense', topic: 'espresense/devices/#', rooms: Object.fromEntries(esp.map((r) => [espresenseRoomFor(r.id), r.id])) });
    notes.push('espresense reads the uplink broker; point the nodes at it (storesense-site render --esp32) or set the source url to a local broker');
  }
  const meraki = of('meraki');
  if (meraki.length > 0) notes.push(`receivers ${meraki.map((r) => r.id).join(', ')} are meraki: add a meraki source with the dashboard's validator`);
  if (gateway.terminals.length > 0) {
    sources.push({ kind: 'http_observations' });
    notes.push(
      `terminals post to http://${DEFAULT_STATUS_API.host}:${DEFAULT_STATUS_API.port}/api/v1/observations; before serving the LAN set statusApi.host and http_observations.terminals tokens`,
    );
  }
  return { classifier: { kind: 'onnx' }, sources, statusApi: { ...DEFAULT_STATUS_API }, notes };
}

/** The default deployment as render overrides, under the caller's own overrides. */
export function withDefaultDeployment(
  site: Site,
  gatewayId: string,
  overrides: GatewayConfigOverrides,
): { overrides: GatewayConfigOverrides; notes: string[] } {
  const { classifier, sources, statusApi, notes } = defaultGatewayDeployment(site, gatewayId);
  return { overrides: { classifier, sources, statusApi, ...overrides }, notes };
}
