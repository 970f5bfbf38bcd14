/**
 * Our gateway and cloud against a broker we did not write: the machine's Mosquitto on
 * 127.0.0.1:1883 (anonymous on loopback). Skips, saying why, where none listens.
 */
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { Cloud } from '@storesense/cloud';
import { topics, type PresenceEvent } from '@storesense/protocol';
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

const MOSQUITTO = 'mqtt://127.0.0.1:1883';

async function listening(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

const available = await listening(1883);
if (!available) console.warn('mosquitto e2e skipped: nothing listens on 127.0.0.1:1883 (install and start mosquitto to run it)');

describe.skipIf(!available)('gateway and cloud through the machine Mosquitto', () => {
  const tmp = tempDir('e2e-mosquitto');
  // A site id of its own, so parallel runs and retained messages on the shared broker never mix.
  const base = loadDeptStore();
  const site = { ...base, id: `e2e-${process.pid}-${Date.now().toString(36)}` };
  const scenario = memberVisitScenario(site, demoMember('M0003'), 5);
  let cloud: Cloud | undefined;
  let gw: RunningGateway | undefined;
  let stored: PresenceEvent[] = [];

  beforeAll(async () => {
    // Plain subscriptions (no share group, decision 112): another run of this test on the shared
    // broker uses the same site id and must not take a share of this run's events.
    const started = await startCloud(`${tmp.dir}/cloud`, { brokerUrl: MOSQUITTO, sites: [site], ingestSiteIds: [site.id], brokerShareGroup: null });
    cloud = started.cloud;
    await cloud.provisionGateway({ siteId: site.id, gatewayId: site.gateways[0]!.id, password: 'unused-by-anonymous-mosquitto' });
    gw = await startGateway(gatewayConfig(site, MOSQUITTO, `${tmp.dir}/gateway`), new ScaledClock(scenario.observations[0]!.at, SPEED), 'unused');
    await replayInto(gw.gateway, scenario.observations, gw.clock);
    await waitFor('the exit at the cloud', async () => {
      stored = await cloudEvents(started.endpoints.httpUrl, site.id);
      return stored.some((e) => e.type === 'exit') && gw!.gateway.health().outbox.depth === 0;
    });
  }, 600_000);

  afterAll(async () => {
    await gw?.gateway.stop();
    await cloud?.stop();
    // Clear what we retained on the shared broker (zero-length retained payloads delete them).
    const gwId = site.gateways[0]!.id;
    const c = await mqtt.connectAsync(MOSQUITTO, { clientId: `cleanup-${site.id}` });
    for (const t of [topics.memberKeys(site.id, gwId), topics.stateConn(site.id, gwId), topics.stateHealth(site.id, gwId)]) {
      await c.publishAsync(t, '', { retain: true, qos: 1 });
    }
    await c.endAsync();
    tmp.cleanup();
  });

  it('delivers every event once, acked, with the member resolved through retained keys', () => {
    const ids = stored.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(gw!.emitted.map((e) => e.id).sort());
    expect(gw!.gateway.health().outbox.depth).toBe(0);
    expect(stored.find((e) => e.type === 'arrival')?.subject.memberId).toBe('M0003');
  });
});
