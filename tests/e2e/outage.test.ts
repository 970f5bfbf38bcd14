/**
 * Outage: the cloud is stopped mid-scenario and restarted on the same ports and data. Every event
 * the gateway emitted arrives, none twice, and the gateway's outbox is empty afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cloud } from '@storesense/cloud';
import type { PresenceEvent } from '@storesense/protocol';
import {
  cloudEvents,
  demoMember,
  gatewayConfig,
  loadDeptStore,
  memberVisitScenario,
  replayInto,
  ScaledClock,
  SPEED,
  startCloud,
  startGateway,
  tempDir,
  waitFor,
  type RunningGateway,
} from './harness.js';

describe('cloud outage mid-scenario', () => {
  const tmp = tempDir('e2e-outage');
  const site = loadDeptStore();
  const scenario = memberVisitScenario(site, demoMember('M0002'), 23);
  let cloud: Cloud | undefined;
  let gw: RunningGateway | undefined;
  let stored: PresenceEvent[] = [];
  let emittedWhileDown = 0;
  let depthWhileDown = 0;

  beforeAll(async () => {
    const first = await startCloud(`${tmp.dir}/cloud`);
    cloud = first.cloud;
    const { httpPort, mqttPort } = first.endpoints;
    await cloud.provisionGateway({ siteId: site.id, gatewayId: site.gateways[0]!.id, password: 'outage-pw' });
    gw = await startGateway(
      gatewayConfig(site, first.endpoints.mqttUrl, `${tmp.dir}/gateway`),
      new ScaledClock(scenario.observations[0]!.at, SPEED),
      'outage-pw',
    );

    // Down from the member's arrival until after the purchase: dwell and purchase happen offline.
    const outage = (async () => {
      await waitFor('arrival at the gateway', () => gw!.emitted.some((e) => e.type === 'arrival'), 120_000);
      await cloud!.stop();
      const before = gw!.emitted.length;
      await waitFor('purchase at the gateway', () => gw!.emitted.some((e) => e.type === 'purchase'), 120_000);
      emittedWhileDown = gw!.emitted.length - before;
      depthWhileDown = gw!.gateway.health().outbox.depth;
      const again = await startCloud(`${tmp.dir}/cloud`, { httpPort, mqttPort });
      cloud = again.cloud;
    })();
    await replayInto(gw.gateway, scenario.observations, gw.clock);
    await outage;

    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await waitFor(
      'the exit at the cloud and an empty outbox',
      async () => {
        stored = await cloudEvents(httpUrl, site.id);
        return stored.some((e) => e.type === 'exit') && gw!.gateway.health().outbox.depth === 0;
      },
      120_000,
    );
    stored = await cloudEvents(httpUrl, site.id);
  }, 600_000);

  afterAll(async () => {
    await gw?.gateway.stop();
    await cloud?.stop();
    tmp.cleanup();
  });

  it('kept the events of the outage in the outbox', () => {
    expect(emittedWhileDown).toBeGreaterThan(0);
    expect(depthWhileDown).toBeGreaterThanOrEqual(emittedWhileDown);
  });

  it('delivers every emitted event exactly once after the restart', () => {
    const ids = stored.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(gw!.emitted.map((e) => e.id).sort());
  });

  it('leaves the outbox empty', () => {
    expect(gw!.gateway.health().outbox.depth).toBe(0);
  });
});
