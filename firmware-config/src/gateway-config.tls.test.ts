import { describe, expect, it } from 'vitest';
import { exampleSitePath } from './paths.js';
import { renderGatewayConfig } from './gateway-config.render.js';
import { gatewayConfigSchema } from './gateway-config.schema.js';
import { loadSiteFile } from './site.loader.js';

describe('gateway config: mqtts settings', () => {
  const site = loadSiteFile(exampleSitePath('boutique'));
  if (!site.ok) throw new Error(site.error);
  const base = renderGatewayConfig(site.value, site.value.gateways[0]!.id);
  const withMqtt = (mqtt: Record<string, unknown>) => gatewayConfigSchema.safeParse({ ...base, mqtt: { ...base.mqtt, ...mqtt } });

  it('takes a pinned CA, and a client certificate with its key, for an mqtts:// url', () => {
    expect(withMqtt({ url: 'mqtts://cloud.example:8883', tls: { caFile: '/etc/storesense/ca.pem' } }).success).toBe(true);
    expect(
      withMqtt({ url: 'mqtts://cloud.example:8883', tls: { caFile: 'ca.pem', certFile: 'gw.pem', keyFile: 'gw.key', serverName: 'cloud.example' } }).success,
    ).toBe(true);
  });

  it.each([
    ['tls on a plain mqtt:// url', { url: 'mqtt://cloud.example:1883', tls: { caFile: 'ca.pem' } }, /not mqtts/],
    ['a certificate without its key', { url: 'mqtts://cloud.example:8883', tls: { caFile: 'ca.pem', certFile: 'gw.pem' } }, /go together/],
    ['no CA to pin', { url: 'mqtts://cloud.example:8883', tls: { certFile: 'gw.pem', keyFile: 'gw.key' } }, /caFile/],
    ['an unknown key', { url: 'mqtts://cloud.example:8883', tls: { caFile: 'ca.pem', insecure: true } }, /insecure|Unrecognized/i],
  ])('refuses %s with the path', (_what, mqtt, message) => {
    const r = withMqtt(mqtt);
    expect(r.success).toBe(false);
    if (!r.success) expect(JSON.stringify(r.error.issues)).toMatch(message);
  });
});
