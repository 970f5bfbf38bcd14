import { memberToken } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { MemorySink, replayTrace } from './replay.js';
import { memberJourney } from './scenario.js';
import { demoMembers, exampleSite, fakeClock } from './testing/fixtures.js';
import { createTokenRebaser } from './token-rebase.js';
import { createWorld } from './world.js';

describe('token rebasing on replay', () => {
  it('re-derives member tokens for the rebased times so a gateway can still resolve them', async () => {
    const site = exampleSite('boutique');
    const member = demoMembers()[1]!;
    const world = createWorld({
      site,
      durationMs: 3 * 60_000,
      shoppersPerHour: 300,
      members: demoMembers(),
      scenarios: [memberJourney({ memberId: member.memberId, key: member.tokenKey })],
    });
    const input = [...world.observationBatches()].flat();
    const periodMs = site.memberTokens.periodMs;
    const retoken = createTokenRebaser({ periodMs, keys: demoMembers().map((m) => ({ memberId: m.memberId, key: m.tokenKey })) });
    const clock = fakeClock(Date.UTC(2027, 5, 1, 12, 7, 0));
    const sink = new MemorySink(clock);
    const r = await replayTrace({ observations: input, sink, speed: 1000, clock, sleep: clock.sleep, retoken });
    const out = sink.batches.flatMap((b) => b.observations);
    expect(out).toHaveLength(input.length);
    const withToken = out.filter((o) => o.token !== undefined);
    expect(withToken.length).toBeGreaterThan(100);
    const keyOf = new Map(world.shoppers.filter((s) => s.memberId).map((s) => [s.subject, demoMembers().find((m) => m.memberId === s.memberId)!.tokenKey]));
    for (const o of withToken) expect(o.token).toBe(memberToken(keyOf.get(o.subject)!, o.at, periodMs));
    expect(retoken.stats).toEqual({ retokened: withToken.length, unknown: 0 });
    expect(r.offsetMs).not.toBe(0);
  });

  it('leaves unknown tokens and unshifted observations alone', () => {
    const retoken = createTokenRebaser({ periodMs: 60_000, keys: [] });
    const o = { v: 1 as const, at: 5_000_000, source: 'ble' as const, receiverId: 'rx', subject: 's_1', token: '0011223344556677' };
    expect(retoken(o, 1_000)).toBe(o);
    expect(retoken(o, 5_000_000)).toBe(o);
    expect(retoken.stats).toEqual({ retokened: 0, unknown: 1 });
  });
});
