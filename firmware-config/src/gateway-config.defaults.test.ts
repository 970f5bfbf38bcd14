import { describe, expect, it } from 'vitest';
import { defaultGatewayDeployment, withDefaultDeployment } from './gateway-config.defaults.js';
import { renderGatewayConfig } from './gateway-config.render.js';
import { EXAMPLE_SITES, exampleSitePath, HELD_OUT_SITES, INSTALL_EXAMPLE_SITES } from './paths.js';
import { loadSiteFile } from './site.loader.js';
import type { Site } from './site.schema.js';

function site(name: Parameters<typeof exampleSitePath>[0]): Site {
  const loaded = loadSiteFile(exampleSitePath(name));
  if (!loaded.ok) throw new Error(loaded.issues.join('; '));
  return loaded.value;
}

describe('default gateway deployment (what render writes)', () => {
  it('every example gateway gets the onnx classifier, sources, a loopback status API and no recording', () => {
    for (const name of [...EXAMPLE_SITES, ...HELD_OUT_SITES, ...INSTALL_EXAMPLE_SITES]) {
      const s = site(name);
      for (const gw of s.gateways) {
        const config = renderGatewayConfig(s, gw.id, withDefaultDeployment(s, gw.id, {}).overrides);
        expect(config.sources.length, `${name}/${gw.id}`).toBeGreaterThan(0);
        expect(config.statusApi).toEqual({ host: '127.0.0.1', port: 8081 });
        expect(config.classifier.kind, `${name}/${gw.id}`).toBe('onnx');
        expect(config.record).toBeUndefined();
        if (gw.terminals.length > 0) expect(config.sources.map((x) => x.kind)).toContain('http_observations');
      }
    }
  });

  it('BLE sites: the adapter stands for the entrance receiver, the others come over mqtt_observations', () => {
    const s = site('boutique');
    const d = defaultGatewayDeployment(s, 'gw-boutique-1');
    expect(d.sources).toEqual([
      { kind: 'ble', adapter: 'noble', receiverId: 'rx-entrance', silenceRestartMs: 120_000 },
      { kind: 'mqtt_observations' },
      { kind: 'http_observations' },
    ]);
    expect(d.notes.join('\n')).toContain('rx-storefront');
  });

  it('ESPresense sites: one espresense source whose rooms are the ones render --esp32 gives the nodes', () => {
    const d = defaultGatewayDeployment(site('espresense-shop'), 'gw-shop-1');
    const esp = d.sources.find((x) => x.kind === 'espresense');
    expect(esp).toEqual({
      kind: 'espresense',
      topic: 'espresense/devices/#',
      rooms: { esp_window: 'esp-window', esp_door: 'esp-door', esp_shelves: 'esp-shelves', esp_till: 'esp-till' },
    });
    expect(d.sources.some((x) => x.kind === 'ble')).toBe(false);
  });

  it('wifi receivers get a wifi_probe on mon0, meraki ones a note; caller overrides win', () => {
    const s = site('boutique');
    const kinds = ['ble_wifi', 'wifi', 'meraki'] as const;
    const gwIds = new Set(s.gateways[0]!.receivers);
    let i = 0;
    const mixed: Site = { ...s, receivers: s.receivers.map((r) => (gwIds.has(r.id) && i < 3 ? { ...r, kind: kinds[i++]! } : r)) };
    const d = defaultGatewayDeployment(mixed, 'gw-boutique-1');
    const [first, second, third] = mixed.receivers.filter((r) => gwIds.has(r.id));
    expect(d.sources.filter((x) => x.kind === 'wifi_probe')).toEqual([
      { kind: 'wifi_probe', receiverId: first!.id, interface: 'mon0', tool: 'tshark' },
      { kind: 'wifi_probe', receiverId: second!.id, interface: 'mon0', tool: 'tshark' },
    ]);
    expect(d.notes.join('\n')).toContain(`${third!.id} are meraki`);
    const own = withDefaultDeployment(s, 'gw-boutique-1', { sources: [{ kind: 'http_observations' }], statusApi: { host: '0.0.0.0', port: 9000 } });
    expect(own.overrides.sources).toEqual([{ kind: 'http_observations' }]);
    expect(own.overrides.statusApi).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(withDefaultDeployment(s, 'gw-boutique-1', { classifier: { kind: 'rules' } }).overrides.classifier).toEqual({ kind: 'rules' });
  });
});
