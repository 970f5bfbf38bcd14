import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from './gateway-config.schema.js';
import { GatewayConfigError, renderGatewayConfig } from './gateway-config.render.js';
import { exampleSitePath, type ExampleSiteName } from './paths.js';
import { loadSiteFile, validateSite } from './site.loader.js';
import type { Site } from './site.schema.js';

function example(name: ExampleSiteName): Site {
  const r = loadSiteFile(exampleSitePath(name));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** The dept-store site plus a second store and gateway in the same mall. */
function twoGatewaySite(): Site {
  const json = JSON.parse(readFileSync(exampleSitePath('dept-store'), 'utf8'));
  json.stores.push({
    id: 'tea-shop',
    name: 'Tea shop',
    floors: [1],
    shape: { rect: { x: 60, y: 0, w: 8, h: 6 } },
    entrances: [{ id: 'door', floor: 1, at: { x: 64, y: 0 } }],
    zones: [{ id: 'tea-counter', name: 'Counter', kind: 'checkout', floor: 1, shape: { rect: { x: 60, y: 0, w: 8, h: 6 } } }],
  });
  json.receivers.push({ id: 'rx-tea', role: 'inside', floor: 1, position: { x: 64, y: 3 }, storeId: 'tea-shop', zoneId: 'tea-counter' });
  json.terminals.push({ id: 'pos-tea', kind: 'pos', storeId: 'tea-shop', floor: 1, position: { x: 66, y: 5 } });
  json.gateways.push({ id: 'gw-tea', storeId: 'tea-shop', receivers: ['rx-tea'], terminals: ['pos-tea'], tickMs: 500 });
  const r = validateSite(json);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('renderGatewayConfig', () => {
  it('renders a valid config for each example gateway', () => {
    for (const [name, gw] of [
      ['boutique', 'gw-boutique-1'],
      ['dept-store', 'gw-dept-1'],
    ] as const) {
      const site = example(name);
      const config = renderGatewayConfig(site, gw);
      expect(gatewayConfigSchema.safeParse(config).success).toBe(true);
      // Round trip through JSON, as the CLI writes it and the gateway reads it.
      expect(gatewayConfigSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
      expect(config.siteId).toBe(site.id);
      expect(config.gatewayId).toBe(gw);
      expect(config.mqtt.username).toBe(`${site.id}.${gw}`);
      expect(config.journey).toEqual(site.journey);
      expect(config.memberTokens.periodMs).toBe(site.memberTokens.periodMs);
      expect(config.areas.map((a) => a.id)).toEqual(['corridor-g']);
    }
  });

  it('contains only that gateway’s receivers, terminals, stores and floors', () => {
    const site = twoGatewaySite();
    const tea = renderGatewayConfig(site, 'gw-tea');
    expect(tea.receivers.map((r) => r.id)).toEqual(['rx-tea']);
    expect(tea.terminals.map((t) => t.id)).toEqual(['pos-tea']);
    expect(tea.stores.map((s) => s.id)).toEqual(['tea-shop']);
    expect(tea.floors.map((f) => f.level)).toEqual([1]);
    expect(tea.areas).toEqual([]); // the only corridor area is on the ground floor
    expect(tea.tickMs).toBe(500);
    expect(tea.storeId).toBe('tea-shop');

    const dept = renderGatewayConfig(site, 'gw-dept-1');
    expect(dept.receivers.map((r) => r.id)).not.toContain('rx-tea');
    expect(dept.terminals.map((t) => t.id).sort()).toEqual(['cam-entrance', 'pos-1', 'pos-2']);
    expect(dept.stores.map((s) => s.id)).toEqual(['dept-store']);
    expect(dept.floors.map((f) => f.level)).toEqual([0, 1, 2]);
  });

  it('applies overrides and keeps the username default unless overridden', () => {
    const site = example('boutique');
    const config = renderGatewayConfig(site, 'gw-boutique-1', {
      mqtt: { url: 'mqtt://cloud:1883' },
      dataDir: '/data',
      statusApi: { port: 8081 },
    });
    expect(config.mqtt).toEqual({ url: 'mqtt://cloud:1883', username: 'mall-bj-01.gw-boutique-1', passwordEnv: 'STORESENSE_MQTT_PASSWORD' });
    expect(config.dataDir).toBe('/data');
    expect(config.statusApi).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(renderGatewayConfig(site, 'gw-boutique-1', { mqtt: { username: 'custom' } }).mqtt.username).toBe('custom');
  });

  it('throws a clear error for an unknown gateway id', () => {
    const site = example('boutique');
    expect(() => renderGatewayConfig(site, 'gw-nope')).toThrowError(GatewayConfigError);
    expect(() => renderGatewayConfig(site, 'gw-nope')).toThrowError('unknown gateway "gw-nope" in site "mall-bj-01" (known: gw-boutique-1)');
  });

  it('throws with issues when an override is invalid', () => {
    const site = example('boutique');
    try {
      renderGatewayConfig(site, 'gw-boutique-1', { tickMs: 1 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayConfigError);
      expect((err as GatewayConfigError).issues[0]).toMatch(/^tickMs: /);
    }
  });
});
