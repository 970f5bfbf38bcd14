import type { StaffAlert } from '@storesense/protocol';
import { describe, expect, it } from 'vitest';
import type { AlertHandling } from '../store/cloud-store.js';
import { decideTransition, type AlertAction } from './alert-status.js';

const base: StaffAlert = {
  id: 'a1',
  seq: 1,
  at: 1,
  eventAt: 1,
  eventId: 'e1',
  eventType: 'arrival',
  siteId: 's',
  storeId: 'st',
  memberId: 'M1',
  memberName: 'Li Na',
  tags: [],
  message: 'm',
  status: 'open',
};
const alice = { username: 'alice', displayName: 'Alice Wu' };
const held = (status: StaffAlert['status'], by?: string): [StaffAlert, AlertHandling] => [
  { ...base, status, ...(by ? { claimedBy: by === 'alice' ? 'Alice Wu' : 'Bob Li' } : {}) },
  { status, handledBy: by },
];

describe('decideTransition', () => {
  it.each<[string, [StaffAlert, AlertHandling], AlertAction, string]>([
    ['open -> claimed', held('open'), 'claim', 'update:claimed'],
    ['open -> acked (done without claiming)', held('open'), 'ack', 'update:acked'],
    ['own claim again is a no-op', held('claimed', 'alice'), 'claim', 'unchanged'],
    ['own claim -> acked', held('claimed', 'alice'), 'ack', 'update:acked'],
    ['someone else’s claim', held('claimed', 'bob'), 'claim', 'conflict:already claimed by Bob Li'],
    ['ack of someone else’s claim', held('claimed', 'bob'), 'ack', 'conflict:already claimed by Bob Li'],
    ['own ack again is a no-op', held('acked', 'alice'), 'ack', 'unchanged'],
    ['claim after an ack', held('acked', 'alice'), 'claim', 'conflict:already acknowledged by Alice Wu'],
    ['ack of someone else’s ack', held('acked', 'bob'), 'ack', 'conflict:already acknowledged by Bob Li'],
  ])('%s', (_name, [alert, handling], action, expected) => {
    const d = decideTransition(alert, handling, action, alice);
    const got = d.kind === 'update' ? `update:${d.next.status}` : d.kind === 'conflict' ? `conflict:${d.error}` : d.kind;
    expect(got).toBe(expected);
    if (d.kind === 'update') expect(d).toMatchObject({ handledBy: 'alice', next: { claimedBy: 'Alice Wu', id: 'a1', seq: 1 } });
  });
});
