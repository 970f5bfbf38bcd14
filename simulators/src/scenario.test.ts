import { memberToken } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { memberJourney } from './scenario.js';
import { demoMembers, exampleSite } from './testing/fixtures.js';
import { createWorld } from './world.js';

const member = demoMembers().find((m) => m.consent)!;

describe('member-visit scenario', () => {
  it.each(['boutique', 'dept-store'] as const)('gives exactly approach, arrival, dwell start/end, purchase, exit in %s', (name) => {
    const site = exampleSite(name);
    const world = createWorld({
      site,
      durationMs: 4 * 60_000,
      shoppersPerHour: 0,
      scenarios: [memberJourney({ memberId: member.memberId, key: member.tokenKey })],
    });
    const truth = world.truth();
    expect(truth.map((e) => (e.type === 'dwell' ? `dwell:${e.phase}` : e.type))).toEqual([
      'approach',
      'arrival',
      'dwell:start',
      'dwell:end',
      'purchase',
      'exit',
    ]);
    const start = world.header.startedAt;
    expect(truth[0]!.at).toBe(start + 15_000);
    expect(new Set(truth.map((e) => e.subject)).size).toBe(1);
    expect(truth.every((e) => e.memberId === member.memberId && e.storeId === site.stores[0]!.id)).toBe(true);
    const dwellEnd = truth[3]!;
    expect(dwellEnd.dwellMs!).toBeGreaterThanOrEqual(site.journey.dwellThresholdMs);
    expect(truth[5]!.at - start).toBeLessThan(4 * 60_000);

    const obs = [...world.observationBatches()].flat();
    const subject = truth[0]!.subject;
    const pos = obs.filter((o) => o.terminal?.kind === 'pos');
    expect(pos).toHaveLength(1);
    expect(pos[0]).toMatchObject({ subject, at: truth[4]!.at, terminal: { kind: 'pos', action: 'purchase', memberId: member.memberId, amount: 880 } });
    const cams = obs.filter((o) => o.terminal?.kind === 'entrance_camera');
    // Cameras are anonymous: their own t_ subjects, never the member's.
    expect(cams.every((o) => o.subject.startsWith('t_') && o.terminal?.memberId === undefined)).toBe(true);
    const ble = obs.filter((o) => o.source === 'ble');
    expect(ble.length).toBeGreaterThan(100);
    expect(ble.every((o) => o.subject === subject && o.token === memberToken(member.tokenKey, o.at, site.memberTokens.periodMs))).toBe(true);
  });

  it('adds dwell updates when the member stays long', () => {
    const site = exampleSite('boutique');
    const world = createWorld({
      site,
      durationMs: 6 * 60_000,
      shoppersPerHour: 0,
      scenarios: [memberJourney({ memberId: member.memberId, key: member.tokenKey, dwellMs: 150_000, buy: false })],
    });
    const kinds = world.truth().map((e) => (e.type === 'dwell' ? `dwell:${e.phase}` : e.type));
    expect(kinds).toEqual(['approach', 'arrival', 'dwell:start', 'dwell:update', 'dwell:update', 'dwell:end', 'exit']);
  });

  it('runs beside background traffic without changing its own truth', () => {
    const site = exampleSite('boutique');
    const scenario = memberJourney({ memberId: member.memberId, key: member.tokenKey, subject: 's_0000feed' });
    const alone = createWorld({ site, durationMs: 4 * 60_000, shoppersPerHour: 0, scenarios: [scenario] });
    const busy = createWorld({ site, durationMs: 4 * 60_000, shoppersPerHour: 900, members: demoMembers(), scenarios: [scenario] });
    expect(busy.truth().filter((e) => e.subject === 's_0000feed')).toEqual(alone.truth());
    expect(busy.shoppers.filter((s) => s.memberId === member.memberId)).toHaveLength(1);
    // With a scenario, background shoppers are anonymous unless memberShare says otherwise.
    expect(busy.shoppers.filter((s) => s.memberId !== undefined)).toHaveLength(1);
    const mixed = createWorld({ site, durationMs: 10 * 60_000, shoppersPerHour: 900, members: demoMembers(), memberShare: 0.5, scenarios: [scenario] });
    expect(mixed.shoppers.filter((s) => s.memberId !== undefined).length).toBeGreaterThan(1);
    expect(mixed.shoppers.filter((s) => s.memberId === member.memberId)).toHaveLength(1);
  });

  it('rotates member tokens every period, each matching memberToken', () => {
    const site = { ...exampleSite('boutique'), memberTokens: { periodMs: 60_000 } };
    const world = createWorld({
      site,
      durationMs: 4 * 60_000,
      shoppersPerHour: 0,
      scenarios: [memberJourney({ memberId: member.memberId, key: member.tokenKey, approachAt: 5_000 })],
    });
    const ble = [...world.observationBatches()].flat().filter((o) => o.source === 'ble');
    const byPeriod = new Map<number, Set<string>>();
    for (const o of ble) {
      const p = Math.floor(o.at / 60_000);
      if (!byPeriod.has(p)) byPeriod.set(p, new Set());
      byPeriod.get(p)!.add(o.token!);
      expect(o.token).toBe(memberToken(member.tokenKey, o.at, 60_000));
    }
    expect(byPeriod.size).toBeGreaterThanOrEqual(2);
    for (const tokens of byPeriod.values()) expect(tokens.size).toBe(1);
    const all = [...byPeriod.values()].map((s) => [...s][0]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('rejects unknown stores and zones with a clear error', () => {
    const site = exampleSite('boutique');
    expect(() => createWorld({ site, durationMs: 60_000, scenarios: [memberJourney({ memberId: 'M1', key: member.tokenKey, zoneId: 'nope' })] })).toThrow(
      /zone "nope"/,
    );
    expect(() => createWorld({ site, durationMs: 60_000, scenarios: [memberJourney({ memberId: 'M1', key: member.tokenKey, storeId: 'nope' })] })).toThrow(
      /store "nope"/,
    );
  });
});
