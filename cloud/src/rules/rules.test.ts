import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import type { MemberProfile } from '../store/cloud-store.js';
import { localDay } from './local-day.js';
import { DEFAULT_RULES, evaluateRules, localMinuteOfDay, ruleSchema, type Action, type Rule, type RuleContext } from './rules.js';

const label = (a: Action): string => (a.kind === 'staff_alert' ? `staff_alert:${a.message}` : a.kind === 'offer' ? `offer:${a.offerKind}` : `webhook:${a.url}`);

const T0 = Date.UTC(2026, 10, 23, 2, 0, 0); // 10:00 in Shanghai
const MIN = 60_000;
const member: MemberProfile = { memberId: 'M1', name: 'Li Na', tier: 'platinum', tags: ['handbags'], consent: true, marketingConsent: true, updatedAt: 0 };
const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({
  now: T0 + 1000,
  day: '2026-11-23',
  storeId: 'boutique',
  storeName: 'Boutique',
  lastAlertEventAt: undefined,
  offersToday: [],
  ...over,
});

type Row = {
  name: string;
  type: 'approach' | 'arrival' | 'dwell' | 'exit' | 'purchase';
  member?: MemberProfile | undefined;
  ctx?: Partial<RuleContext>;
  expect: string[];
};

const table: Row[] = [
  { name: 'member approach -> alert "near"', type: 'approach', member, expect: ['staff_alert:Li Na (platinum) is near Boutique'] },
  {
    name: 'first arrival of the day -> "now inside" alert and welcome offer',
    type: 'arrival',
    member,
    expect: ['staff_alert:Li Na (platinum) is now inside Boutique', 'offer:welcome'],
  },
  {
    name: 'arrival after an arrival alert 5 min ago -> cooldown, offer already issued',
    type: 'arrival',
    member,
    ctx: { lastAlertEventAt: T0 - 5 * MIN, offersToday: ['welcome'] },
    expect: [],
  },
  {
    name: 'arrival 11 min after the last arrival alert -> alert again, no second offer',
    type: 'arrival',
    member,
    ctx: { lastAlertEventAt: T0 - 11 * MIN, offersToday: ['welcome'] },
    expect: ['staff_alert:Li Na (platinum) is now inside Boutique'],
  },
  { name: 'approach within cooldown -> nothing', type: 'approach', member, ctx: { lastAlertEventAt: T0 - 9 * MIN }, expect: [] },
  {
    name: 'exactly at the cooldown boundary -> alert',
    type: 'approach',
    member,
    ctx: { lastAlertEventAt: T0 - 10 * MIN },
    expect: ['staff_alert:Li Na (platinum) is near Boutique'],
  },
  { name: 'out-of-order older event inside the window -> nothing', type: 'approach', member, ctx: { lastAlertEventAt: T0 + 2 * MIN }, expect: [] },
  { name: 'non-member -> nothing', type: 'arrival', member: undefined, expect: [] },
  { name: 'member without consent -> nothing', type: 'arrival', member: { ...member, consent: false }, expect: [] },
  { name: 'dwell, purchase, exit -> no built-in action', type: 'dwell', member, expect: [] },
  { name: 'purchase -> nothing', type: 'purchase', member, expect: [] },
  { name: 'exit -> nothing', type: 'exit', member, expect: [] },
];

describe('evaluateRules (built-in rule set)', () => {
  it.each(table)('$name', (row) => {
    const event = makeEvent({
      type: row.type,
      at: T0,
      subject: { id: 's1', memberId: 'M1', signals: ['ble'] },
      ...(row.type === 'dwell' ? { phase: 'start' } : {}),
    });
    const actions = evaluateRules(event, row.member, ctx(row.ctx));
    expect(actions.map(label)).toEqual(row.expect);
  });

  it('an offer carries the site day, the store and a 4 h validity from the issue time', () => {
    const event = makeEvent({ type: 'arrival', at: T0, subject: { id: 's1', memberId: 'M1', signals: ['ble'] } });
    const offer = evaluateRules(event, member, ctx()).find((a) => a.kind === 'offer');
    expect(offer).toMatchObject({
      day: '2026-11-23',
      storeId: 'boutique',
      issuedAt: T0 + 1000,
      expiresAt: T0 + 1000 + 4 * 60 * MIN,
      memberId: 'M1',
      title: 'welcome',
    });
  });
});

