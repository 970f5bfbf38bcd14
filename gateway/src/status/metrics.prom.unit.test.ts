import type { GatewayHealth } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import type { PipelineStats } from '../pipeline.js';
import { createGatewayPrometheus, type GatewayMetricsSnapshot } from './metrics.prom.js';

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const health = (over: Partial<GatewayHealth> = {}): GatewayHealth => ({
  v: 1,
  at: 100_000,
  version: '0.1.0',
  sources: {
    ble: { state: 'ok', observations: 10, rejected: 1, lastObservationAt: 97_500 },
    wifi_probe: { state: 'unavailable', observations: 0, rejected: 0 },
  },
  outbox: { depth: 3, dropped: 2, undeliveredGaps: 1, oldestUnsentAgeMs: 4_000 },
  model: { name: 'onnx', version: 'f4' },
  classifier: { requested: 'onnx', active: 'rules', reason: 'outside', domain: 'outside', outsideDomain: [] },
  subjects: 5,
  occupancy: [{ storeId: 'st-1', occupancy: 12.5, uniqueVisitorsLastHour: 40, fixedDevices: 2 }],
  deviceRoles,
  ...over,
});
const deviceRoles = {
  staff: 1,
  fixed: 2,
  registered: 0,
  learned: 3,
  pending: 0,
  doorHeld: 1,
  decided: { handoff: 0, long_presence: 3, off_hours: 0, registered: 0, still: 0 },
  visitsClosed: 0,
  eventsDropped: 4,
};
const pipeline: PipelineStats = { subjects: 5, classifierErrors: 0, observations: 10, purchasesAttributed: { matched: 1 }, deviceRoles };

describe('createGatewayPrometheus (one snapshot per scrape)', () => {
  it('maps every health figure to its family, and a source gone since the last scrape leaves no series', async () => {
    let snap: GatewayMetricsSnapshot = {
      health: health({
        config: { version: 7, appliedAt: 1, refused: { version: 8, at: 2, reasons: ['bad'] } },
        rollout: { shadow: { version: 'f5', since: 1, compared: 200, agreed: 190, agreement: 0.95, errors: 1 } },
      }),
      pipeline,
      eventsStored: { arrival: 2 },
      tickErrors: 0,
    };
    const prom = createGatewayPrometheus(() => snap);
    const text = await prom.render();
    expect(sample(text, 'storesense_gateway_source_observations_total{source="ble"}')).toBe(10);
    expect(sample(text, 'storesense_gateway_source_rejected_total{source="ble"}')).toBe(1);
    expect(sample(text, 'storesense_gateway_source_last_observation_age_seconds{source="ble"}')).toBe(2.5);
    expect(sample(text, 'storesense_gateway_source_state{source="wifi_probe",state="unavailable"}')).toBe(1);
    expect(sample(text, 'storesense_gateway_outbox_depth')).toBe(3);
    expect(sample(text, 'storesense_gateway_outbox_dropped_total')).toBe(2);
    expect(sample(text, 'storesense_gateway_outbox_undelivered_gaps')).toBe(1);
    expect(sample(text, 'storesense_gateway_outbox_oldest_unsent_age_seconds')).toBe(4);
    expect(sample(text, 'storesense_gateway_classifier_outside_domain')).toBe(1);
    expect(sample(text, 'storesense_gateway_uplink_connected')).toBe(0); // no uplink
    expect(sample(text, 'storesense_gateway_occupancy{store="st-1"}')).toBe(12.5);
    expect(sample(text, 'storesense_gateway_unique_visitors_last_hour{store="st-1"}')).toBe(40);
    expect(sample(text, 'storesense_gateway_device_roles{role="learned"}')).toBe(3);
    expect(sample(text, 'storesense_gateway_device_roles{role="door_held"}')).toBe(1);
    expect(sample(text, 'storesense_gateway_device_roles_decided_total{reason="long_presence"}')).toBe(3);
    expect(sample(text, 'storesense_gateway_events_stored_total{type="arrival"}')).toBe(2);
    expect(sample(text, 'storesense_gateway_purchases_attributed_total{outcome="matched"}')).toBe(1);
    expect(sample(text, 'storesense_gateway_config_version')).toBe(7);
    expect(sample(text, 'storesense_gateway_config_refused_version')).toBe(8);
    expect(sample(text, 'storesense_gateway_model_shadow_info{version="f5"}')).toBe(1);
    expect(sample(text, 'storesense_gateway_model_shadow_agreement')).toBe(0.95);
    expect(sample(text, 'storesense_gateway_model_shadow_compared_total')).toBe(200);
    expect(text).toContain('# TYPE storesense_gateway_outbox_dropped_total counter');
    expect(text).toContain('# TYPE storesense_gateway_outbox_depth gauge');

    const { wifi_probe: _gone, ...rest } = snap.health.sources;
    snap = { ...snap, health: health({ sources: rest, outbox: { depth: 0, dropped: 5 } }), eventsStored: { arrival: 3 } };
    const again = await prom.render();
    expect(again).not.toContain('source="wifi_probe"');
    expect(again).not.toContain('model_shadow_info{');
    expect(sample(again, 'storesense_gateway_outbox_dropped_total')).toBe(5);
    expect(sample(again, 'storesense_gateway_events_stored_total{type="arrival"}')).toBe(3);
  });
});
