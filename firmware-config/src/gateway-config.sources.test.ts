import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema, sourceSchema } from './gateway-config.schema.js';
import { renderGatewayConfig } from './gateway-config.render.js';
import { exampleSitePath } from './paths.js';
import { loadSiteFile } from './site.loader.js';

describe('gateway config: real sensor source kinds and identity', () => {
  it('fills defaults for espresense, meraki, wifi_probe (pcap and live) and ble', () => {
    expect(sourceSchema.parse({ kind: 'espresense' })).toEqual({ kind: 'espresense', topic: 'espresense/devices/#', rooms: {} });
    expect(sourceSchema.parse({ kind: 'meraki', validator: 'v' })).toEqual({
      kind: 'meraki',
      validator: 'v',
      secretEnv: 'STORESENSE_MERAKI_SECRET',
      apReceivers: {},
    });
    expect(sourceSchema.parse({ kind: 'wifi_probe', receiverId: 'rx-1', pcap: 'a.pcap' })).toEqual({
      kind: 'wifi_probe',
      receiverId: 'rx-1',
      pcap: 'a.pcap',
      speed: 1,
    });
    expect(sourceSchema.parse({ kind: 'wifi_probe', receiverId: 'rx-1' })).toEqual({
      kind: 'wifi_probe',
      receiverId: 'rx-1',
      interface: 'mon0',
      tool: 'tshark',
    });
    expect(sourceSchema.parse({ kind: 'ble', receiverId: 'rx-1' })).toEqual({ kind: 'ble', adapter: 'noble', receiverId: 'rx-1', silenceRestartMs: 120_000 });
  });

  it('rejects bad entries with a path', () => {
    expect(sourceSchema.safeParse({ kind: 'meraki' }).success).toBe(false);
    expect(sourceSchema.safeParse({ kind: 'ble', receiverId: 'rx-1', adapter: 'bluez' }).success).toBe(false);
    expect(sourceSchema.safeParse({ kind: 'wifi_probe', receiverId: 'rx-1', tool: 'wireshark' }).success).toBe(false);
    expect(sourceSchema.safeParse({ kind: 'carrier-pigeon' }).success).toBe(false);
  });

  it('stays backward compatible: a rendered config without identity gets the pepper env default', () => {
    const site = loadSiteFile(exampleSitePath('boutique'));
    if (!site.ok) throw new Error('example site invalid');
    const gwId = site.value.gateways?.[0]?.id ?? 'gw-boutique-1';
    const cfg = gatewayConfigSchema.parse(JSON.parse(JSON.stringify(renderGatewayConfig(site.value, gwId))));
    expect(cfg.identity).toEqual({ pepperEnv: 'STORESENSE_SITE_PEPPER' });
    expect(gatewayConfigSchema.safeParse({ ...cfg, identity: { pepper: 'short' } }).success).toBe(false);
  });
});
