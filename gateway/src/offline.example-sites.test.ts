import { describe, expect, it } from 'vitest';
import { exampleSitePath, loadSiteFile, renderGatewayConfig } from '@storesense/firmware-config';
import { runOffline } from './offline.js';
import type { Observation } from '@storesense/protocol';
import { radioWalk } from './testing/radio-walk.js';

const T0 = 1_700_000_000_000;

describe('runOffline on the dept-store example site with a simple radio model', () => {
  const site = loadSiteFile(exampleSitePath('dept-store'));
  if (!site.ok) throw new Error(site.error);
  const config = renderGatewayConfig(site.value, 'gw-dept-1');

  it('a shopper: approach, arrival, dwell in cosmetics, floor change up and down, exit', () => {
    const obs = radioWalk(config, 'shopper', T0, [
      { t: 0, floor: 0, x: -5, y: -5 },
      { t: 12_000, floor: 0, x: 24, y: -3 }, // storefront
      { t: 15_000, floor: 0, x: 24, y: 1 }, // crossing the door at ~14 s
      { t: 25_000, floor: 0, x: 9, y: 8 }, // cosmetics
      { t: 75_000, floor: 0, x: 9, y: 8 },
      { t: 90_000, floor: 0, x: 24, y: 26 }, // escalator
      { t: 100_000, floor: 1, x: 24, y: 26 },
      { t: 110_000, floor: 1, x: 8, y: 7 }, // womenswear
      { t: 150_000, floor: 1, x: 8, y: 7 },
      { t: 165_000, floor: 1, x: 24, y: 26 },
      { t: 175_000, floor: 0, x: 24, y: 26 },
      { t: 195_000, floor: 0, x: 24, y: 1 },
      { t: 198_000, floor: 0, x: 24, y: -3 }, // out at ~196 s
      { t: 215_000, floor: 0, x: 70, y: -5 },
    ]);
    const events = runOffline(config, obs, { seed: 1 });
    const brief = events.map(
      (e) =>
        `${e.type}${e.phase ? `:${e.phase}` : ''}${e.zoneId ? `(${e.zoneId})` : ''}${e.toFloor !== undefined ? `->${e.toFloor}` : ''}@${Math.round((e.at - T0) / 1000)}`,
    );
    // Print the journey for humans tuning the rules.
    console.log(brief.join('  '));
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'approach')).toHaveLength(1);
    expect(types.filter((t) => t === 'arrival')).toHaveLength(1);
    expect(types.filter((t) => t === 'exit')).toHaveLength(1);
    const at = (type: string) => (events.find((e) => e.type === type)!.at - T0) / 1000;
    expect(at('approach')).toBeLessThan(14);
    expect(at('arrival')).toBeGreaterThan(11);
    expect(at('arrival')).toBeLessThan(18);
    expect(at('exit')).toBeGreaterThan(190);
    expect(at('exit')).toBeLessThan(205);
    expect(events.some((e) => e.type === 'dwell' && e.phase === 'start' && e.zoneId === 'cosmetics')).toBe(true);
    const floors = events.filter((e) => e.type === 'floor_change').map((e) => `${e.fromFloor}->${e.toFloor}`);
    expect(floors).toEqual(['0->1', '1->0']);
  });

  it('a passer-by on the corridor gets one approach at most and never arrives', () => {
    const obs = radioWalk(
      config,
      'passer',
      T0,
      [
        { t: 0, floor: 0, x: -25, y: -5 },
        { t: 60_000, floor: 0, x: 75, y: -5 },
      ],
      { seed: 5 },
    );
    const events = runOffline(config, obs, { seed: 1 });
    expect(events.map((e) => e.type)).toEqual(['approach']);
  });

  it('someone far down the corridor (near rx-corridor-far only) is not an approach', () => {
    const obs = radioWalk(
      config,
      'far',
      T0,
      [
        { t: 0, floor: 0, x: -28, y: -5 },
        { t: 60_000, floor: 0, x: -18, y: -5 },
      ],
      { seed: 9 },
    );
    expect(runOffline(config, obs, { seed: 1 })).toEqual([]);
  });
});

describe('runOffline on the boutique example site with a simple radio model', () => {
  const site = loadSiteFile(exampleSitePath('boutique'));
  if (!site.ok) throw new Error(site.error);
  const config = renderGatewayConfig(site.value, 'gw-boutique-1');

  it('browse, pay anonymously at the till, leave; a second shopper only looks at the window', () => {
    const buyer = radioWalk(
      config,
      'buyer',
      T0,
      [
        { t: 0, floor: 0, x: -12, y: -4 },
        { t: 10_000, floor: 0, x: 6, y: -2 },
        { t: 12_000, floor: 0, x: 6, y: 1.5 }, // in at ~11 s
        { t: 16_000, floor: 0, x: 2.5, y: 4.5 }, // silk scarves
        { t: 56_000, floor: 0, x: 2.5, y: 4.5 },
        { t: 60_000, floor: 0, x: 10, y: 8.5 }, // checkout
        { t: 85_000, floor: 0, x: 10, y: 8.5 },
        { t: 90_000, floor: 0, x: 6, y: 1 },
        { t: 92_000, floor: 0, x: 6, y: -2 }, // out at ~91 s
        { t: 105_000, floor: 0, x: 25, y: -4 },
      ],
      { seed: 11 },
    );
    const sale: Observation = {
      v: 1,
      at: T0 + 75_000,
      source: 'terminal',
      receiverId: 'pos-1',
      subject: 't_pos-1_1',
      terminal: { kind: 'pos', action: 'purchase', amount: 120, currency: 'CNY' },
    };
    const looker = radioWalk(
      config,
      'looker',
      T0 + 20_000,
      [
        { t: 0, floor: 0, x: 25, y: -4 },
        { t: 8_000, floor: 0, x: 3, y: -2.5 },
        { t: 30_000, floor: 0, x: 3, y: -2.5 }, // window shopping outside
        { t: 45_000, floor: 0, x: -14, y: -4 },
      ],
      { seed: 12 },
    );
    const events = runOffline(config, [...buyer, sale, ...looker], { seed: 1 });
    const brief = (s: string) =>
      events
        .filter((e) => e.subject.id === s)
        .map((e) => `${e.type}${e.phase ? `:${e.phase}` : ''}${e.zoneId ? `(${e.zoneId})` : ''}@${Math.round((e.at - T0) / 1000)}`);
    console.log(brief('buyer').join('  '), '|', brief('looker').join('  '));
    const buyerEvents = events.filter((e) => e.subject.id === 'buyer');
    const types = buyerEvents.map((e) => e.type);
    expect(types[0]).toBe('approach');
    expect(types.filter((t) => t === 'arrival')).toHaveLength(1);
    expect(types.filter((t) => t === 'exit')).toHaveLength(1);
    expect(buyerEvents.find((e) => e.type === 'purchase')).toMatchObject({ at: T0 + 75_000, amount: 120 });
    expect(buyerEvents.some((e) => e.type === 'dwell' && e.phase === 'start' && e.zoneId === 'silk-scarves')).toBe(true);
    expect(buyerEvents.find((e) => e.type === 'exit')!.summary!.purchased).toBe(true);
    expect(events.filter((e) => e.subject.id === 'looker').map((e) => e.type)).toEqual(['approach']);
  });
});
