import { describe, expect, it } from 'vitest';
import type { PresenceEvent } from '@storesense/protocol';
import { makeEvent } from '../testing/fixtures.js';
import { recommend, type CatalogueZone, type RecommendationInput } from './recommendation.js';

const NOW = Date.UTC(2026, 10, 23, 10);
const DAY = 86_400_000;
const MIN = 60_000;
const CATALOGUE: CatalogueZone[] = [
  { id: 'b-entrance', name: 'Entrance', kind: 'entrance', storeId: 'boutique' },
  { id: 'b-scarves', name: 'Silk scarves', kind: 'sales', storeId: 'boutique' },
  { id: 'b-handbags', name: 'Handbags', kind: 'sales', storeId: 'boutique' },
  { id: 'b-jewellery', name: 'Jewellery counter', kind: 'sales', storeId: 'boutique' },
  { id: 'b-fitting', name: 'Fitting room', kind: 'fitting', storeId: 'boutique' },
  { id: 'b-checkout', name: 'Checkout', kind: 'checkout', storeId: 'boutique' },
  { id: 's-shoes', name: 'Running shoes', kind: 'sales', storeId: 'sports' },
];

const subject = { id: 's1', memberId: 'M1', signals: ['ble' as const] };
const dwell = (visitId: string, zoneId: string, dwellMs: number, at = NOW - 12 * DAY): PresenceEvent =>
  makeEvent({ type: 'dwell', phase: 'end', visitId, zoneId, dwellMs, at, subject, storeId: 'boutique' });
const buy = (visitId: string, at: number, amount = 4200, zoneId = 'b-checkout'): PresenceEvent =>
  makeEvent({ type: 'purchase', visitId, at, amount, currency: 'CNY', zoneId, subject, storeId: 'boutique', signals: ['terminal'] } as never);

const liNa = { name: 'Li Na', tier: 'gold', tags: ['silk-scarves'] };

type Row = { name: string; input: Partial<RecommendationInput>; headline: string; labels: string[]; reasons?: string[] };
const rows: Row[] = [
  {
    name: 'the issue’s example: likes silk scarves, bought a handbag 12 days ago, gold tier',
    input: { member: liNa, events: [dwell('v1', 'b-handbags', 9 * MIN), dwell('v1', 'b-scarves', 1 * MIN), buy('v1', NOW - 12 * DAY)] },
    headline: 'likes silk scarves; last bought handbags 12 days ago; gold tier: offer a private fitting',
    labels: ['Show Silk scarves', 'Follow up on the handbags', 'Offer a private fitting (Fitting room)'],
    reasons: ['likes silk scarves', 'bought after browsing Handbags 12 days ago (4200 CNY)', 'gold tier'],
  },
  {
    name: 'nothing on record -> greet',
    input: { member: { name: 'Bo', tier: 'basic', tags: [] }, events: [] },
    headline: 'first visit on record: greet and offer help',
    labels: [],
  },
  {
    name: 'visits but no purchase or tags -> browsing lead, no premium perk for basic tier',
    input: { member: { name: 'Bo', tier: 'basic', tags: [] }, events: [dwell('v1', 'b-jewellery', 5 * MIN), dwell('v2', 'b-jewellery', 4 * MIN)] },
    headline: 'no purchases or interests on record yet: greet and offer help',
    labels: ['Show Jewellery counter'],
    reasons: ['browsed it 9 min on past visits (not in their tags)'],
  },
  {
    name: 'dwell updates of one visit count once (the running total), short passes are ignored',
    input: {
      member: { name: 'Bo', tier: 'basic', tags: [] },
      events: [dwell('v1', 'b-jewellery', 1 * MIN), dwell('v1', 'b-jewellery', 3 * MIN), dwell('v1', 'b-handbags', 1 * MIN)],
    },
    headline: 'no purchases or interests on record yet: greet and offer help',
    labels: ['Show Jewellery counter'],
    reasons: ['browsed it 3 min on past visits (not in their tags)'],
  },
  {
    name: 'a tag the store cannot show is still named in the headline, without an item',
    input: { member: { name: 'Zhang Wei', tier: 'silver', tags: ['sportswear'] }, events: [] },
    headline: 'likes sportswear',
    labels: [],
  },
  {
    name: 'tags match zones of this store only; plural/singular forms match',
    input: { member: { name: 'Li', tier: 'basic', tags: ['handbag', 'running-shoes'] }, storeId: 'boutique', events: [] },
    headline: 'likes handbag, running shoes',
    labels: ['Show Handbags'],
  },
  {
    name: 'tagged zone with past browsing says how long',
    input: { member: { name: 'Li', tier: 'basic', tags: ['jewellery'] }, events: [dwell('v1', 'b-jewellery', 6 * MIN)] },
    headline: 'likes jewellery',
    labels: ['Show Jewellery counter'],
    reasons: ['likes jewellery; spent 6 min there on past visits'],
  },
  {
    name: 'purchase without browsing in the visit -> unnamed purchase; platinum without a fitting room -> priority service',
    input: { member: { name: 'Li', tier: 'platinum', tags: [] }, storeId: 'sports', events: [buy('v9', NOW - DAY, 80)] },
    headline: 'last purchase yesterday; platinum tier: offer priority service',
    labels: ['Ask about the last purchase', 'Offer priority service'],
    reasons: ['purchase yesterday (80 CNY); 1 purchase on record', 'platinum tier'],
  },
  {
    name: 'the latest of several purchases counts; today',
    input: {
      member: { name: 'Li', tier: 'basic', tags: [] },
      events: [buy('v1', NOW - 30 * DAY), dwell('v2', 'b-scarves', 5 * MIN, NOW - 3600_000), buy('v2', NOW - 3600_000, 900)],
    },
    headline: 'last bought silk scarves today',
    labels: ['Follow up on the silk scarves'],
  },
  {
    name: 'preferences are passed on verbatim, sorted by key',
    input: { member: { name: 'Li', tier: 'basic', tags: [], preferences: { size: 'M', colour: 'navy' } }, events: [] },
    headline: 'first visit on record: greet and offer help',
    labels: ['Mind their preferences'],
    reasons: ['colour: navy · size: M'],
  },
];

describe('recommend (pure)', () => {
  it.each(rows)('$name', (row) => {
    const r = recommend({ member: liNa, events: [], catalogue: CATALOGUE, storeId: 'boutique', now: NOW, ...row.input });
    expect(r.headline).toBe(row.headline);
    expect(r.items.map((i) => i.label)).toEqual(row.labels);
    if (row.reasons) expect(r.items.map((i) => i.reason)).toEqual(row.reasons);
  });

  it('is deterministic and bounded', () => {
    const events = Array.from({ length: 40 }, (_, i) => dwell(`v${i}`, i % 2 ? 'b-handbags' : 'b-jewellery', 3 * MIN));
    const input = {
      member: { name: 'X', tier: 'gold', tags: ['silk-scarves', 'handbags', 'jewellery'], preferences: { size: 'S' } },
      events,
      catalogue: CATALOGUE,
      storeId: 'boutique',
      now: NOW,
    };
    const a = recommend(input);
    expect(recommend({ ...input, events: [...events].reverse() })).toEqual(a);
    expect(a.items.length).toBeLessThanOrEqual(5);
    expect(a.headline.length).toBeLessThanOrEqual(300);
  });
});
