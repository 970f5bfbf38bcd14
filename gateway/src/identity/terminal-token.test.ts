import { memberToken, type Observation } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { runOffline } from '../offline.js';
import { adverts, boutiqueConfig } from '../testing/fixtures.js';

const T0 = 1_700_000_000_000;
const KEY = '00112233445566778899aabbccddeeff';

/** Walks in and stands at the till from `tillAt` until `leaveAt`. */
function atTill(subject: string, tillAt: number, leaveAt: number, extra: Partial<Observation> = {}): Observation[] {
  const o = (list: Observation[]) => list.map((x) => ({ ...x, ...extra }));
  return [
    ...o(adverts(subject, T0, T0 + 5_000, { 'rx-front': -72, 'rx-door': -86 })),
    ...o(adverts(subject, T0 + 5_000, T0 + 8_000, { 'rx-front': -78, 'rx-door': -60, 'rx-sales': -75 })),
    ...o(adverts(subject, T0 + 8_000, tillAt, { 'rx-front': -90, 'rx-door': -76, 'rx-sales': -58, 'rx-till': -80 })),
    ...o(adverts(subject, tillAt, leaveAt, { 'rx-door': -82, 'rx-sales': -76, 'rx-till': -55 })),
  ];
}

describe('POS paid with a member token (app QR or card token)', () => {
  it("resolves to the member and is attributed to the member's radio track, not to whoever queued first", () => {
    const periodMs = boutiqueConfig().memberTokens.periodMs;
    // "early" reached the till first (queue order would pick them); the member paid.
    const early = atTill('early', T0 + 10_000, T0 + 45_000);
    const member = atTill('member-phone', T0 + 20_000, T0 + 45_000);
    const memberWithTokens = member.map((o) => ({ ...o, token: memberToken(KEY, o.at, periodMs) }));
    const saleAt = T0 + 40_000;
    const sale: Observation = {
      v: 1,
      at: saleAt,
      source: 'terminal',
      receiverId: 'pos-1',
      subject: 't_pos-1_1',
      token: memberToken(KEY, saleAt, periodMs),
      terminal: { kind: 'pos', action: 'purchase', amount: 25, currency: 'EUR' },
    };
    const memberKeys = { v: 1, at: T0, periodMs, members: [{ memberId: 'm-17', key: KEY }] };
    const events = runOffline(
      boutiqueConfig(),
      [...early, ...memberWithTokens, sale].sort((a, b) => a.at - b.at),
      { memberKeys, seed: 3 },
    );
    const purchases = events.filter((e) => e.type === 'purchase');
    expect(purchases).toHaveLength(1);
    expect(purchases[0]).toMatchObject({ terminalId: 'pos-1', amount: 25, subject: { id: 'member-phone', memberId: 'm-17' } });
    // Without the keys the same sale is anonymous and goes to the queue's first
    const anonymous = runOffline(
      boutiqueConfig(),
      [...early, ...memberWithTokens, sale].sort((a, b) => a.at - b.at),
      { seed: 3 },
    ).filter((e) => e.type === 'purchase');
    expect(anonymous[0]!.subject.id).toBe('early');
  });
});

describe('POS naming a member who has no radio track', () => {
  it("keeps the sale on the terminal's subject (with the member), not on whoever queues at the till", () => {
    const periodMs = boutiqueConfig().memberTokens.periodMs;
    const early = atTill('early', T0 + 10_000, T0 + 45_000);
    const saleAt = T0 + 40_000;
    const byId: Observation = {
      v: 1,
      at: saleAt,
      source: 'terminal',
      receiverId: 'pos-1',
      subject: 't_pos-1_1',
      terminal: { kind: 'pos', action: 'purchase', amount: 30, memberId: 'm-17' },
    };
    const byToken: Observation = {
      v: 1,
      at: saleAt + 1_000,
      source: 'terminal',
      receiverId: 'pos-1',
      subject: 't_pos-1_2',
      token: memberToken(KEY, saleAt, periodMs),
      terminal: { kind: 'pos', action: 'purchase', amount: 31 },
    };
    const memberKeys = { v: 1, at: T0, periodMs, members: [{ memberId: 'm-17', key: KEY }] };
    const purchases = runOffline(
      boutiqueConfig(),
      [...early, byId, byToken].sort((a, b) => a.at - b.at),
      { memberKeys, seed: 3 },
    ).filter((e) => e.type === 'purchase');
    expect(purchases.map((e) => [e.amount, e.subject.id, e.subject.memberId])).toEqual([
      [30, 't_pos-1_1', 'm-17'],
      [31, 't_pos-1_2', 'm-17'],
    ]);
  });
});
