import { memberToken, presenceEventSchema, type Observation } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { runOffline } from './offline.js';
import { adverts, boutiqueConfig, twoFloorConfig } from './testing/fixtures.js';

const T0 = 1_700_000_000_000;
const KEY = '00112233445566778899aabbccddeeff';

/** A shopper who walks up, enters, browses, pays at the till (anonymous POS) and leaves. */
function shopperJourney(subject: string): Observation[] {
  return [
    ...adverts(subject, T0, T0 + 5_000, { 'rx-front': -72, 'rx-door': -86 }),
    ...adverts(subject, T0 + 5_000, T0 + 8_000, { 'rx-front': -78, 'rx-door': -60, 'rx-sales': -75 }),
    ...adverts(subject, T0 + 8_000, T0 + 30_000, { 'rx-front': -90, 'rx-door': -76, 'rx-sales': -58, 'rx-till': -80 }),
    ...adverts(subject, T0 + 30_000, T0 + 45_000, { 'rx-door': -82, 'rx-sales': -76, 'rx-till': -55 }),
    {
      v: 1,
      at: T0 + 40_000,
      source: 'terminal',
      receiverId: 'pos-1',
      subject: 't_pos-1_1',
      terminal: { kind: 'pos', action: 'purchase', amount: 59.9, currency: 'EUR' },
    },
    ...adverts(subject, T0 + 45_000, T0 + 48_000, { 'rx-front': -75, 'rx-door': -62, 'rx-sales': -80 }),
    ...adverts(subject, T0 + 48_000, T0 + 52_000, { 'rx-front': -66, 'rx-door': -84 }),
  ];
}

