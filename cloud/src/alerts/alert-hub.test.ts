import type { StaffAlert } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { type AlertChange, AlertHub, frameOf } from './alert-hub.js';

const alert = (seq: number) => ({ id: `a${seq}`, seq }) as unknown as StaffAlert;
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('AlertHub fan-out', () => {
  it('defers the fan-out past the publisher, then gives every listener every change in publish order, the same object', async () => {
    const hub = new AlertHub();
    const got: AlertChange[][] = [[], [], []];
    for (const g of got) hub.subscribe((c) => g.push(c));
    hub.publish(alert(1));
    hub.publishUpdate(alert(1));
    hub.publish(alert(2));
    expect(got[0]).toEqual([]); // nothing ran inside publish (the ingest path)
    await turn();
    expect(got[0]!.map((c) => [c.type, c.alert.seq])).toEqual([
      ['alert', 1],
      ['alert_update', 1],
      ['alert', 2],
    ]);
    expect(got[1]![0]).toBe(got[0]![0]);
    expect(got[2]).toEqual(got[0]);
  });

  it('serves many listeners over several turns, skips one that unsubscribed meanwhile, survives one that throws', async () => {
    const hub = new AlertHub();
    const counts = Array.from({ length: 1_200 }, () => 0);
    const offs = counts.map((_c, i) =>
      hub.subscribe(() => {
        if (i === 3) throw new Error('broken socket');
        counts[i]!++;
      }),
    );
    hub.publish(alert(7));
    await turn();
    const afterFirstTurn = counts.filter((n) => n === 1).length;
    expect(afterFirstTurn).toBeLessThan(1_199); // not all in the first turn
    offs[1_199]!();
    for (let i = 0; i < 5; i++) await turn();
    expect(counts.filter((n) => n === 1).length).toBe(1_198); // all but the thrower and the one that left
    expect(counts[1_199]).toBe(0);
  });

  it('serialises a change once: the same bytes for every socket, valid JSON of the frame', () => {
    const change: AlertChange = { type: 'alert', alert: alert(3) };
    const f = frameOf(change);
    expect(frameOf(change)).toBe(f);
    expect(JSON.parse(f.toString())).toEqual(change);
  });
});
