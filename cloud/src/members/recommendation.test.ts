import { describe, expect, it } from 'vitest';
import type { PresenceEvent } from '@storesense/protocol';
import { makeEvent } from '../testing/fixtures.js';
import { recommend, tagMatchesZone, words, type CatalogueZone, type RecommendationInput } from './recommendation.js';

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

describe('tagMatchesZone: whole words and characters, any script', () => {
  // [tag, zone name, matches]
  const table: [string, string, boolean][] = [
    ['menswear', 'Womenswear', false],
    ['womenswear', 'Menswear', false],
    ['menswear', 'Menswear', true],
    ['mens-shoes', "Men's shoes", true],
    ['womens-shoes', "Men's shoes", false],
    ['silk-scarves', 'Silk scarves', true],
    ['silk-scarf', 'Silk Scarves', false], // "scarf" and "scarves": the plural rule is not a dictionary
    ['handbag', 'Handbags', true],
    ['leather-handbags', 'Handbags', true],
    ['bag', 'Handbags', false],
    ['hand', 'Handbags', false],
    ['shoes', 'Running shoes', true],
    ['running', 'Running shoes', true],
    ['shoes-running', 'Running shoes', false],
    ['watches', 'Stopwatches', false],
    ['ｓｉｌｋ', 'Silk scarves', true], // full-width Latin (NFKC)
    ['丝巾', '丝巾', true],
    ['丝巾', '丝巾专柜', true],
    ['丝巾', '真丝丝巾 Silk scarves', true],
    ['silk-scarves', '真丝丝巾 Silk scarves', true],
    ['女装', '男装', false],
    ['男装', '女装部', false],
    ['男装', '男装区', true],
    ['女装', '男女装', true],
    ['手袋', '皮具手袋', true],
    ['皮具手袋', '手袋', true],
    ['手表', '手袋', false],
    ['丝巾', 'Silk scarves', false], // no translation: a tag matches the words it has
    ['écharpes', 'Écharpes en soie', true],
    ['e\u0301charpes', 'Écharpes', true], // decomposed é
    ['', 'Handbags', false],
  ];
  it.each(table)('%s ~ %s: %s', (tag, zone, expected) => expect(tagMatchesZone(tag, zone)).toBe(expected));

  it('tokenises Latin words and Chinese characters', () => {
    expect(words("Men's Silk-Scarves 丝巾专柜")).toEqual(['men', 'silk', 'scarve', '丝', '巾', '专', '柜']);
  });
});

describe('recommend in Chinese and English catalogues', () => {
  const zh: CatalogueZone[] = [
    { id: 'd-men', name: 'Menswear', kind: 'sales', storeId: 'dept' },
    { id: 'd-women', name: 'Womenswear', kind: 'sales', storeId: 'dept' },
    { id: 'd-scarves', name: '丝巾专柜', kind: 'sales', storeId: 'dept' },
    { id: 'd-zh-women', name: '女装', kind: 'sales', storeId: 'dept' },
    { id: 'd-zh-men', name: '男装区', kind: 'window', storeId: 'dept' },
  ];
  const at = (tags: string[]) => recommend({ member: { name: '王芳', tier: 'basic', tags }, events: [], catalogue: zh, storeId: 'dept', now: NOW });
  const table: [string[], string[], string][] = [
    [['menswear'], ['Show Menswear'], 'likes menswear'],
    [['womenswear'], ['Show Womenswear'], 'likes womenswear'],
    [['丝巾'], ['Show 丝巾专柜'], 'likes 丝巾'],
    [['男装'], ['Show 男装区'], 'likes 男装'],
    [['女装', 'menswear'], ['Show 女装', 'Show Menswear'], 'likes 女装, menswear'],
    [['手表'], [], 'likes 手表'],
  ];
  it.each(table)('tags %j -> %j', (tags, labels, headline) => {
    const r = at(tags);
    expect(r.items.map((i) => i.label)).toEqual(labels);
    expect(r.headline).toBe(headline);
  });

  it('a member tagged menswear is never shown womenswear, whatever else is on record', () => {
    const r = recommend({
      member: { name: 'Zhang Wei', tier: 'gold', tags: ['menswear', 'mens-shoes'] },
      events: [],
      catalogue: zh,
      storeId: 'dept',
      now: NOW,
    });
    expect(JSON.stringify(r)).not.toMatch(/womenswear|女装/i);
  });
});
