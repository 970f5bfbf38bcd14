import { describe, expect, it } from 'vitest';
import { ble } from '../testing/fixtures.js';
import { Tracker } from './tracker.js';

describe('Tracker', () => {
  it('smooths RSSI per receiver with time-aware weights and keeps first/last seen', () => {
    const t = new Tracker({ fastTauMs: 1000, slowTauMs: 5000 });
    t.observe(ble(1000, 'rx-a', 's1', -80));
    t.observe(ble(2000, 'rx-a', 's1', -60));
    const r = t.get('s1')!.receivers.get('rx-a')!;
    // alpha = 1 - e^-1 ≈ 0.632 for the fast EWMA after 1 s
    expect(r.fastDbm).toBeCloseTo(-80 + 0.632 * 20, 1);
    expect(r.slowDbm).toBeGreaterThan(-80);
    expect(r.slowDbm).toBeLessThan(r.fastDbm);
    expect(r).toMatchObject({ firstSeenAt: 1000, lastSeenAt: 2000, count: 2 });
  });

  it('a long gap lets a new sample dominate; a same-millisecond sample still counts a little', () => {
    const t = new Tracker({ fastTauMs: 1000 });
    t.observe(ble(0, 'rx', 's', -90));
    t.observe(ble(60_000, 'rx', 's', -50));
    expect(t.get('s')!.receivers.get('rx')!.fastDbm).toBeCloseTo(-50, 3);
    t.observe(ble(60_000, 'rx', 's', -70));
    expect(t.get('s')!.receivers.get('rx')!.fastDbm).toBeCloseTo(-51, 3);
  });

  it('does not move time backwards on late observations', () => {
    const t = new Tracker();
    t.observe(ble(5000, 'rx', 's', -70));
    t.observe(ble(4000, 'rx', 's', -70));
    const s = t.get('s')!;
    expect(s).toMatchObject({ firstSeenAt: 4000, lastSeenAt: 5000, lastRadioAt: 5000 });
    expect(s.receivers.get('rx')!.lastSeenAt).toBe(5000);
  });

  it('applies receiver calibration corrections', () => {
    const t = new Tracker({ rssiCorrectionDb: new Map([['rx', 5]]) });
    t.observe(ble(0, 'rx', 's', -70));
    expect(t.get('s')!.receivers.get('rx')!.fastDbm).toBe(-65);
  });

  it('records signal kinds, member ids, randomised MACs and terminal sightings', () => {
    const t = new Tracker({ maxTerminalSightings: 2 });
    t.observe(ble(0, 'rx', 's', -70, { randomized: true }), 'm-1');
    t.observe({ v: 1, at: 10, source: 'wifi', receiverId: 'rx', subject: 's', rssiDbm: -80 });
    for (let i = 0; i < 3; i++)
      t.observe({ v: 1, at: 20 + i, source: 'terminal', receiverId: 'pos-1', subject: 's', terminal: { kind: 'pos', action: 'scan' } });
    const s = t.get('s')!;
    expect([...s.signals].sort()).toEqual(['ble', 'terminal', 'wifi']);
    expect(s.memberId).toBe('m-1');
    expect(s.randomized).toBe(true);
    expect(s.terminal.map((x) => x.at)).toEqual([21, 22]);
    expect(s.lastRadioAt).toBe(10);
    expect(t.byMember('m-1')?.id).toBe('s');
  });

  it('prunes subjects idle for long, only when allowed', () => {
    const t = new Tracker();
    t.observe(ble(0, 'rx', 'old', -70));
    t.observe(ble(0, 'rx', 'busy', -70));
    t.observe(ble(550_000, 'rx', 'fresh', -70));
    expect(t.prune(600_000, 600_000, (id) => id !== 'busy')).toEqual(['old']);
    expect(t.size).toBe(2);
  });
});
