import { describe, expect, it } from 'vitest';
import { makeEvent } from '../testing/fixtures.js';
import type { MemberProfile } from '../store/cloud-store.js';
import { localDay } from './local-day.js';
import { evaluateRules, type RuleContext } from './rules.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0, 0); // 10:00 in Shanghai
const MIN = 60_000;
const member: MemberProfile = { memberId: 'M1', name: 'Li Na', tier: 'platinum', tags: ['handbags'], consent: true, updatedAt: 0 };
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
  { name: 'arrival after an arrival alert 5 min ago -> cooldown, offer already issued', type: 'arrival', member,
    ctx: { lastAlertEventAt: T0 - 5 * MIN, offersToday: ['welcome'] }, expect: [] },
  { name: 'arrival 11 min after the last arrival alert -> alert again, no second offer', type: 'arrival', member,
    ctx: { lastAlertEventAt: T0 - 11 * MIN, offersToday: ['welcome'] }, expect: ['staff_alert:Li Na (platinum) is now inside Boutique'] },
  { name: 'approach within cooldown -> nothing', type: 'approach', member, ctx: { lastAlertEventAt: T0 - 9 * MIN }, expect: [] },
  { name: 'exactly at the cooldown boundary -> alert', type: 'approach', member, ctx: { lastAlertEventAt: T0 - 10 * MIN },
    expect: ['staff_alert:Li Na (platinum) is near Boutique'] },
  { name: 'out-of-order older event inside the window -> nothing', type: 'approach', member, ctx: { lastAlertEventAt: T0 + 2 * MIN }, expect: [] },
  { name: 'non-member -> nothing', type: 'arrival', member: undefined, expect: [] },
  { name: 'member without consent -> nothing', type: 'arrival', member: { ...member, consent: false }, expect: [] },
  { name: 'dwell, purchase, exit -> no built-in action', type: 'dwell', member, expect: [] },
  { name: 'purchase -> nothing', type: 'purchase', member, expect: [] },
  { name: 'exit -> nothing', type: 'exit', member, expect: [] },
];

describe('evaluateRules (built-in rule set)', () => {
  it.each(table)('$name', (row) => {
    const event = makeEvent({ type: row.type, at: T0, subject: { id: 's1', memberId: 'M1', signals: ['ble'] }, ...(row.type === 'dwell' ? { phase: 'start' } : {}) });
    const actions = evaluateRules(event, row.member, ctx(row.ctx));
    expect(actions.map((a) => (a.kind === 'staff_alert' ? `staff_alert:${a.message}` : `offer:${a.offerKind}`))).toEqual(row.expect);
  });

  it('an offer carries the site day, the store and a 4 h validity from the issue time', () => {
    const event = makeEvent({ type: 'arrival', at: T0, subject: { id: 's1', memberId: 'M1', signals: ['ble'] } });
    const offer = evaluateRules(event, member, ctx()).find((a) => a.kind === 'offer');
    expect(offer).toMatchObject({ day: '2026-11-23', storeId: 'boutique', issuedAt: T0 + 1000, expiresAt: T0 + 1000 + 4 * 60 * MIN, memberId: 'M1' });
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
