import { codecs, topics } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { makeEvent } from './testing/fixtures.js';
import { connectClient, startTestCloud, waitFor } from './testing/harness.js';

/** The value of one sample line (`name{labels} value`), or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('cloud GET /metrics (Prometheus)', () => {
  it("serves health's figures and each gateway's last report, scraped over HTTP", async () => {
    const t = await startTestCloud();
    try {
      await t.cloud.provisionGateway({ siteId: 's', gatewayId: 'g', password: 'long-enough' });
      const gw = await connectClient(t.endpoints.mqttUrl, 's.g', 'long-enough');
      await gw.publishAsync(topics.stateConn('s', 'g'), codecs.connState.encode({ v: 1, state: 'online', at: 1, version: '1' }), { qos: 1, retain: true });
      const health = {
        v: 1 as const,
        at: Date.now(),
        version: '1',
        sources: { ble: { state: 'ok' as const, observations: 5, rejected: 0 }, wifi_monitor: { state: 'unavailable' as const, observations: 0, rejected: 0 } },
        outbox: { depth: 7, dropped: 0, oldestUnsentAgeMs: 3000 },
        model: { name: 'rules', version: '1' },
        subjects: 4,
      };
      await gw.publishAsync(topics.stateHealth('s', 'g'), codecs.health.encode(health), { qos: 0, retain: true });
      const e = makeEvent();
      expect((await t.cloud.ingestEvent(e)).status).toBe('stored');
      expect((await t.cloud.ingestEvent(e)).status).toBe('duplicate');
      expect((await t.cloud.ingestEvent({ nonsense: true })).status).toBe('rejected');
      await waitFor(async () => (await t.cloud.store!.listGateways()).some((g) => g.health !== undefined && g.conn?.state === 'online'), 5000, 'health stored');

      const res = await fetch(`${t.endpoints.httpUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(sample(text, 'storesense_cloud_db_up')).toBe(1);
      expect(sample(text, 'storesense_cloud_broker_connected{kind="embedded"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_broker_clients')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'storesense_cloud_events_ingested_total{result="stored"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_events_ingested_total{result="duplicate"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_events_ingested_total{result="rejected"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_operations_total{name="ingest.stored"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_stored_rows{kind="events"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_gateways{state="online"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_gateway_online{site="s",gateway="g"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_gateway_outbox_depth{site="s",gateway="g"}')).toBe(7);
      expect(sample(text, 'storesense_cloud_gateway_outbox_oldest_unsent_age_seconds{site="s",gateway="g"}')).toBe(3);
      expect(sample(text, 'storesense_cloud_gateway_subjects{site="s",gateway="g"}')).toBe(4);
      expect(sample(text, 'storesense_cloud_gateway_sources_not_ok{site="s",gateway="g"}')).toBe(1);
      expect(sample(text, 'storesense_cloud_alert_sockets')).toBe(0);
      expect(text).toMatch(/^storesense_cloud_process_resident_memory_bytes \d+/m);

      // Offline is reflected on the next scrape; the figures follow the store, not a cached copy.
      await gw.publishAsync(topics.stateConn('s', 'g'), codecs.connState.encode({ v: 1, state: 'offline', at: 2, version: '1' }), { qos: 1, retain: true });
      await waitFor(async () => (await t.cloud.store!.listGateways()).some((g) => g.conn?.state === 'offline'), 5000, 'offline stored');
      const again = await (await fetch(`${t.endpoints.httpUrl}/metrics`)).text();
      expect(sample(again, 'storesense_cloud_gateway_online{site="s",gateway="g"}')).toBe(0);
      expect(sample(again, 'storesense_cloud_gateways{state="offline"}')).toBe(1);
      expect(sample(again, 'storesense_cloud_events_ingested_total{result="stored"}')).toBe(1); // a counter, not reset by a scrape
      gw.end(true);
    } finally {
      await t.stop();
    }
  });

  it('needs an operator or analyst token when staff auth is required (an API token for the scraper)', async () => {
    const t = await startTestCloud({ staffAuth: 'required' });
    try {
      const url = `${t.endpoints.httpUrl}/metrics`;
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(await none.text()).not.toContain('storesense_cloud_');
      const staff = await t.cloud.createApiToken({ name: 'till', role: 'staff', siteId: 's', storeIds: ['st'] });
      expect((await fetch(url, { headers: { authorization: `Bearer ${staff.token}` } })).status).toBe(403);
      const scraper = await t.cloud.createApiToken({ name: 'prometheus', role: 'analyst' });
      const ok = await fetch(url, { headers: { authorization: `Bearer ${scraper.token}` } });
      expect(ok.status).toBe(200);
      expect(sample(await ok.text(), 'storesense_cloud_db_up')).toBe(1);
    } finally {
      await t.stop();
    }
  });
});
