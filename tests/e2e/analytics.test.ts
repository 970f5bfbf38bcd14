/**
 * Analytics against the simulator's truth: a seeded department-store world runs through the
 * gateway's own offline pipeline (`runOffline`), the events go into a real SQLite cloud store, and
 * the analytics figures must agree with what really happened (the world's truth journey).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoMembersPath, loadMembersCsv, renderGatewayConfig } from '@storesense/firmware-config';
import { AnalyticsService, openSqliteStore, type CloudStore } from '@storesense/cloud';
import { runOffline } from '@storesense/gateway';
import { createWorld } from '@storesense/simulators';
import { percentile } from '@storesense/cloud';
import type { PresenceEvent, TruthEvent } from '@storesense/protocol';
import { loadDeptStore } from './harness.js';

const DURATION_MS = 45 * 60_000;
/** Capture rate may differ from the truth by this much (absolute): detection misses at the door. */
const CAPTURE_TOLERANCE = 0.1;

describe('analytics agree with the simulator’s truth (dept-store, offline pipeline)', () => {
  const site = loadDeptStore();
  const storeId = site.gateways[0]!.storeId!;
  const dir = mkdtempSync(join(tmpdir(), 'e2e-analytics-'));
  let store: CloudStore;
  let truth: TruthEvent[] = [];
  let events: PresenceEvent[] = [];
  let analytics: AnalyticsService;
  let from = 0;

  beforeAll(async () => {
    const members = loadMembersCsv(demoMembersPath).members;
    const world = createWorld({ site, seed: 7, durationMs: DURATION_MS, members });
    truth = world.truth();
    const observations = [...world.observations()];
    const config = renderGatewayConfig(site, site.gateways[0]!.id);
    const memberKeys = {
      v: 1,
      at: truth[0]?.at ?? 0,
      periodMs: site.memberTokens.periodMs,
      members: members.filter((m) => m.consent).map((m) => ({ memberId: m.memberId, key: m.tokenKey })),
    };
    events = runOffline(config, observations, { memberKeys, seed: 1 });
    store = openSqliteStore({ path: join(dir, 'cloud.db') });
    for (const e of events) await store.insertEvent(e, e.at);
    analytics = new AnalyticsService({ store, sites: new Map([[site.id, site]]) });
    from = world.header.startedAt;
  }, 300_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('capture rate = true arrivals / true approaches, within tolerance', async () => {
    const r = await analytics.footfall({ siteId: site.id, from, to: from + DURATION_MS + 3_600_000 }, 'hour');
    const measured = r.totals.find((t) => t.storeId === storeId)!;
    const trueApproaches = truth.filter((t) => t.type === 'approach' && t.storeId === storeId).length;
    const trueArrivals = truth.filter((t) => t.type === 'arrival' && t.storeId === storeId).length;
    const trueCapture = trueArrivals / trueApproaches;
    console.log(
      `dept-store ${DURATION_MS / 60_000} min: truth ${trueArrivals}/${trueApproaches} = ${trueCapture.toFixed(3)}; measured ${measured.arrivals}/${measured.approaches} = ${measured.captureRate?.toFixed(3)}`,
    );
    expect(trueApproaches).toBeGreaterThan(20);
    expect(measured.captureRate).not.toBeNull();
    expect(Math.abs(measured.captureRate! - trueCapture)).toBeLessThanOrEqual(CAPTURE_TOLERANCE);
    // Hour rows add up to the totals (every visit falls in exactly one site-local hour per type).
    expect(r.rows.filter((x) => x.storeId === storeId).reduce((n, x) => n + x.arrivals, 0)).toBeGreaterThanOrEqual(measured.arrivals);
    expect(r.timeZone).toBe(site.timezone);
  });

  it('floor flows, dwell and member share follow the truth', async () => {
    const range = { siteId: site.id, from, to: from + DURATION_MS + 3_600_000 };
    const s = await analytics.summary(range);
    const trueFloorChanges = truth.filter((t) => t.type === 'floor_change').length;
    const measuredFloorChanges = s.floors.reduce((n, f) => n + f.count, 0);
    const trueDwellMs = truth
      .filter((t) => t.type === 'dwell' && t.phase === 'end')
      .map((t) => t.dwellMs ?? 0)
      .sort((a, b) => a - b);
    const trueDwellEnds = trueDwellMs.length;
    const trueP50 = percentile(trueDwellMs, 50)!;
    const trueArrivals = truth.filter((t) => t.type === 'arrival');
    const trueMemberShare = trueArrivals.filter((t) => t.memberId !== undefined).length / trueArrivals.length;
    console.log(
      `floor changes truth ${trueFloorChanges} measured ${measuredFloorChanges}; dwell ends truth ${trueDwellEnds} measured ${s.dwell.count} (p50 ${s.dwell.p50Ms} ms, p90 ${s.dwell.p90Ms} ms); true dwell p50 ${trueP50} ms; member share truth ${trueMemberShare.toFixed(3)} measured ${s.returning.memberShare?.toFixed(3)}`,
    );
    expect(measuredFloorChanges).toBeGreaterThan(0);
    expect(Math.abs(measuredFloorChanges - trueFloorChanges)).toBeLessThanOrEqual(Math.max(3, trueFloorChanges * 0.3));
    expect(Math.abs(s.dwell.count - trueDwellEnds)).toBeLessThanOrEqual(Math.max(3, trueDwellEnds * 0.3));
    expect(Math.abs(s.dwell.p50Ms! - trueP50)).toBeLessThanOrEqual(trueP50 * 0.25);
    expect(Math.abs((s.returning.memberShare ?? 0) - trueMemberShare)).toBeLessThanOrEqual(0.1);
  });
});
