import { gatewayConfigSchema, type GatewayConfig, type GatewayConfigInput } from '@storesense/firmware-config';
import type { Observation } from '@storesense/protocol';
import type { EventDraft } from '../store/outbox.js';

/**
 * A small single-floor boutique: corridor south of y=0, store 0..10 x 0..8, door at (5, 0).
 * Receivers: storefront outside the door, entrance just inside, sales floor, till.
 */
export function boutiqueConfig(overrides: Partial<GatewayConfigInput> = {}): GatewayConfig {
  return gatewayConfigSchema.parse({
    version: 1,
    siteId: 'test-site',
    gatewayId: 'gw1',
    storeId: 'boutique',
    floors: [{ level: 0, name: 'G' }],
    stores: [
      {
        id: 'boutique',
        name: 'Boutique',
        floors: [0],
        shape: { rect: { x: 0, y: 0, w: 10, h: 8 } },
        entrances: [{ id: 'door', floor: 0, at: { x: 5, y: 0 } }],
        zones: [
          { id: 'sales', name: 'Sales', kind: 'sales', floor: 0, shape: { rect: { x: 0, y: 2, w: 6, h: 6 } } },
          { id: 'till', name: 'Till', kind: 'checkout', floor: 0, shape: { rect: { x: 6, y: 4, w: 4, h: 4 } } },
        ],
      },
    ],
    receivers: [
      { id: 'rx-front', role: 'storefront', floor: 0, position: { x: 5, y: -2 }, storeId: 'boutique' },
      { id: 'rx-door', role: 'entrance', floor: 0, position: { x: 5, y: 1 }, storeId: 'boutique' },
      { id: 'rx-sales', role: 'inside', floor: 0, position: { x: 3, y: 5 }, storeId: 'boutique', zoneId: 'sales' },
      { id: 'rx-till', role: 'checkout', floor: 0, position: { x: 8, y: 6 }, storeId: 'boutique', zoneId: 'till' },
    ],
    terminals: [{ id: 'pos-1', kind: 'pos', storeId: 'boutique', floor: 0, position: { x: 8, y: 7 }, zoneId: 'till' }],
    journey: { dwellThresholdMs: 10_000, dwellUpdateMs: 20_000, exitAbsenceMs: 12_000, approachRssiDbm: -85 },
    memberTokens: { periodMs: 900_000 },
    ...overrides,
  });
}

/** Two floors of one store linked by an escalator receiver on each floor. */
export function twoFloorConfig(): GatewayConfig {
  const base = boutiqueConfig();
  return gatewayConfigSchema.parse({
    ...base,
    floors: [
      { level: 0, name: 'G' },
      { level: 1, name: '1' },
    ],
    stores: [
      {
        ...base.stores[0]!,
        floors: [0, 1],
        zones: [...base.stores[0]!.zones, { id: 'upper', name: 'Upper', kind: 'sales', floor: 1, shape: { rect: { x: 0, y: 0, w: 10, h: 8 } } }],
      },
    ],
    receivers: [...base.receivers, { id: 'rx-up', role: 'inside', floor: 1, position: { x: 5, y: 5 }, storeId: 'boutique', zoneId: 'upper' }],
  });
}

export function ble(at: number, receiverId: string, subject: string, rssiDbm: number, extra: Partial<Observation> = {}): Observation {
  return { v: 1, at, source: 'ble', receiverId, subject, rssiDbm, ...extra };
}

/** Adverts every `everyMs` from `from` to `to` (exclusive) at fixed RSSIs per receiver. */
export function adverts(subject: string, from: number, to: number, rssiByReceiver: Record<string, number>, everyMs = 500): Observation[] {
  const out: Observation[] = [];
  for (let t = from; t < to; t += everyMs) {
    for (const [rx, rssi] of Object.entries(rssiByReceiver)) out.push(ble(t, rx, subject, rssi));
  }
  return out;
}

export function draft(i: number, at = 1_700_000_000_000 + i): EventDraft {
  return {
    v: 1,
    id: `01TESTEVENT${String(i).padStart(10, '0')}`,
    type: 'arrival',
    at,
    siteId: 'test-site',
    gatewayId: 'gw1',
    subject: { id: `s${i}`, signals: ['ble'] },
    visitId: `visit-${i}`,
    confidence: 0.9,
    model: { name: 'rules', version: '1' },
  };
}