describe('runOffline', () => {
  it('detects approach, arrival, dwell, purchase and exit for a hand-built visit, plus a passer-by', () => {
    const obs = [...shopperJourney('shopper'), ...adverts('passer', T0 + 2_000, T0 + 6_000, { 'rx-front': -78 })];
    const events = runOffline(boutiqueConfig(), obs, { seed: 7 });
    for (const e of events) expect(presenceEventSchema.safeParse(e).success).toBe(true);
    // Dwell updates are left out: whether one falls just before leaving depends on smoothing lag.
    const shopper = events
      .filter((e) => e.subject.id === 'shopper' && e.phase !== 'update')
      .map((e) => `${e.type}${e.phase ? `:${e.phase}` : ''}${e.zoneId ? `(${e.zoneId})` : ''}`);
    expect(shopper).toEqual([
      'approach',
      'arrival',
      'dwell:start(sales)',
      'dwell:end(sales)',
      'purchase(till)',
      'dwell:start(till)',
      'dwell:end(till)',
      'exit',
    ]);
    const byType = Object.fromEntries(events.filter((e) => e.subject.id === 'shopper').map((e) => [`${e.type}${e.phase ?? ''}`, e]));
    // Arrival close to the true crossing at T0+5 s.
    expect(byType['arrival']!.at).toBeGreaterThanOrEqual(T0 + 4_000); // crossing-lag compensation may overshoot an ideal step
    expect(byType['arrival']!.at).toBeLessThanOrEqual(T0 + 7_000);
    // Decided after enterTicks (6 × 250 ms); `at` is also moved back by the 1 s smoothing lag.
    expect(byType['arrival']!.detectedAt! - byType['arrival']!.at).toBeLessThanOrEqual(2_500);
    expect(byType['purchase']).toMatchObject({ at: T0 + 40_000, amount: 59.9, terminalId: 'pos-1' });
    expect(byType['exit']!.at).toBeGreaterThanOrEqual(T0 + 45_000);
    expect(byType['exit']!.at).toBeLessThanOrEqual(T0 + 50_000);
    expect(byType['exit']!.summary).toMatchObject({ purchased: true, floors: [0] });
    expect(new Set(events.filter((e) => e.subject.id === 'shopper').map((e) => e.visitId)).size).toBe(1);
    expect(events.filter((e) => e.subject.id === 'passer').map((e) => e.type)).toEqual(['approach']);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('is deterministic for a seed', () => {
    const obs = shopperJourney('shopper');
    expect(runOffline(boutiqueConfig(), obs, { seed: 3 })).toEqual(runOffline(boutiqueConfig(), [...obs].reverse(), { seed: 3 }));
  });

  it('resolves member tokens and links a member purchase to the member phone', () => {
    const periodMs = 900_000;
    const withToken = shopperJourney('phone-9').map((o) => (o.source === 'ble' ? { ...o, token: memberToken(KEY, o.at, periodMs) } : o));
    const pos = withToken.find((o) => o.source === 'terminal')!;
    pos.subject = 't_pos-1_2';
    pos.terminal = { ...pos.terminal!, memberId: 'm-17' };
    const events = runOffline(boutiqueConfig(), withToken, { memberKeys: { v: 1, at: T0, periodMs, members: [{ memberId: 'm-17', key: KEY }] } });
    const mine = events.filter((e) => e.subject.id === 'phone-9');
    expect(mine.map((e) => e.type)).toContain('purchase');
    expect(mine.every((e) => e.subject.memberId === 'm-17')).toBe(true);
  });

  it('reports a floor change in a two-floor store', () => {
    const s = 'climber';
    const obs = [
      ...adverts(s, T0, T0 + 3_000, { 'rx-front': -70, 'rx-door': -85 }),
      ...adverts(s, T0 + 3_000, T0 + 15_000, { 'rx-door': -62, 'rx-sales': -65, 'rx-up': -90 }),
      ...adverts(s, T0 + 15_000, T0 + 30_000, { 'rx-up': -58, 'rx-sales': -88 }),
    ];
    const events = runOffline(twoFloorConfig(), obs, { drainMs: 20_000 });
    const fc = events.find((e) => e.type === 'floor_change');
    expect(fc).toMatchObject({ fromFloor: 0, toFloor: 1 });
    // The evidence flips at 15 s; `at` adds half an escalator ride (the floor is reached at the top).
    expect(fc!.at).toBeGreaterThanOrEqual(T0 + 20_000);
    expect(fc!.at).toBeLessThanOrEqual(T0 + 28_000);
    expect(events.find((e) => e.type === 'exit')!.summary!.floors).toEqual([0, 1]);
  });

  it('returns nothing for no observations', () => {
    expect(runOffline(boutiqueConfig(), [])).toEqual([]);
  });
});

describe('classifier fallback', () => {
  it('uses the fallback for ticks where the classifier throws, and names it in events', async () => {
    const { Pipeline } = await import('./pipeline.js');
    const { createClassifier } = await import('./classify/create-classifier.js');
    const { silentLogger } = await import('./log.js');
    const config = boutiqueConfig();
    const broken = {
      name: 'broken',
      version: '0',
      classify: () => {
        throw new Error('session lost');
      },
    };
    const p = new Pipeline({ config, classifier: broken, fallback: createClassifier(config, 'rules'), logger: silentLogger() });
    const obs = shopperJourney('s1').sort((a, b) => a.at - b.at);
    const events = [];
    let i = 0;
    for (let now = T0; now < T0 + 60_000; now += 250) {
      while (i < obs.length && obs[i]!.at <= now) p.ingest(obs[i++]!);
      events.push(...p.tick(now));
    }
    expect(events.map((e) => e.type)).toContain('arrival');
    expect(events.every((e) => e.model.name === 'rules')).toBe(true);
    expect(p.stats().classifierErrors).toBeGreaterThan(0);
  });
});

describe('WiFi-only subjects', () => {
  it('are tracked but start no journey', () => {
    const probes: Observation[] = [];
    for (let t = 0; t < 20_000; t += 500) {
      probes.push({ v: 1, at: T0 + t, source: 'wifi', receiverId: 'rx-front', subject: 'w_1', rssiDbm: -50, randomized: true });
      probes.push({ v: 1, at: T0 + t, source: 'meraki', receiverId: 'rx-sales', subject: 'w_2', rssiDbm: -50, randomized: false });
    }
    expect(runOffline(boutiqueConfig(), probes, { drainMs: 20_000 })).toEqual([]);
    const merakiBle = adverts('b_1', T0, T0 + 5_000, { 'rx-front': -60 }).map((o) => ({ ...o, source: 'meraki' as const }));
    expect(runOffline(boutiqueConfig(), merakiBle).map((e) => e.type)).toEqual(['approach']);
  });
});
