/**
 * Outbox at its cap: events dropped while the cloud was unreachable become one gap record that the
 * real cloud receives (counts, seq and time range), stores once, acks, lists at /api/v1/gaps and
 * flags on the gateway; the gateway deletes its record on that ack.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { codecs, topics, type PresenceEvent } from '@storesense/protocol';
import { MqttUplink, SqliteOutbox, silentLogger, systemClock } from '@storesense/gateway';
import { gatewayConfig, loadDeptStore, startCloud, tempDir, waitFor } from './harness.js';

describe('outbox drops reach the cloud as a gap alarm', () => {
  const tmp = tempDir('e2e-gap');
  const site = loadDeptStore();
  const gatewayId = site.gateways[0]!.id;
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    tmp.cleanup();
  });

  it('drops past maxRows are reported once, stored once, acked, and shown on the gateway', async () => {
    const { cloud, endpoints } = await startCloud(`${tmp.dir}/cloud`);
    cleanups.push(() => cloud.stop());
    await cloud.provisionGateway({ siteId: site.id, gatewayId, password: 'gap-test-pw' });
    const outbox = new SqliteOutbox({ path: `${tmp.dir}/gw/outbox.db`, maxRows: 4, maxAgeMs: 3_600_000, clock: systemClock, logger: silentLogger() });
    cleanups.push(() => outbox.close());
    // Ten events while the uplink is not running: six are dropped by the cap, in two appends.
    const now = Date.now();
    const draft = (i: number): Omit<PresenceEvent, 'seq'> => ({
      v: 1,
      id: `01GAPE2E${String(i).padStart(18, '0')}`,
      type: 'approach',
      at: now - 10_000 + i,
      detectedAt: now - 10_000 + i,
      siteId: site.id,
      gatewayId,
      subject: { id: `s_gap${i}`, signals: ['ble'] },
      visitId: `v${i}`,
      confidence: 0.9,
      model: { name: 'rules', version: '1' },
    });
    outbox.append(Array.from({ length: 6 }, (_, i) => draft(i)));
    outbox.append(Array.from({ length: 4 }, (_, i) => draft(6 + i)));
    expect(outbox.depth()).toBe(4);
    expect(outbox.undeliveredGaps()).toBe(1); // one record for the whole outage
    expect(codecs.event.encode({ ...draft(0), seq: 1 }).length).toBeGreaterThan(0); // the drafts are valid events

    const config = gatewayConfig(site, endpoints.mqttUrl, `${tmp.dir}/gw`);
    const uplink = new MqttUplink({
      config,
      outbox,
      clock: systemClock,
      logger: silentLogger(),
      password: 'gap-test-pw',
      health: () => ({
        v: 1,
        at: Date.now(),
        version: 't',
        sources: {},
        outbox: { depth: outbox.depth(), dropped: outbox.dropped() },
        model: { name: 'rules', version: '1' },
        subjects: 0,
      }),
    });
    uplink.start();
    cleanups.push(() => uplink.stop());
    await waitFor('outbox and gap records to drain', () => outbox.depth() === 0 && outbox.undeliveredGaps() === 0, 30_000);

    const gaps = (await (await fetch(`${endpoints.httpUrl}/api/v1/gaps?siteId=${site.id}`)).json()) as {
      gaps: { count: number; reason: string; fromSeq: number; toSeq: number; gatewayId: string }[];
    };
    expect(gaps.gaps.map((g) => [g.reason, g.count, g.fromSeq, g.toSeq])).toEqual([['max_rows', 6, 1, 6]]);
    const gws = (await (await fetch(`${endpoints.httpUrl}/api/v1/gateways`)).json()) as {
      gateways: { gatewayId: string; gaps?: { records: number; dropped: number } }[];
    };
    expect(gws.gateways.find((g) => g.gatewayId === gatewayId)?.gaps).toMatchObject({ records: 1, dropped: 6 });
    const events = (await (await fetch(`${endpoints.httpUrl}/api/v1/events?siteId=${site.id}&limit=100`)).json()) as { events: PresenceEvent[] };
    expect(events.events).toHaveLength(4);
    expect(topics.gap(site.id, gatewayId)).toMatch(/\/gap$/);
  });
});