describe('localDay', () => {
  it.each([
    [Date.UTC(2026, 10, 22, 15, 59), 'Asia/Shanghai', '2026-11-22'],
    [Date.UTC(2026, 10, 22, 16, 0), 'Asia/Shanghai', '2026-11-23'],
    [Date.UTC(2026, 10, 22, 16, 0), 'UTC', '2026-11-22'],
    [Date.UTC(2026, 10, 22, 16, 0), 'Not/AZone', '2026-11-22'],
  ])('%i in %s is %s', (at, tz, day) => {
    expect(localDay(at, tz)).toBe(day);
  });
});

describe('declarative rules', () => {
  const base: Rule = {
    id: 'r1',
    name: 'test',
    enabled: true,
    eventTypes: ['arrival'],
    audience: 'member',
    cooldownMs: 0,
    actions: [{ kind: 'staff_alert', message: '{name} at {store} ({tier})' }],
  };
  const attract: Rule = {
    ...base,
    id: 'attract',
    audience: 'prospect',
    eventTypes: ['approach'],
    actions: [{ kind: 'offer', offerKind: 'attract', validForMs: 30 * MIN }],
  };
  const gold = { ...member, tier: 'gold', tags: ['shoes'] };
  // T0 = 02:00 UTC = 10:00 in Shanghai.
  type DRow = {
    name: string;
    rule: Rule;
    type?: Row['type'];
    member?: MemberProfile | undefined;
    event?: Record<string, unknown>;
    ctx?: Partial<RuleContext>;
    expect: string[];
  };
  const rows: DRow[] = [
    { name: 'template renders name, store and tier', rule: base, expect: ['staff_alert:Li Na at Boutique (platinum)'] },
    { name: 'disabled rule -> nothing', rule: { ...base, enabled: false }, expect: [] },
    { name: 'tier filter matches', rule: { ...base, memberTiers: ['platinum'] }, expect: ['staff_alert:Li Na at Boutique (platinum)'] },
    { name: 'tier filter excludes', rule: { ...base, memberTiers: ['gold'] }, expect: [] },
    { name: 'tag filter: any one tag matches', rule: { ...base, memberTags: ['shoes', 'handbags'] }, expect: ['staff_alert:Li Na at Boutique (platinum)'] },
    { name: 'tag filter excludes', rule: { ...base, memberTags: ['shoes'] }, expect: [] },
    {
      name: 'tier + tag both needed',
      rule: { ...base, memberTiers: ['gold'], memberTags: ['shoes'] },
      member: gold,
      expect: ['staff_alert:Li Na at Boutique (gold)'],
    },
    { name: 'prospect gets an attract offer', rule: attract, type: 'approach', member: undefined, expect: ['offer:attract'] },
    { name: 'member does not get a prospect-only offer', rule: attract, type: 'approach', expect: [] },
    {
      name: 'audience any reaches a prospect, but alerts need a member',
      rule: { ...base, audience: 'any', actions: [{ kind: 'staff_alert' }, { kind: 'offer', offerKind: 'o', validForMs: 1 }] },
      member: undefined,
      expect: ['offer:o'],
    },
    { name: 'member-only rule ignores a prospect', rule: base, member: undefined, expect: [] },
    {
      name: 'time window in site tz: 10:00 Shanghai inside 09:00-12:00',
      rule: { ...base, timeOfDay: { from: '09:00', to: '12:00' } },
      ctx: { timeZone: 'Asia/Shanghai' },
      expect: ['staff_alert:Li Na at Boutique (platinum)'],
    },
    { name: 'same window read in UTC (02:00) -> outside', rule: { ...base, timeOfDay: { from: '09:00', to: '12:00' } }, ctx: { timeZone: 'UTC' }, expect: [] },
    { name: 'window end is exclusive', rule: { ...base, timeOfDay: { from: '08:00', to: '10:00' } }, ctx: { timeZone: 'Asia/Shanghai' }, expect: [] },
    {
      name: 'window wrapping midnight 22:00-03:00 includes 02:00 UTC',
      rule: { ...base, timeOfDay: { from: '22:00', to: '03:00' } },
      ctx: { timeZone: 'UTC' },
      expect: ['staff_alert:Li Na at Boutique (platinum)'],
    },
    {
      name: 'window wrapping midnight excludes 10:00 Shanghai',
      rule: { ...base, timeOfDay: { from: '22:00', to: '03:00' } },
      ctx: { timeZone: 'Asia/Shanghai' },
      expect: [],
    },
    {
      name: 'dwell below threshold -> nothing',
      rule: { ...base, eventTypes: ['dwell'], minDwellMs: 60_000 },
      type: 'dwell',
      event: { dwellMs: 59_999, zoneId: 'z1' },
      expect: [],
    },
    {
      name: 'dwell at threshold -> alert with zone',
      rule: { ...base, eventTypes: ['dwell'], minDwellMs: 60_000, zoneIds: ['z1'], actions: [{ kind: 'staff_alert', message: '{name} in {zone}' }] },
      type: 'dwell',
      event: { dwellMs: 60_000, zoneId: 'z1' },
      expect: ['staff_alert:Li Na in z1'],
    },
    {
      name: 'zone filter excludes another zone',
      rule: { ...base, eventTypes: ['dwell'], zoneIds: ['z1'] },
      type: 'dwell',
      event: { dwellMs: 60_000, zoneId: 'z2' },
      expect: [],
    },
    { name: 'store filter excludes', rule: { ...base, storeIds: ['other'] }, expect: [] },
    { name: 'site filter excludes', rule: { ...base, siteIds: ['elsewhere'] }, expect: [] },
    { name: 'rule cooldown suppresses alert', rule: { ...base, cooldownMs: 5 * MIN }, ctx: { lastAlertEventAt: T0 - 4 * MIN }, expect: [] },
    {
      name: 'rule cooldown elapsed',
      rule: { ...base, cooldownMs: 5 * MIN },
      ctx: { lastAlertEventAt: T0 - 5 * MIN },
      expect: ['staff_alert:Li Na at Boutique (platinum)'],
    },
    {
      name: 'per-member cap reached',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, perMemberCapPerDay: 2 }] },
      ctx: { memberOfferCountsToday: { o: 2 } },
      expect: [],
    },
    {
      name: 'per-member cap not reached',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, perMemberCapPerDay: 2 }] },
      ctx: { memberOfferCountsToday: { o: 1 } },
      expect: ['offer:o'],
    },
    {
      name: 'store budget spent',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, dailyBudgetPerStore: 50 }] },
      ctx: { storeOfferCountsToday: { o: 50 } },
      expect: [],
    },
    {
      name: 'store budget left',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, dailyBudgetPerStore: 50 }] },
      ctx: { storeOfferCountsToday: { o: 49 } },
      expect: ['offer:o'],
    },
    {
      name: 'webhook action',
      rule: { ...base, actions: [{ kind: 'webhook', url: 'https://example.test/hook' }] },
      expect: ['webhook:https://example.test/hook'],
    },
    // Offers: consent, caps above one, budgets, cooldowns, prospects (issue 6).
    {
      name: 'offer needs marketing consent on top of presence consent',
      rule: { ...base, actions: [{ kind: 'staff_alert' }, { kind: 'offer', offerKind: 'o', validForMs: 1 }] },
      member: { ...member, marketingConsent: false },
      expect: ['staff_alert:Li Na (platinum) at Boutique'],
    },
    {
      name: 'hand-built profile without a marketing flag gets no offer',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1 }] },
      member: { ...member, marketingConsent: undefined },
      expect: [],
    },
    {
      name: 'cap 3: third offer of the day still issued',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, perMemberCapPerDay: 3 }] },
      ctx: { memberOfferCountsToday: { o: 2 } },
      expect: ['offer:o'],
    },
    {
      name: 'cap 3: fourth refused',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, perMemberCapPerDay: 3 }] },
      ctx: { memberOfferCountsToday: { o: 3 } },
      expect: [],
    },
    {
      name: 'caps count per kind',
      rule: {
        ...base,
        actions: [
          { kind: 'offer', offerKind: 'a', validForMs: 1, perMemberCapPerDay: 1 },
          { kind: 'offer', offerKind: 'b', validForMs: 1, perMemberCapPerDay: 1 },
        ],
      },
      ctx: { memberOfferCountsToday: { a: 1, b: 0 } },
      expect: ['offer:b'],
    },
    {
      name: 'no cap: any number of offers',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1 }] },
      ctx: { memberOfferCountsToday: { o: 40 } },
      expect: ['offer:o'],
    },
    {
      name: 'budget 0 issues nothing',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, dailyBudgetPerStore: 0 }] },
      ctx: { storeOfferCountsToday: { o: 0 } },
      expect: [],
    },
    {
      name: 'budget counts per kind',
      rule: { ...base, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, dailyBudgetPerStore: 5 }] },
      ctx: { storeOfferCountsToday: { other: 9, o: 4 } },
      expect: ['offer:o'],
    },
    {
      name: 'offer cooldown: last offer 5 min ago, cooldown 10 min -> none',
      rule: { ...base, cooldownMs: 10 * MIN, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, perMemberCapPerDay: 5 }] },
      ctx: { lastOfferAt: { o: T0 + 1000 - 5 * MIN } },
      expect: [],
    },
    {
      name: 'offer cooldown elapsed -> offer',
      rule: { ...base, cooldownMs: 10 * MIN, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1, perMemberCapPerDay: 5 }] },
      ctx: { lastOfferAt: { o: T0 + 1000 - 10 * MIN } },
      expect: ['offer:o'],
    },
    {
      name: 'cooldown of another kind does not apply',
      rule: { ...base, cooldownMs: 10 * MIN, actions: [{ kind: 'offer', offerKind: 'o', validForMs: 1 }] },
      ctx: { lastOfferAt: { other: T0 } },
      expect: ['offer:o'],
    },
    {
      name: 'alert cooldown does not hold back the offer of the same rule',
      rule: { ...base, cooldownMs: 10 * MIN, actions: [{ kind: 'staff_alert' }, { kind: 'offer', offerKind: 'o', validForMs: 1 }] },
      ctx: { lastAlertEventAt: T0 - MIN },
      expect: ['offer:o'],
    },
    {
      name: 'prospect cap counts by subject: reached',
      rule: { ...attract, actions: [{ kind: 'offer', offerKind: 'attract', validForMs: 1, perMemberCapPerDay: 1 }] },
      type: 'approach',
      member: undefined,
      ctx: { memberOfferCountsToday: { attract: 1 } },
      expect: [],
    },
    {
      name: 'prospect within budget and cap',
      rule: { ...attract, actions: [{ kind: 'offer', offerKind: 'attract', validForMs: 1, perMemberCapPerDay: 1, dailyBudgetPerStore: 100 }] },
      type: 'approach',
      member: undefined,
      ctx: { memberOfferCountsToday: { attract: 0 }, storeOfferCountsToday: { attract: 99 } },
      expect: ['offer:attract'],
    },
    {
      name: 'prospect: store budget spent',
      rule: { ...attract, actions: [{ kind: 'offer', offerKind: 'attract', validForMs: 1, dailyBudgetPerStore: 100 }] },
      type: 'approach',
      member: undefined,
      ctx: { storeOfferCountsToday: { attract: 100 } },
      expect: [],
    },
    {
      name: 'prospect time window (site tz) excludes an evening-only attract offer',
      rule: { ...attract, timeOfDay: { from: '18:00', to: '22:00' } },
      type: 'approach',
      member: undefined,
      ctx: { timeZone: 'Asia/Shanghai' },
      expect: [],
    },
  ];
  it.each(rows)('$name', (row) => {
    const type = row.type ?? 'arrival';
    const m = 'member' in row ? row.member : member;
    const subject = m ? { id: 's1', memberId: m.memberId, signals: ['ble' as const] } : { id: 's9', signals: ['ble' as const] };
    const event = makeEvent({ type, at: T0, subject, ...(type === 'dwell' ? { phase: 'end' } : {}), ...row.event });
    expect(ruleSchema.safeParse(row.rule).success).toBe(true);
    expect(evaluateRules(event, m, ctx(row.ctx), [row.rule]).map(label)).toEqual(row.expect);
  });

  it('a prospect offer names the subject, not a member; an offer title defaults to its kind', () => {
    const event = makeEvent({ type: 'approach', at: T0, subject: { id: 'anon-7', signals: ['ble'] } });
    const [a] = evaluateRules(event, undefined, ctx(), [
      { ...attract, actions: [{ kind: 'offer', offerKind: 'attract', title: 'Free coffee inside', validForMs: MIN }] },
    ]);
    expect(a).toMatchObject({ kind: 'offer', memberId: undefined, subjectId: 'anon-7', title: 'Free coffee inside' });
  });

  it('webhook URLs must be https or loopback http, without credentials', () => {
    const hook = (url: string) => ruleSchema.safeParse({ ...base, actions: [{ kind: 'webhook', url }] }).success;
    expect([
      hook('https://hooks.example.com/x'),
      hook('http://127.0.0.1:9000/x'),
      hook('http://hooks.example.com/x'),
      hook('https://u:p@hooks.example.com/'),
      hook('file:///etc/passwd'),
    ]).toEqual([true, true, false, false, false]);
  });

  it('the built-in rules are valid rule data', () => {
    for (const r of DEFAULT_RULES) expect(ruleSchema.parse(r)).toEqual(r);
  });

  it('localMinuteOfDay reads the site time zone', () => {
    expect(localMinuteOfDay(T0, 'Asia/Shanghai')).toBe(600);
    expect(localMinuteOfDay(T0, 'UTC')).toBe(120);
  });
});
