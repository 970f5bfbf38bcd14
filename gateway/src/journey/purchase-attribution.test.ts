import { describe, expect, it } from 'vitest';
import type { Observation } from '@storesense/protocol';
import { siteContext } from '../classify/site-context.js';
import { ble, boutiqueConfig } from '../testing/fixtures.js';
import { Tracker } from '../tracking/tracker.js';
import { attributePurchase, type SubjectPlace } from './purchase-attribution.js';

const ctx = siteContext(boutiqueConfig());
const sale = (over: Partial<Observation> = {}): Observation => ({
  v: 1,
  at: 100_000,
  source: 'terminal',
  receiverId: 'pos-1',
  subject: 't_pos-1_1',
  terminal: { kind: 'pos', action: 'purchase' },
  ...over,
});

function setup(places: Record<string, SubjectPlace>) {
  const tracker = new Tracker();
  tracker.observe(ble(99_000, 'rx-till', 'early', -70));
  tracker.observe(ble(99_000, 'rx-till', 'late', -60), 'm-9');
  tracker.observe(ble(99_000, 'rx-sales', 'browser', -55));
  return { tracker, placeOf: (id: string) => places[id] };
}

describe('attributePurchase', () => {
  const inTill = (since: number, purchased = false): SubjectPlace => ({ inside: true, zoneId: 'till', zoneEnteredAt: since, purchased });

  it('gives an anonymous sale to who has queued longest in the terminal zone, not the strongest', () => {
    const { tracker, placeOf } = setup({
      early: inTill(60_000),
      late: inTill(90_000),
      browser: { inside: true, zoneId: 'sales', zoneEnteredAt: 0, purchased: false },
    });
    expect(attributePurchase(sale(), tracker, ctx, placeOf)).toMatchObject({ subject: 'early', how: 'checkout_queue' });
  });

  it('skips someone in the queue who already paid this visit', () => {
    const { tracker, placeOf } = setup({ early: inTill(60_000, true), late: inTill(90_000) });
    expect(attributePurchase(sale(), tracker, ctx, placeOf).subject).toBe('late');
  });

  it('links a member sale to the member phone, and a named radio subject directly', () => {
    const { tracker, placeOf } = setup({});
    expect(attributePurchase(sale({ terminal: { kind: 'pos', action: 'purchase', memberId: 'm-9' } }), tracker, ctx, placeOf)).toMatchObject({
      subject: 'late',
      how: 'member',
      confidence: 1,
    });
    expect(attributePurchase(sale({ subject: 'browser' }), tracker, ctx, placeOf)).toMatchObject({ subject: 'browser', how: 'terminal_subject' });
  });

  it('falls back to checkout proximity, then to the terminal subject', () => {
    const { tracker, placeOf } = setup({
      early: { inside: true, zoneId: 'sales', zoneEnteredAt: 0, purchased: false },
      late: { inside: true, zoneId: 'sales', zoneEnteredAt: 0, purchased: false },
    });
    expect(attributePurchase(sale(), tracker, ctx, placeOf)).toMatchObject({ subject: 'late', how: 'checkout_proximity' });
    expect(attributePurchase(sale(), tracker, ctx, () => undefined)).toMatchObject({ subject: 't_pos-1_1', how: 'terminal_only' });
  });
});
