import { pathToFileURL } from 'node:url';
import type { StaffAlert } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import { BROWSER_BUILD_DIR } from './console.assets.js';

// The staff view's card model exactly as the browser gets it (compiled cloud/browser/staff-cards.ts).
type Card = { key: string; status: string; retired?: string; stageIndex: number; visit: { stage: string }; alerts: unknown[] };
const { cards, RETIRE_MS } = (await import(pathToFileURL(`${BROWSER_BUILD_DIR}staff-cards.js`).href)) as {
  cards(alerts: StaffAlert[], now: number): Card[];
  RETIRE_MS: number;
};

const NOW = Date.UTC(2026, 10, 23, 8);
let seq = 0;
const alert = (visitId: string, over: Partial<StaffAlert> = {}): StaffAlert => ({
  id: `a${++seq}`,
  seq,
  at: NOW - 60_000,
  eventAt: NOW - 60_000,
  eventId: `e${seq}`,
  eventType: 'approach',
  siteId: 'mall',
  storeId: 'boutique',
  memberId: 'M1',
  memberName: 'Li Na',
  tags: [],
  message: 'Li Na is near',
  status: 'open',
  visitId,
  ...over,
});

describe('staff cards (one per visit)', () => {
  it('the alerts of one visit are one card, at the furthest stage any of them reached', () => {
    const out = cards(
      [alert('v1'), alert('v1', { eventType: 'arrival', visit: { stage: 'dwell', at: NOW - 30_000, zoneId: 'z' } }), alert('v2', { memberName: 'Bo' })],
      NOW,
    );
    // v1's news (the dwell, 30 s ago) is newer than v2's approach (60 s ago): on top.
    expect(out.map((c) => [c.key, c.alerts.length, c.visit.stage, c.stageIndex])).toEqual([
      ['v1', 2, 'dwell', 2],
      ['v2', 1, 'approach', 0],
    ]);
  });

  it.each([
    ['a claim on any alert of the visit claims the card', [alert('v', { status: 'claimed', claimedBy: 'A' }), alert('v')], 'claimed', undefined],
    ['exit retires', [alert('v', { visit: { stage: 'exit', at: NOW, exitedAt: NOW } })], 'open', 'exit'],
    ['no news for RETIRE_MS retires', [alert('v', { at: NOW - RETIRE_MS - 1, eventAt: NOW - RETIRE_MS - 1 })], 'open', 'quiet'],
    ['event time moves news on: a past day replayed now is not quiet', [alert('v', { at: NOW - 1000, eventAt: NOW - 30 * 86_400_000 })], 'open', undefined],
  ])('%s', (_name, list, status, retired) => {
    const [c] = cards(list as StaffAlert[], NOW);
    expect(c!.status).toBe(status);
    expect(c!.retired).toBe(retired);
  });

  it('orders live cards by latest news, then done and retired ones below them', () => {
    const out = cards(
      [
        alert('done', { status: 'acked', at: NOW - 1000 }),
        alert('old', { at: NOW - 600_000 }),
        alert('left', { visit: { stage: 'exit', at: NOW, exitedAt: NOW } }),
        alert('new', { at: NOW - 5000 }),
      ],
      NOW,
    );
    expect(out.map((c) => c.key)).toEqual(['new', 'old', 'left', 'done']);
  });
});
