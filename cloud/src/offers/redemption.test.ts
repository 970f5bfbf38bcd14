import { describe, expect, it } from 'vitest';
import type { Offer } from '../store/cloud-store.js';
import { pickRedemption } from './redemption.js';

const offer = (id: string, over: Partial<Offer> = {}): Offer => ({
  id,
  kind: 'welcome',
  memberId: 'M1',
  siteId: 's',
  storeId: 'boutique',
  day: 'd',
  issuedAt: 100,
  expiresAt: 200,
  status: 'issued',
  eventId: `e-${id}`,
  ...over,
});

describe('pickRedemption', () => {
  it.each<[string, Offer[], { at: number; storeId: string | undefined }, string | undefined]>([
    ['purchase at the offer’s store inside the window', [offer('a')], { at: 150, storeId: 'boutique' }, 'a'],
    ['at issue time counts', [offer('a')], { at: 100, storeId: 'boutique' }, 'a'],
    ['at expiry is too late', [offer('a')], { at: 200, storeId: 'boutique' }, undefined],
    ['before issue does not count', [offer('a')], { at: 99, storeId: 'boutique' }, undefined],
    ['another store does not redeem', [offer('a')], { at: 150, storeId: 'annex' }, undefined],
    ['unknown purchase store redeems only site-wide offers', [offer('a'), offer('b', { storeId: undefined })], { at: 150, storeId: undefined }, 'b'],
    ['site-wide offer redeemed at any store', [offer('a', { storeId: undefined })], { at: 150, storeId: 'annex' }, 'a'],
    ['soonest expiry first', [offer('a', { expiresAt: 300 }), offer('b', { expiresAt: 250 })], { at: 150, storeId: 'boutique' }, 'b'],
    [
      'delivered and failed (push) offers are still open',
      [offer('a', { status: 'failed' }), offer('b', { status: 'delivered', expiresAt: 300 })],
      { at: 150, storeId: 'boutique' },
      'a',
    ],
    [
      'redeemed and expired offers are not',
      [offer('a', { status: 'redeemed' }), offer('b', { status: 'expired' })],
      { at: 150, storeId: 'boutique' },
      undefined,
    ],
  ])('%s', (_name, open, purchase, expected) => {
    expect(pickRedemption(open, purchase)?.id).toBe(expected);
  });
});
